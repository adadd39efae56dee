// Asking peers to approve a role: choose reviewers among those who may approve it, then justify and
// choose a duration. The reviewers get an email with a link to the approval page.
import { useState, type FormEvent } from 'react';
import type { MeResponse, Role } from '../../../server/api/schemas';
import { api, type ApprovalRequestCreatedResponse } from '../api';
import { Dialog } from '../components/Dialog';
import { DurationField, durationChoices } from '../components/DurationField';
import { JustificationField } from '../components/JustificationField';
import { ErrorNotice, Loading, Notice } from '../components/Notice';
import { RoleName } from '../components/RoleName';
import { formatDuration } from '../format';
import { justificationProblem } from '../justification';
import { useResource } from '../use-resource';

interface RequestApprovalDialogProps {
  projectId: string;
  role: Role;
  settings: MeResponse['settings'];
  onClose: () => void;
  onRequested: (result: ApprovalRequestCreatedResponse) => void;
}

export function RequestApprovalDialog({ projectId, role, settings, onClose, onRequested }: RequestApprovalDialogProps) {
  const candidates = useResource(() => api.reviewers(projectId, role.id), [projectId, role.id]);
  const [reviewers, setReviewers] = useState<string[]>([]);
  const [justification, setJustification] = useState('');
  const [duration, setDuration] = useState(Math.min(settings.defaultDurationMinutes, settings.maxDurationMinutes));
  const [submitAttempts, setSubmitAttempts] = useState(0);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);

  const tooFew = reviewers.length < settings.minReviewers;

  async function submit(event: FormEvent) {
    event.preventDefault();
    setSubmitAttempts((n) => n + 1);
    if (tooFew || justificationProblem(justification, settings)) return;
    setBusy(true);
    setError(null);
    try {
      onRequested(await api.requestApproval(projectId, { role: role.id, justification, durationMinutes: duration, reviewers }));
    } catch (e) {
      setError(e as Error);
      setBusy(false);
    }
  }

  return (
    <Dialog title="Request approval" onClose={onClose} busy={busy}>
      <form onSubmit={submit} noValidate>
        <p>
          <RoleName entry={role} /> on <strong>{projectId}</strong> needs a peer's approval. The reviewers you choose get an email with a link to approve it.
        </p>
        {candidates.state === 'loading' && <Loading>Finding who can approve…</Loading>}
        {candidates.state === 'failed' && <ErrorNotice context="load" title="The reviewers could not be loaded" error={candidates.error} onRetry={candidates.reload} />}
        {candidates.state === 'ready' && candidates.data.reviewers.length === 0 && (
          <Notice kind="warning" title="Nobody can approve this role">
            <p>No one else is eligible for this role, so no one can approve your request. Ask your administrator to add reviewers.</p>
          </Notice>
        )}
        {candidates.state === 'ready' && candidates.data.reviewers.length > 0 && (
          <ReviewerChoice
            candidates={candidates.data.reviewers}
            chosen={reviewers}
            onChange={setReviewers}
            min={settings.minReviewers}
            max={settings.maxReviewers}
            disabled={busy}
            showProblems={submitAttempts > 0}
          />
        )}
        <JustificationField value={justification} onChange={setJustification} settings={settings} disabled={busy} submitAttempts={submitAttempts} />
        <DurationField
          label="For how long, once approved"
          choices={durationChoices(settings.defaultDurationMinutes, settings.maxDurationMinutes)}
          value={duration}
          onChange={setDuration}
          help={`From when a reviewer approves. At most ${formatDuration(settings.maxDurationMinutes)}.`}
          disabled={busy}
        />
        {error && <ErrorNotice context="form" title="The request was not sent" error={error} />}
        <div className="dialog-actions">
          <button type="button" className="button" onClick={onClose} disabled={busy}>
            Cancel
          </button>
          <button type="submit" className="button button-primary" disabled={busy || candidates.state !== 'ready' || candidates.data.reviewers.length === 0}>
            {busy ? 'Sending…' : 'Request approval'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

interface ReviewerChoiceProps {
  candidates: string[];
  chosen: string[];
  onChange: (reviewers: string[]) => void;
  min: number;
  max: number;
  disabled: boolean;
  showProblems: boolean;
}

function ReviewerChoice({ candidates, chosen, onChange, min, max, disabled, showProblems }: ReviewerChoiceProps) {
  const full = chosen.length >= max;
  const tooFew = chosen.length < min;
  const count = (n: number) => `${n} reviewer${n === 1 ? '' : 's'}`;
  const rule = min === max ? `Choose ${count(min)}` : max >= candidates.length ? `Choose at least ${count(min)}` : `Choose ${min} to ${count(max)}`;
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
