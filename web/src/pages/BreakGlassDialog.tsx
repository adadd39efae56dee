// Breaking the glass on a role that needs approval: a reason and a duration up to the rule's break-glass
// maximum, with a plain warning that it is granted at once, audited, and reviewed afterwards.
import { useId, useState, type FormEvent } from 'react';
import type { Role } from '../../../server/api/schemas';
import { api, type BreakGlassResponse } from '../api';
import { Dialog } from '../components/Dialog';
import { DurationField, durationChoices } from '../components/DurationField';
import { ErrorNotice, Notice } from '../components/Notice';
import { RoleName } from '../components/RoleName';
import { formatDuration, formatTime } from '../format';
import { useNow } from '../use-now';
import { useSending } from '../use-sending';

interface BreakGlassDialogProps {
  projectId: string;
  role: Role;
  /** The most the reason may hold (JUSTIFICATION_MAX_LENGTH). */
  reasonMaxLength: number;
  onClose: () => void;
  onActivated: (result: BreakGlassResponse) => void;
}

export function BreakGlassDialog({ projectId, role, reasonMaxLength, onClose, onActivated }: BreakGlassDialogProps) {
  const now = useNow();
  const reasonId = useId();
  const breakGlass = role.policy!.breakGlass!;
  const max = breakGlass.maxDurationMinutes;
  const [reason, setReason] = useState('');
  const [duration, setDuration] = useState(max);
  const [submitted, setSubmitted] = useState(false);
  const { busy, error, send } = useSending();
  const missingReason = reason.trim() === '';

  async function submit(event: FormEvent) {
    event.preventDefault();
    setSubmitted(true);
    if (missingReason) return;
    await send(async () => onActivated(await api.breakGlass(projectId, { role: role.id, reason: reason.trim(), durationMinutes: duration })));
  }

  return (
    <Dialog title="Break glass" onClose={onClose} busy={busy}>
      <form onSubmit={submit} noValidate>
        <p>
          On project <strong>{projectId}</strong>: <RoleName entry={role} />
        </p>
        <Notice kind="warning" title="Emergency access, audited and reviewed">
          <p>
            This grants the role at once, without the approval it normally needs. It is recorded as break-glass in IAM and in the audit log, and{' '}
            {breakGlass.reviewers.map((r) => r.replace(/^(user|group):/, '')).join(', ')} {breakGlass.reviewers.length === 1 ? 'is' : 'are'} told now and will review it. Use it only in an emergency.
          </p>
        </Notice>
        <div className="field">
          <label htmlFor={reasonId}>Why do you break the glass?</label>
          <input
            id={reasonId}
            type="text"
            value={reason}
            maxLength={reasonMaxLength}
            autoComplete="off"
            disabled={busy}
            aria-invalid={submitted && missingReason}
            aria-describedby={`${reasonId}-help`}
            onChange={(event) => setReason(event.target.value)}
          />
          <p id={`${reasonId}-help`} className={submitted && missingReason ? 'field-problem' : 'field-help'}>
            {submitted && missingReason ? 'A reason is required: say what the emergency is.' : 'The reviewers read it, for example “INC-123 production database down”.'}
          </p>
        </div>
        <DurationField
          label="For how long"
          choices={durationChoices(max, max)}
          value={duration}
          onChange={setDuration}
          help={`It will end at ${formatTime(new Date(now + duration * 60_000).toISOString())}. Break-glass lasts at most ${formatDuration(max)}.`}
          disabled={busy}
        />
        {error && <ErrorNotice context="form" title="The glass was not broken" error={error} />}
        <div className="dialog-actions">
          <button type="button" className="button" onClick={onClose} disabled={busy}>
            Cancel
          </button>
          <button type="submit" className="button button-danger" disabled={busy}>
            {busy ? 'Activating…' : 'Break glass and activate'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
