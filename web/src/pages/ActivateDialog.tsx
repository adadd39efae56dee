// Activating self-approval roles: a justification and a duration, then one call that grants them all. The
// form follows each role's rule (durations, justification, ticket, schedule), the strictest where they differ.
import { useState, type FormEvent } from 'react';
import type { MeResponse, Role } from '../../../server/api/schemas';
import { api, type ActivationResponse, type ScheduledActivationResponse } from '../api';
import { Dialog } from '../components/Dialog';
import { DurationField, durationChoices } from '../components/DurationField';
import { JustificationField } from '../components/JustificationField';
import { ErrorNotice } from '../components/Notice';
import { RoleName } from '../components/RoleName';
import { RuleNotices } from '../components/RuleNotices';
import { StartField, startInstant, startProblem, type StartChoice } from '../components/StartField';
import { formatDuration, formatTime } from '../format';
import { justificationProblem } from '../justification';
import { dialogRules, ruleName } from '../role-rules';
import { useNow } from '../use-now';
import { useSending } from '../use-sending';

interface ActivateDialogProps {
  projectId: string;
  roles: Role[];
  settings: MeResponse['settings'];
  onClose: () => void;
  onActivated: (result: ActivationResponse) => void;
  /** The roles were scheduled to start later (offered where every role's rule allows it). */
  onScheduled: (result: ScheduledActivationResponse) => void;
}

export function ActivateDialog({ projectId, roles, settings, onClose, onActivated, onScheduled }: ActivateDialogProps) {
  const now = useNow();
  const rules = dialogRules(roles, settings);
  const [justification, setJustification] = useState('');
  const [duration, setDuration] = useState(rules.defaultDurationMinutes);
  const [start, setStart] = useState<StartChoice>({ kind: 'now' });
  const startIssue = rules.maxStartDelayMinutes === null ? null : startProblem(start, now, rules.maxStartDelayMinutes);
  const startsAt = startInstant(start) ?? now;
  const [submitAttempts, setSubmitAttempts] = useState(0);
  const { busy, error, send } = useSending();

  async function submit(event: FormEvent) {
    event.preventDefault();
    setSubmitAttempts((n) => n + 1);
    const later = start.kind === 'later' ? startInstant(start) : null;
    // A later start is checked against the schedule's windows at that time, by the server.
    if ((rules.blocked && later === null) || justificationProblem(justification, rules) || startIssue) return;
    const body = { roles: roles.map((r) => r.id), justification, durationMinutes: duration };
    await send(async () => {
      if (later !== null) onScheduled(await api.scheduleActivation(projectId, { ...body, start: new Date(later).toISOString() }));
      else onActivated(await api.activate(projectId, body));
    });
  }

  return (
    <Dialog title={roles.length === 1 ? 'Activate role' : `Activate ${roles.length} roles`} onClose={onClose} busy={busy}>
      <form onSubmit={submit} noValidate>
        <p>On project <strong>{projectId}</strong>:</p>
        <ul className="role-list">
          {roles.map((role) => (
            <li key={role.id}>
              <RoleName entry={role} withDescription />
              {role.status === 'active' && role.activeUntil && <span className="grant-outcome">{activeNote(role.activeUntil, now + duration * 60_000)}</span>}
            </li>
          ))}
        </ul>
        <RuleNotices rules={rules} />
        <JustificationField value={justification} onChange={setJustification} rules={rules} disabled={busy} submitAttempts={submitAttempts} />
        {rules.maxStartDelayMinutes !== null && (
          <StartField value={start} onChange={setStart} now={now} maxDelayMinutes={rules.maxStartDelayMinutes} problem={submitAttempts > 0 ? startIssue : null} disabled={busy} />
        )}
        <DurationField
          label="For how long"
          choices={durationChoices(rules.defaultDurationMinutes, rules.maxDurationMinutes)}
          value={duration}
          onChange={setDuration}
          help={`It will end at ${formatTime(new Date(startsAt + duration * 60_000).toISOString())}. At most ${formatDuration(rules.maxDurationMinutes)}${rules.maxDurationRule ? ` (rule ${ruleName(rules.maxDurationRule)})` : ''}.`}
          disabled={busy}
        />
        {error && <ErrorNotice context="form" title={roles.length === 1 ? 'The role was not activated' : 'The roles were not activated'} error={error} />}
        <div className="dialog-actions">
          <button type="button" className="button" onClick={onClose} disabled={busy}>
            Cancel
          </button>
          <button type="submit" className="button button-primary" disabled={busy || (rules.blocked !== null && start.kind === 'now')}>
            {start.kind === 'later' ? (busy ? 'Scheduling…' : 'Schedule') : busy ? 'Activating…' : 'Activate'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

/** For a role already active: its current end, and what activating it again does to it (never shortens it). */
function activeNote(activeUntil: string, newEnd: number): string {
  const current = formatTime(activeUntil);
  // Ends are kept to the minute on screen; a later end within the same minute is no change worth telling.
  if (newEnd - Date.parse(activeUntil) >= 60_000) return `Active until ${current}: it will then last until ${formatTime(new Date(newEnd).toISOString())}.`;
  return `Active until ${current}, which is as long or longer: it stays as it is.`;
}
