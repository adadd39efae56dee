// Asking the approvers of a grant's role to extend it: choose reviewers as for any request, say why, and how much
// time to add after the grant's end, as the role's rule allows. Approved, the grant ends that much later.
import { useState, type FormEvent } from 'react';
import type { MeResponse, Role } from '../../../server/api/schemas';
import { api, type ActiveGrant, type ApprovalRequestCreatedResponse } from '../api';
import { Dialog } from '../components/Dialog';
import { DurationField, durationChoices } from '../components/DurationField';
import { JustificationField } from '../components/JustificationField';
import { ErrorNotice, Loading, Notice } from '../components/Notice';
import { ReviewersField, useReviewers } from '../components/ReviewersField';
import { RoleName } from '../components/RoleName';
import { RuleNotices } from '../components/RuleNotices';
import { formatDuration, formatTime } from '../format';
import { justificationProblem } from '../justification';
import { approvalInWords, dialogRules, ruleName } from '../role-rules';
import { useResource } from '../use-resource';
import { useSending } from '../use-sending';

interface RequestExtensionDialogProps {
  grant: ActiveGrant;
  settings: MeResponse['settings'];
  onClose: () => void;
  onRequested: (result: ApprovalRequestCreatedResponse) => void;
}

export function RequestExtensionDialog({ grant, settings, onClose, onRequested }: RequestExtensionDialogProps) {
  // The role's rule (duration, justification, approvers) comes with the project's roles.
  const roles = useResource(() => api.roles(grant.projectId), [grant.projectId]);
  const role = roles.state === 'ready' ? roles.data.roles.find((r) => r.role === grant.role && r.resourceCondition === grant.resourceCondition) : undefined;
  return (
    <Dialog title="Request extension" onClose={onClose}>
      {roles.state === 'loading' && <Loading>Reading the role's rule…</Loading>}
      {roles.state === 'failed' && <ErrorNotice context="load" title="The role's rule could not be loaded" error={roles.error} onRetry={roles.reload} />}
      {roles.state === 'ready' && !role && (
        <>
          <Notice kind="warning" title="You are no longer eligible for this role">
            <p>The grant cannot be extended; it lasts until {formatTime(grant.end)}.</p>
          </Notice>
          <div className="dialog-actions">
            <button type="button" className="button" onClick={onClose}>
              Close
            </button>
          </div>
        </>
      )}
      {role && <ExtensionForm grant={grant} role={role} settings={settings} onClose={onClose} onRequested={onRequested} />}
    </Dialog>
  );
}

function ExtensionForm({ grant, role, settings, onClose, onRequested }: RequestExtensionDialogProps & { role: Role }) {
  const rules = dialogRules([role], settings);
  const { approval } = rules;
  const reviewers = useReviewers(grant.projectId, role, approval, settings);
  const [justification, setJustification] = useState(grant.approval.type === 'peer' || grant.approval.type === 'self' ? grant.approval.justification : '');
  const [duration, setDuration] = useState(rules.defaultDurationMinutes);
  const [submitAttempts, setSubmitAttempts] = useState(0);
  const { busy, error, send } = useSending();

  async function submit(event: FormEvent) {
    event.preventDefault();
    setSubmitAttempts((n) => n + 1);
    if (rules.blocked || reviewers.unreachable || reviewers.tooFew || justificationProblem(justification, rules)) return;
    await send(async () => onRequested(await api.requestExtension(grant.id, { justification, durationMinutes: duration, reviewers: reviewers.chosen })));
  }

  return (
    <form onSubmit={submit} noValidate>
      <p>
        <RoleName entry={grant} /> on <strong>{grant.projectId}</strong> lasts until {formatTime(grant.end)}. Extending it needs {approvalInWords(approval)}
        {approval.rule ? ` (rule ${ruleName(approval.rule)})` : ''}; the reviewers you choose get an email with a link to approve it.
      </p>
      <RuleNotices rules={rules} />
      {reviewers.unreachable && (
        <Notice kind="warning" title="This grant cannot be extended here">
          <p>It needs {approval.requiredApprovals} approvals, but a request may name at most {settings.maxReviewers} reviewers.</p>
        </Notice>
      )}
      <ReviewersField
        reviewers={reviewers}
        nobody={{ title: 'Nobody can approve this extension', text: 'No one else may approve this role. Ask your administrator to add reviewers.' }}
        disabled={busy}
        showProblems={submitAttempts > 0}
      />
      <JustificationField value={justification} onChange={setJustification} rules={rules} disabled={busy} submitAttempts={submitAttempts} />
      <DurationField
        label="Add, after it ends"
        choices={durationChoices(rules.defaultDurationMinutes, rules.maxDurationMinutes)}
        value={duration}
        onChange={setDuration}
        help={`Approved before it ends, the grant ends at ${formatTime(new Date(Date.parse(grant.end) + duration * 60_000).toISOString())}. At most ${formatDuration(rules.maxDurationMinutes)}${rules.maxDurationRule ? ` (rule ${ruleName(rules.maxDurationRule)})` : ''}.`}
        disabled={busy}
      />
      {error && <ErrorNotice context="form" title="The request was not sent" error={error} />}
      <div className="dialog-actions">
        <button type="button" className="button" onClick={onClose} disabled={busy}>
          Cancel
        </button>
        <button type="submit" className="button button-primary" disabled={busy || rules.blocked !== null || reviewers.unreachable || !reviewers.available}>
          {busy ? 'Sending…' : 'Request extension'}
        </button>
      </div>
    </form>
  );
}
