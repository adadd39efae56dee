// Asking for a role's approval: choose reviewers among those who may approve it (its peers, or the designated
// approvers its rule names), then justify and choose a duration, as its rule allows. The reviewers get an
// email with a link to the approval page.
import { useState, type FormEvent } from 'react';
import type { MeResponse, Role } from '../../../server/api/schemas';
import { api, type ApprovalRequestCreatedResponse } from '../api';
import { Dialog } from '../components/Dialog';
import { DurationField, durationChoices } from '../components/DurationField';
import { JustificationField } from '../components/JustificationField';
import { ErrorNotice, Notice } from '../components/Notice';
import { ReviewersField, useReviewers } from '../components/ReviewersField';
import { RoleName } from '../components/RoleName';
import { RuleNotices } from '../components/RuleNotices';
import { StartField, startInstant, startProblem, type StartChoice } from '../components/StartField';
import { formatDuration, formatTime } from '../format';
import { justificationProblem } from '../justification';
import { approvalInWords, dialogRules, ruleName } from '../role-rules';
import { useNow } from '../use-now';
import { useSending } from '../use-sending';

interface RequestApprovalDialogProps {
  projectId: string;
  role: Role;
  settings: MeResponse['settings'];
  onClose: () => void;
  onRequested: (result: ApprovalRequestCreatedResponse) => void;
}

export function RequestApprovalDialog({ projectId, role, settings, onClose, onRequested }: RequestApprovalDialogProps) {
  const rules = dialogRules([role], settings);
  const { approval } = rules;
  const reviewers = useReviewers(projectId, role, approval, settings);
  const [justification, setJustification] = useState('');
  const [duration, setDuration] = useState(rules.defaultDurationMinutes);
  const now = useNow();
  const [start, setStart] = useState<StartChoice>({ kind: 'now' });
  const startIssue = rules.maxStartDelayMinutes === null ? null : startProblem(start, now, rules.maxStartDelayMinutes);
  const later = start.kind === 'later' ? startInstant(start) : null;
  const [submitAttempts, setSubmitAttempts] = useState(0);
  const { busy, error, send } = useSending();

  async function submit(event: FormEvent) {
    event.preventDefault();
    setSubmitAttempts((n) => n + 1);
    if (rules.blocked || reviewers.unreachable || reviewers.tooFew || justificationProblem(justification, rules) || startIssue) return;
    const body = { role: role.id, justification, durationMinutes: duration, reviewers: reviewers.chosen };
    await send(async () => onRequested(await api.requestApproval(projectId, later === null ? body : { ...body, start: new Date(later).toISOString() })));
  }

  return (
    <Dialog title="Request approval" onClose={onClose} busy={busy}>
      <form onSubmit={submit} noValidate>
        <p>
          <RoleName entry={role} /> on <strong>{projectId}</strong> needs {approvalInWords(approval)}
          {approval.rule ? ` (rule ${ruleName(approval.rule)})` : ''}. The reviewers you choose get an email with a link to approve it.
        </p>
        <RuleNotices rules={rules} />
        {reviewers.unreachable && (
          <Notice kind="warning" title="This role cannot be requested here">
            <p>
              It needs {approval.requiredApprovals} approvals, but a request may name at most {settings.maxReviewers} reviewers. Ask your administrator to raise the limit or lower the
              rule's count.
            </p>
          </Notice>
        )}
        <ReviewersField
          reviewers={reviewers}
          nobody={{
            title: 'Nobody can approve this role',
            text: reviewers.designated
              ? 'The rule names no approver other than you, so no one can approve your request. Ask your administrator to designate approvers.'
              : 'No one else is eligible for this role, so no one can approve your request. Ask your administrator to add reviewers.',
          }}
          disabled={busy}
          showProblems={submitAttempts > 0}
        />
        <JustificationField value={justification} onChange={setJustification} rules={rules} disabled={busy} submitAttempts={submitAttempts} />
        {rules.maxStartDelayMinutes !== null && (
          <StartField value={start} onChange={setStart} now={now} maxDelayMinutes={rules.maxStartDelayMinutes} problem={submitAttempts > 0 ? startIssue : null} disabled={busy} />
        )}
        <DurationField
          label="For how long, once approved"
          choices={durationChoices(rules.defaultDurationMinutes, rules.maxDurationMinutes)}
          value={duration}
          onChange={setDuration}
          help={`${later === null ? `From when ${approval.requiredApprovals > 1 ? 'the last reviewer needed' : 'a reviewer'} approves` : `From ${formatTime(new Date(later).toISOString())} if approved before then, else from the approval`}. At most ${formatDuration(rules.maxDurationMinutes)}${rules.maxDurationRule ? ` (rule ${ruleName(rules.maxDurationRule)})` : ''}.`}
          disabled={busy}
        />
        {error && <ErrorNotice context="form" title="The request was not sent" error={error} />}
        <div className="dialog-actions">
          <button type="button" className="button" onClick={onClose} disabled={busy}>
            Cancel
          </button>
          <button type="submit" className="button button-primary" disabled={busy || rules.blocked !== null || reviewers.unreachable || !reviewers.available}>
            {busy ? 'Sending…' : 'Request approval'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
