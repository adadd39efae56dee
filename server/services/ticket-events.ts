// Ticket write-back: tells the ITSM a rule names in `ticket.events` what happens to requests and grants that
// carry a ticket (see domain/ticket-event.ts for the body), signed like the ticket check. Each event is tried a
// few times within the rule's `timeoutSeconds`; one that cannot be delivered is audited (`ticket.event.failed`)
// and changes nothing else: the action it reports has happened, whatever the ITSM answers.
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { EVENT_ATTEMPTS, EVENT_BACKOFF_MS, isRetryableStatus, ticketEventBody, type TicketEvent, type TicketEventType } from '../domain/ticket-event';
import { endpointLabel, statusFailure } from '../domain/ticket-validation';
import { grantId, parseApproval, type ActiveGrant } from '../domain/grant';
import type { ApprovalRequest } from '../domain/approval-request';
import type { ActivationType } from '../domain/eligibility';
import type { AccessRules, TicketEventsEndpoint } from './access-policy-rules';
import type { AuditLog } from './audit';
import type { ItsmClient } from './itsm-client';

/** The role and the justification events are about, and who asked for it. */
interface Subject {
  readonly projectId: string;
  readonly role: string;
  readonly resourceCondition: string | null;
  /** The eligible binding types the grant may have come from; the first whose rule posts events decides. */
  readonly types: readonly ActivationType[];
  readonly justification: string;
  readonly requester: string;
}

/** What an event says beyond its subject; `id`, `ticket` and `time` are filled in when it is sent. */
type Draft = Pick<TicketEvent, 'event' | 'activationId' | 'grantId' | 'actor' | 'window' | 'reason'>;

/** A grant the service wrote, as activation and approval report it. */
interface WrittenGrant {
  readonly role: string;
  readonly resourceCondition: string | null;
  readonly start: Date;
  readonly end: Date;
  /** `kept`: a longer grant was already in force and nothing was written, so nothing is reported. */
  readonly outcome: 'granted' | 'extended' | 'kept';
}

/** An activation binding the sweeper removed after its end (see CleanupService). */
interface ExpiredBinding {
  readonly role: string;
  readonly members: readonly string[];
  readonly resourceCondition: string | null;
  readonly start: Date;
  readonly end: Date;
  readonly description: string | null;
}

