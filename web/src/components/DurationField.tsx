// How long access lasts: a list of sensible choices rather than free input, so every choice is valid.
import { useId } from 'react';
import { formatDuration } from '../format';

const CHOICES = [5, 10, 15, 30, 45, 60, 90, 120, 180, 240, 360, 480, 720, 1440];

/** The usual steps up to the maximum, with the configured default and the maximum themselves. */
export function durationChoices(defaultMinutes: number, maxMinutes: number): number[] {
  const choices = new Set(CHOICES.filter((m) => m <= maxMinutes));
  choices.add(Math.min(defaultMinutes, maxMinutes));
  choices.add(maxMinutes);
  return [...choices].sort((a, b) => a - b);
}

interface DurationFieldProps {
  label: string;
  choices: number[];
  value: number;
  onChange: (minutes: number) => void;
  help: string;
  disabled?: boolean;
}

export function DurationField({ label, choices, value, onChange, help, disabled }: DurationFieldProps) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select id={id} value={value} disabled={disabled} aria-describedby={`${id}-help`} onChange={(event) => onChange(Number(event.target.value))}>
        {choices.map((minutes) => (
          <option key={minutes} value={minutes}>
            {formatDuration(minutes)}
          </option>
        ))}
      </select>
      <p id={`${id}-help`} className="field-help">
        {help}
      </p>
    </div>
  );
}
