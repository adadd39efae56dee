// Extending a grant: it is replaced by one that lasts the chosen time from now, so only durations that
// end later than the grant does now are offered.
import { useState, type FormEvent } from 'react';
import type { MeResponse } from '../../../server/api/schemas';
import { api, ApiError, type ActiveGrant } from '../api';
import { Dialog } from '../components/Dialog';
import { DurationField, durationChoices } from '../components/DurationField';
import { JustificationField } from '../components/JustificationField';
import { ErrorNotice, Notice } from '../components/Notice';
import { RoleName } from '../components/RoleName';
import { formatDuration, formatTime } from '../format';
import { justificationProblem } from '../justification';
import { settingsRules } from '../role-rules';
import { useNow } from '../use-now';
import { useSending } from '../use-sending';

interface ExtendGrantDialogProps {
  grant: ActiveGrant;
  settings: MeResponse['settings'];
  onClose: () => void;
  onExtended: (end: string) => void;
  /** The role's rule puts the grant under approval: ask its approvers instead. */
  onNeedsApproval: () => void;
}

export function ExtendGrantDialog({ grant, settings, onClose, onExtended, onNeedsApproval }: ExtendGrantDialogProps) {
  const now = useNow();
  const longer = durationChoices(settings.defaultDurationMinutes, settings.maxDurationMinutes).filter((m) => now + m * 60_000 > Date.parse(grant.end) + 60_000);
  const [duration, setDuration] = useState(longer[0] ?? settings.maxDurationMinutes);
  // Grants written by someone else carry no justification to keep: the user gives one.
  const needsJustification = grant.approval.type === 'unknown';
  const [justification, setJustification] = useState('');
  const [submitAttempts, setSubmitAttempts] = useState(0);
  const { busy, error, send } = useSending();

  async function submit(event: FormEvent) {
    event.preventDefault();
    setSubmitAttempts((n) => n + 1);
    if (needsJustification && justificationProblem(justification, settingsRules(settings))) return;
    await send(async () => {
      const result = await api.extendGrant(grant.id, { durationMinutes: duration, justification: needsJustification ? justification : undefined });
      onExtended(result.grant.end);
    });
  }

  return (
    <Dialog title="Extend access" onClose={onClose} busy={busy}>
      <form onSubmit={submit} noValidate>
        <p>
          <RoleName entry={grant} /> on <strong>{grant.projectId}</strong> lasts until {formatTime(grant.end)}.
        </p>
        {longer.length === 0 ? (
          <Notice kind="info" title="It cannot last any longer yet">
            <p>Access lasts at most {formatDuration(settings.maxDurationMinutes)} from when it is granted or extended. Extend it later, when less time is left.</p>
          </Notice>
        ) : (
          <DurationField
            label="Let it last, from now"
            choices={longer}
            value={duration}
            onChange={setDuration}
            help={`It will end at ${formatTime(new Date(now + duration * 60_000).toISOString())}.`}
            disabled={busy}
          />
        )}
        {needsJustification && <JustificationField value={justification} onChange={setJustification} rules={settingsRules(settings)} disabled={busy} submitAttempts={submitAttempts} />}
        {error && <ErrorNotice context="form" title="The access was not extended" error={error} />}
        {error instanceof ApiError && error.code === 'APPROVAL_REQUIRED' && (
          <p>
            <button type="button" className="button" onClick={onNeedsApproval}>
              Request extension instead
            </button>
          </p>
        )}
        <div className="dialog-actions">
          <button type="button" className="button" onClick={onClose} disabled={busy}>
            Cancel
          </button>
          <button type="submit" className="button button-primary" disabled={busy || longer.length === 0}>
            {busy ? 'Extending…' : 'Extend'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