export class TicketEvents {
  constructor(
    private readonly rules: Pick<AccessRules, 'ticketEventsFor'>,
    private readonly itsm: ItsmClient,
    private readonly audit: AuditLog,
    private readonly now: () => Date = () => new Date(),
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {}

  /**
   * A self-activation: one `granted` per role written. With `approver`, the grant of a peer request approved
   * before its later start, written at the start by the workflow task (its `approved` was posted then): the
   * approver is the actor.
   */
  async activated(requester: string, projectId: string, activationId: string, justification: string, grants: readonly WrittenGrant[], approver?: string): Promise<void> {
    const types = typesOf(approver ? 'peer' : 'self');
    await this.guarded(projectId, () => Promise.all(
      grants
        .filter((g) => g.outcome !== 'kept')
        .map((g) => this.send({ projectId, role: g.role, resourceCondition: g.resourceCondition, types, justification, requester }, [this.grantedDraft(projectId, activationId, approver ?? requester, g)])),
    ));
  }

  /** A request made; with the rule's own approval, that approval and the grant (none yet when scheduled for a later start) follow in order. */
  async requested(request: ApprovalRequest, approvedByRule: { approver: string; grant: WrittenGrant | null } | null): Promise<void> {
    await this.guarded(request.entitlement.projectId, () => {
      const drafts: Draft[] = [this.requestDraft(request, 'requested', request.beneficiary, null)];
      if (approvedByRule) drafts.push(...this.approvalDrafts(request, approvedByRule.approver, approvedByRule.grant));
      return this.send(subjectOf(request), drafts);
    });
  }

  /** An approval; `grant` when it was the one that granted. */
  async approved(request: ApprovalRequest, approver: string, grant: WrittenGrant | null): Promise<void> {
    await this.guarded(request.entitlement.projectId, () => this.send(subjectOf(request), this.approvalDrafts(request, approver, grant)));
  }

  /** A denial (with its reason) or a cancellation. */
  async decided(request: ApprovalRequest, event: 'denied' | 'cancelled', actor: string, reason: string | null): Promise<void> {
    await this.guarded(request.entitlement.projectId, () => this.send(subjectOf(request), [this.requestDraft(request, event, actor, reason)]));
  }

  /** A request that expired undecided (told by the sweeper once its record vouched for it): nothing was granted. */
  async lapsed(request: ApprovalRequest): Promise<void> {
    await this.guarded(request.entitlement.projectId, () => this.send(subjectOf(request), [this.requestDraft(request, 'lapsed', null, null)]));
  }

  /** A self-approved grant replaced by a longer one (`POST /me/grants/{id}/extend`): the new grant is `granted`. */
  async extended(grant: ActiveGrant, holder: string): Promise<void> {
    if (grant.approval.type !== 'self') return;
    const subject = { ...grant, types: ['self'] as const, justification: grant.approval.justification, requester: holder.toLowerCase() };
    await this.guarded(grant.projectId, () =>
      this.send(subject, [{ event: 'granted', activationId: null, grantId: grant.id, actor: subject.requester, window: { start: grant.start, end: grant.end }, reason: null }]),
    );
  }

  /** A grant ended before its time, by its holder or revoked by an admin (`actor`). */
  async ended(grant: ActiveGrant, holder: string, actor: string, reason: string | null): Promise<void> {
    const approval = grant.approval;
    // Only grants this service reports as granted: self-activated or approved ones.
    if (approval.type !== 'self' && approval.type !== 'peer') return;
    const subject = { ...grant, types: typesOf(approval.type), justification: approval.justification, requester: holder.toLowerCase() };
    await this.guarded(grant.projectId, () => this.send(subject, [{ event: 'ended', activationId: null, grantId: grant.id, actor, window: { start: grant.start, end: grant.end }, reason }]));
  }

  /** Activation bindings the sweeper removed: one `expired` per member of each self-activated or approved one. */
  async expired(projectId: string, removed: readonly ExpiredBinding[]): Promise<void> {
    await this.guarded(projectId, () => Promise.all(removed.flatMap((binding) => {
      const approval = parseApproval(binding.description);
      if (approval.type !== 'self' && approval.type !== 'peer') return [];
      const key = { projectId, role: binding.role, resourceCondition: binding.resourceCondition, start: binding.start, end: binding.end };
      return binding.members
        .filter((m) => m.toLowerCase().startsWith('user:') || m.toLowerCase().startsWith('serviceaccount:'))
        .map((member) =>
          this.send({ ...key, types: typesOf(approval.type), justification: approval.justification, requester: member.slice(member.indexOf(':') + 1).toLowerCase() }, [
            { event: 'expired', activationId: null, grantId: grantId(key), actor: null, window: { start: binding.start, end: binding.end }, reason: null },
          ]),
        );
    })));
  }

  /** Runs a report; what it throws (a bug, not the ITSM: send never throws) is audited, never passed on to the action. */
  private async guarded(projectId: string, report: () => Promise<unknown>): Promise<void> {
    try {
      await report();
    } catch (e) {
      this.audit.record({
        event: 'ticket.event.failed',
        severity: 'WARNING',
        outcome: 'failure',
        message: `Ticket events of project ${projectId} could not be prepared: ${(e as Error).message}. What they report stands; only the ITSM was not told.`,
        project: projectId,
      });
    }
  }

  private approvalDrafts(request: ApprovalRequest, approver: string, grant: WrittenGrant | null): Draft[] {
    const approved = this.requestDraft(request, 'approved', approver, null);
    return grant && grant.outcome !== 'kept' ? [approved, this.grantedDraft(request.entitlement.projectId, request.id, approver, grant)] : [approved];
  }

  private requestDraft(request: ApprovalRequest, event: TicketEventType, actor: string | null, reason: string | null): Draft {
    return { event, activationId: request.id, grantId: null, actor, window: { start: request.start, end: request.end }, reason };
  }

  private grantedDraft(projectId: string, activationId: string, actor: string, g: WrittenGrant): Draft {
    const key = { projectId, role: g.role, resourceCondition: g.resourceCondition, start: g.start, end: g.end };
    return { event: 'granted', activationId, grantId: grantId(key), actor, window: { start: g.start, end: g.end }, reason: null };
  }

  /**
   * Posts the events of one action about one role, in order; never throws. After one that could not be
   * delivered, the rest are not tried (the ITSM is down, or refuses the ticket): each is audited as failed.
   */
  private async send(subject: Subject, drafts: readonly Draft[]): Promise<void> {
    let target: { endpoint: TicketEventsEndpoint; ticket: string } | null;
    try {
      target = await this.rules.ticketEventsFor(subject, subject.types, subject.justification);
    } catch (e) {
      for (const draft of drafts) this.failed(subject, draft, null, null, null, 0, `the rule's ticket events could not be determined: ${(e as Error).message}`);
      return;
    }
    if (!target) return;
    let failure: string | undefined;
    for (const draft of drafts) {
      const event: TicketEvent = {
        ...draft,
        id: `evt-${randomBytes(12).toString('base64url')}`,
        ticket: target.ticket,
        project: subject.projectId,
        role: subject.role,
        resourceCondition: subject.resourceCondition,
        requester: subject.requester,
        time: this.now(),
        justification: subject.justification,
      };
      if (failure) {
        this.failed(subject, draft, event.id, target.ticket, target.endpoint, 0, `not sent, as the ${failure}`);
        continue;
      }
      const outcome = await this.deliver(target.endpoint, event);
      if (outcome) {
        this.failed(subject, draft, event.id, target.ticket, target.endpoint, outcome.attempts, outcome.reason);
        failure = `${draft.event} event before it could not be delivered`;
      }
    }
  }

  /**
   * Tries to deliver one event within the endpoint's `timeoutSeconds` (attempts included): again after a
   * network error or a 5xx/408/429 answer, with short pauses, while time is left. Null once a 2xx answer came.
   */
  private async deliver(endpoint: TicketEventsEndpoint, event: TicketEvent): Promise<{ attempts: number; reason: string } | null> {
    const body = ticketEventBody(event);
    const deadline = performance.now() + endpoint.timeoutSeconds * 1000;
    let reason = '';
    for (let attempt = 1; ; attempt++) {
      const answer = await this.itsm.post(endpoint.url, endpoint.secret, body, Math.max(1, Math.floor(deadline - performance.now())));
      if (answer.kind === 'answered' && answer.status >= 200 && answer.status <= 299) return null;
      let again: boolean;
      if (answer.kind === 'answered') {
        reason = `${endpointLabel(endpoint.url)}: ${statusFailure(answer.status, answer.body, answer.secrets)}`;
        again = isRetryableStatus(answer.status);
      } else {
        reason = answer.reason;
        again = !answer.timeout;
      }
      const pause = EVENT_BACKOFF_MS[attempt - 1] ?? 0;
      if (!again || attempt >= EVENT_ATTEMPTS || performance.now() + pause >= deadline) return { attempts: attempt, reason };
      await this.sleep(pause);
    }
  }

  private failed(subject: Subject, draft: Draft, eventId: string | null, ticket: string | null, endpoint: TicketEventsEndpoint | null, attempts: number, reason: string): void {
    const where = endpoint ? endpointLabel(endpoint.url) : null;
    const about = draft.activationId ?? `the grant of '${subject.role}' to ${subject.requester}`;
    this.audit.record({
      event: 'ticket.event.failed',
      severity: 'WARNING',
      outcome: 'failure',
      message:
        `The '${draft.event}' event of ${about}${ticket ? ` (ticket ${ticket})` : ''} was not delivered${where ? ` to ${where}` : ''}` +
        `${attempts > 0 ? ` after ${attempts} attempt${attempts === 1 ? '' : 's'}` : ''}: ${reason}. What it reports stands; only the ITSM was not told.`,
      project: subject.projectId,
      roles: [{ role: subject.role, resourceCondition: subject.resourceCondition }],
      ...(draft.activationId ? { activationId: draft.activationId } : {}),
      beneficiary: subject.requester,
      ticketEvent: { type: draft.event, id: eventId, ticket, grantId: draft.grantId, endpoint: where, attempts, reason },
    });
  }
}

function subjectOf(request: ApprovalRequest): Subject {
  const { projectId, role, resourceCondition } = request.entitlement;
  return { projectId, role, resourceCondition, types: [request.bindingType], justification: request.justification, requester: request.beneficiary };
}

/** A self-approved grant came from a self-approval binding; an approved one from either type (a rule may put a self-approval binding under approval). */
function typesOf(approval: 'self' | 'peer'): ActivationType[] {
  return approval === 'self' ? ['self'] : ['peer', 'self'];
}
