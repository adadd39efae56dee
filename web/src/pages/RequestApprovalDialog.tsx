// Asking for a role's approval: choose reviewers among those who may approve it (its peers, or the designated
// approvers its rule names), then justify and choose a duration, as its rule allows. The reviewers get an
// email with a link to the approval page.
import { useState, type FormEvent } from 'react';
import type { MeResponse, Role } from '../../../server/api/schemas';
import { api, type ApprovalRequestCreatedResponse } from '../api';
import { Dialog } from '../components/Dialog';
import { DurationField, durationChoices } from '../components/DurationField';
import { JustificationField } from '../components/JustificationField';
import { ErrorNotice, Loading, Notice } from '../components/Notice';
import { RoleName } from '../components/RoleName';
import { RuleNotices } from '../components/RuleNotices';
import { StartField, startInstant, startProblem, type StartChoice } from '../components/StartField';
import { formatDuration, formatTime } from '../format';
import { justificationProblem } from '../justification';
import { approvalInWords, dialogRules, ruleName } from '../role-rules';
import { useNow } from '../use-now';
import { useResource, type Resource } from '../use-resource';

interface RequestApprovalDialogProps {
  projectId: string;
  role: Role;
  settings: MeResponse['settings'];
  onClose: () => void;
  onRequested: (result: ApprovalRequestCreatedResponse) => void;
}

export function RequestApprovalDialog({ projectId, role, settings, onClose, onRequested }: RequestApprovalDialogProps) {
  const candidates = useResource(() => api.reviewers(projectId, role.id), [projectId, role.id]);
  const rules = dialogRules([role], settings);
  const { approval } = rules;
  const designated = approval.kind === 'approvers';
  const minReviewers = Math.max(settings.minReviewers, approval.requiredApprovals);
  const [reviewers, setReviewers] = useState<string[]>([]);
  const [justification, setJustification] = useState('');
  const [duration, setDuration] = useState(rules.defaultDurationMinutes);
  const now = useNow();
  const [start, setStart] = useState<StartChoice>({ kind: 'now' });
  const startIssue = rules.maxStartDelayMinutes === null ? null : startProblem(start, now, rules.maxStartDelayMinutes);
  const later = start.kind === 'later' ? startInstant(start) : null;
  const [submitAttempts, setSubmitAttempts] = useState(0);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);

  const tooFew = reviewers.length < minReviewers;
  // A rule may need more approvals than the service lets a request name reviewers: the server refuses it too.
  const unreachable = minReviewers > settings.maxReviewers;

  async function submit(event: FormEvent) {
    event.preventDefault();
    setSubmitAttempts((n) => n + 1);
    if (rules.blocked || unreachable || tooFew || justificationProblem(justification, rules) || startIssue) return;
    setBusy(true);
    setError(null);
    try {
      const body = { role: role.id, justification, durationMinutes: duration, reviewers };
      onRequested(await api.requestApproval(projectId, later === null ? body : { ...body, start: new Date(later).toISOString() }));
    } catch (e) {
      setError(e as Error);
      setBusy(false);
    }
  }

  return (
    <Dialog title="Request approval" onClose={onClose} busy={busy}>
      <form onSubmit={submit} noValidate>
        <p>
          <RoleName entry={role} /> on <strong>{projectId}</strong> needs {approvalInWords(approval)}
          {approval.rule ? ` (rule ${ruleName(approval.rule)})` : ''}. The reviewers you choose get an email with a link to approve it.
        </p>
        <RuleNotices rules={rules} />
        {unreachable && (
          <Notice kind="warning" title="This role cannot be requested here">
            <p>
              It needs {approval.requiredApprovals} approvals, but a request may name at most {settings.maxReviewers} reviewers. Ask your administrator to raise the limit or lower the
              rule's count.
            </p>
          </Notice>
        )}
        <ReviewersField
          candidates={candidates}
          chosen={reviewers}
          onChange={setReviewers}
          min={minReviewers}
          max={settings.maxReviewers}
          designated={designated}
          nobody={{
            title: 'Nobody can approve this role',
            text: designated
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
          <button type="submit" className="button button-primary" disabled={busy || rules.blocked !== null || unreachable || candidates.state !== 'ready' || candidates.data.reviewers.length === 0}>
            {busy ? 'Sending…' : 'Request approval'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

interface ReviewersFieldProps {
  candidates: Resource<{ reviewers: string[] }>;
  chosen: string[];
  onChange: (reviewers: string[]) => void;
  min: number;
  max: number;
  /** Whether the candidates are the rule's designated approvers rather than the role's other holders. */
  designated: boolean;
  /** What to say when nobody else may approve. */
  nobody: { title: string; text: string };
  disabled: boolean;
  showProblems: boolean;
}

/** The reviewers to ask: loading, failed (with a retry), nobody to ask, or the choice among the candidates. */
export function ReviewersField({ candidates, designated, nobody, ...choice }: ReviewersFieldProps) {
  if (candidates.state === 'loading') return <Loading>Finding who can approve…</Loading>;
  if (candidates.state === 'failed') return <ErrorNotice context="load" title="The reviewers could not be loaded" error={candidates.error} onRetry={candidates.reload} />;
  if (candidates.data.reviewers.length === 0) {
    return (
      <Notice kind="warning" title={nobody.title}>
        <p>{nobody.text}</p>
      </Notice>
    );
  }
  return <ReviewerChoice candidates={candidates.data.reviewers} among={designated ? 'among the designated approvers' : 'among those who hold the same eligible role'} {...choice} />;
}

interface ReviewerChoiceProps {
  candidates: string[];
  chosen: string[];
  onChange: (reviewers: string[]) => void;
  min: number;
  max: number;
  /** Whom the candidates are, for the instruction: "among the designated approvers". */
  among: string;
  disabled: boolean;
  showProblems: boolean;
}

export function ReviewerChoice({ candidates, chosen, onChange, min, max, among, disabled, showProblems }: ReviewerChoiceProps) {
  const full = chosen.length >= max;
  const tooFew = chosen.length < min;
  const count = (n: number) => `${n} reviewer${n === 1 ? '' : 's'}`;
  const rule = `${min === max ? `Choose ${count(min)}` : max >= candidates.length ? `Choose at least ${count(min)}` : `Choose ${min} to ${count(max)}`} ${among}`;
  const state = full && max < candidates.length ? 'You have chosen as many as allowed.' : chosen.length > 0 ? `${chosen.length} chosen.` : '';

  function toggle(email: string) {
    onChange(chosen.includes(email) ? chosen.filter((r) => r !== email) : [...chosen, email]);
  }

  return (
    <fieldset className="field" aria-describedby="reviewer-rule">
      <legend>Reviewers</legend>
      <p id="reviewer-rule" className={showProblems && tooFew ? 'field-problem' : 'field-help'}>
        {rule}. {state}
      </p>
      <ul className="checkbox-list">
        {candidates.map((email) => {
          const checked = chosen.includes(email);
          return (
            <li key={email}>
              <label>
                <input type="checkbox" checked={checked} disabled={disabled || (!checked && full)} onChange={() => toggle(email)} />
                {email}
              </label>
            </li>
          );
        })}
      </ul>
    </fieldset>
  );
}
