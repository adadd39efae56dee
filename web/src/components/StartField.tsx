// When access starts: now, or later at a local date and time, no further ahead than the roles' rules allow
// (`scheduling.maxDelay`). Shown only where every role's rule allows a later start.
import { useId } from 'react';
import { formatDelay } from '../format';

export type StartChoice = { kind: 'now' } | { kind: 'later'; local: string };

/** `2040-01-01T09:30`, as a datetime-local input reads and writes it, in the browser's time zone. */
export function localInputValue(instant: number): string {
  const d = new Date(instant);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** The instant a later start names (ms), or null when none is filled in. */
export function startInstant(choice: StartChoice): number | null {
  if (choice.kind === 'now' || choice.local === '') return null;
  const instant = new Date(choice.local).getTime();
  return Number.isNaN(instant) ? null : instant;
}

/** What is wrong with the choice at `now`, in words; null when it is fine. */
export function startProblem(choice: StartChoice, now: number, maxDelayMinutes: number): string | null {
  if (choice.kind === 'now') return null;
  const instant = startInstant(choice);
  if (instant === null) return 'Choose the date and time the access starts.';
  if (instant <= now) return 'The start must be in the future.';
  if (instant > now + maxDelayMinutes * 60_000) return `The start can be at most ${formatDelay(maxDelayMinutes)} ahead.`;
  return null;
}

interface StartFieldProps {
  value: StartChoice;
  onChange: (choice: StartChoice) => void;
  now: number;
  maxDelayMinutes: number;
  /** The problem to show once the user tried to submit; null when none. */
  problem: string | null;
  disabled?: boolean;
}

export function StartField({ value, onChange, now, maxDelayMinutes, problem, disabled }: StartFieldProps) {
  const id = useId();
  return (
    <fieldset className="field" aria-describedby={`${id}-help`}>
      <legend>Start</legend>
      <label className="inline-choice">
        <input type="radio" name={`${id}-start`} checked={value.kind === 'now'} disabled={disabled} onChange={() => onChange({ kind: 'now' })} /> Now
      </label>
      <label className="inline-choice">
        <input
          type="radio"
          name={`${id}-start`}
          checked={value.kind === 'later'}
          disabled={disabled}
          onChange={() => onChange({ kind: 'later', local: localInputValue(now + 60 * 60_000) })}
        />{' '}
        Later
      </label>
      {value.kind === 'later' && (
        <label className="inline-choice">
          <span className="visually-hidden">Starts at</span>
          <input
            type="datetime-local"
            value={value.local}
            min={localInputValue(now)}
            max={localInputValue(now + maxDelayMinutes * 60_000)}
            disabled={disabled}
            aria-invalid={problem !== null}
            aria-describedby={problem ? `${id}-problem` : undefined}
            onChange={(event) => onChange({ kind: 'later', local: event.target.value })}
          />
        </label>
      )}
      <p id={`${id}-help`} className="field-help">
        Up to {formatDelay(maxDelayMinutes)} ahead. Eligibility and the rules are checked again when it starts.
      </p>
      {problem && (
        <p id={`${id}-problem`} className="field-problem" role="alert">
          {problem}
        </p>
      )}
    </fieldset>
  );
}
