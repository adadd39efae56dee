// Escalation, a pass of the workflow task (/tasks/workflows): a pending request nobody decided within its
// rule's `escalation.after` is offered ONCE to the rule's escalation approvers — email with a link to their
// inbox, chat — and audited as `request.escalated`. Nothing is stored: the delay counts from the signed
// request's issuedAt, "once" is the `request.escalated` entries every run reads back from the shared audit
// feed (which holds this instance's own entries at once), and whether an escalation approver may decide is
// checked at decision time against the rule in force (ApprovalService). Anyone who may write to the log could
// plant a request entry, so only a request this service signed is escalated, and only while IAM still has it
// pending: a denied, cancelled or approved request is never offered.
import { requestsInLog } from '../domain/request-log';
import { systemClock, type Clock } from '../clock';
import type { ApprovalService } from './approval';
import type { AuditLog } from './audit';
import type { AuditFeed } from './audit-feed';
import type { NotificationService } from './notification';
import type { RequestDecisions } from './request-decisions';
import type { WorkflowPass, WorkflowPassReport, WorkflowRun } from './workflow-task';

/** A request lives at most this long (signJwt's 12-hour limit on a token's lifetime). */
const LONGEST_REQUEST_MS = 12 * 3_600_000;
/** Escalations one run offers; each costs a signJwt, a getIamPolicy and group reads. The rest wait for the next run. */
export const ESCALATIONS_PER_RUN = 20;

export class RequestEscalation implements WorkflowPass {
  readonly name = 'escalation';

  constructor(
    private readonly feed: Pick<AuditFeed, 'since'>,
    private readonly requests: Pick<ApprovalService, 'issued' | 'escalationOf' | 'escalationApprovers'>,
    private readonly decisions: Pick<RequestDecisions, 'state'>,
    private readonly notifications: Pick<NotificationService, 'sendEscalated'>,
    private readonly audit: AuditLog,
    private readonly now: Clock = systemClock,
  ) {}

  async run(run: WorkflowRun): Promise<WorkflowPassReport> {
    const now = this.now();
    const { records } = await this.feed.since(new Date(now.getTime() - LONGEST_REQUEST_MS));
    const escalated = new Set<string>();
    for (const { payload } of records) {
      if (payload.event === 'request.escalated' && typeof payload.activationId === 'string') escalated.add(payload.activationId);
    }
    const report: WorkflowPassReport = { done: [], pending: [], failures: [] };
    for (const logged of requestsInLog(records, now)) {
      const { request } = logged;
      if (logged.status !== 'pending' || escalated.has(request.id)) continue;
      try {
        // The rule in force is read first: it costs no Google call, and most requests are not due.
        const escalation = await this.requests.escalationOf(request);
        if (!escalation || now.getTime() < escalation.from.getTime()) continue;
        if (report.done.length + report.pending.length >= ESCALATIONS_PER_RUN) {
          report.pending.push(request.id);
          continue;
        }
        if (!(await this.requests.issued(logged))) {
          report.failures.push({ id: request.id, message: 'Its audit entry does not describe a request this service signed, so it was not escalated.' });
          continue;
        }
        const state = await this.decisions.state(request);
        if (state.status !== 'pending') continue;
        // Its reviewers were asked already; the requester never decides.
        const approvers = (await this.requests.escalationApprovers(request, escalation)).filter((a) => !request.reviewers.includes(a));
        if (run.dryRun) {
          report.pending.push(request.id);
          continue;
        }
        const approvals = state.approvals.map((a) => a.approver);
        const notificationFailures = await this.notifications.sendEscalated(request, approvers, approvals, escalation.afterMinutes, run.publicUrl);
        // Audited even when a channel failed (that failure is audited too): the offer is not repeated.
        this.audit.record({
          event: 'request.escalated',
          severity: 'NOTICE',
          outcome: 'success',
          project: request.entitlement.projectId,
          activationId: request.id,
          beneficiary: request.beneficiary,
          reviewers: [...request.reviewers],
          escalatedTo: approvers,
          escalationAfterMinutes: escalation.afterMinutes,
          invoker: run.invoker,
          notificationFailures,
          message: `Request ${request.id} by ${request.beneficiary} was undecided ${escalation.afterMinutes} minutes after it was made; offered to its escalation approvers ${approvers.join(', ') || '(none besides its reviewers)'}`,
        });
        report.done.push(request.id);
        for (const message of notificationFailures) report.failures.push({ id: request.id, message });
      } catch (e) {
        report.failures.push({ id: request.id, message: `Could not be escalated; the next run tries again: ${(e as Error).message}` });
      }
    }
    return report;
  }
}
