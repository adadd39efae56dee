// The justification input: the configured hint as help text, and the rules checked while typing.
import { useEffect, useId, useRef, useState } from 'react';
import type { MeResponse } from '../../../server/api/schemas';
import { asSentence } from '../format';
import { justificationProblem } from '../justification';

interface JustificationFieldProps {
  value: string;
  onChange: (text: string) => void;
  settings: MeResponse['settings'];
  disabled?: boolean;
  /** How often the form was submitted: from the first time, an untouched field shows its problem too. */
  submitAttempts: number;
}

export function JustificationField({ value, onChange, settings, disabled, submitAttempts }: JustificationFieldProps) {
  const id = useId();
  const input = useRef<HTMLInputElement>(null);
  const [touched, setTouched] = useState(false);
  const problem = justificationProblem(value, settings);
  const visibleProblem = (touched || submitAttempts > 0) && problem;

  // A submit that this field stopped takes the user to it.
  useEffect(() => {
    if (submitAttempts > 0 && problem) input.current?.focus();
    // Only a new attempt moves focus, not typing.
  }, [submitAttempts]);

  return (
    <div className="field">
      <label htmlFor={id}>Justification</label>
      <input
        ref={input}
        id={id}
        type="text"
        value={value}
        autoComplete="off"
        spellCheck={false}
        maxLength={settings.justificationMaxLength}
        disabled={disabled}
        aria-invalid={visibleProblem ? true : undefined}
        aria-describedby={`${id}-hint ${id}-problem`}
        onChange={(event) => {
          onChange(event.target.value);
          if (event.target.value !== '') setTouched(true);
        }}
        onBlur={() => setTouched(true)}
      />
      <p id={`${id}-hint`} className="field-help">
        {asSentence(settings.justificationHint)} It is logged and may be reviewed by an auditor.
      </p>
      <p id={`${id}-problem`} className={visibleProblem ? 'field-problem' : 'field-ok'} aria-live="polite">
        {visibleProblem || (touched && !problem ? 'Looks good.' : '')}
      </p>
    </div>
  );
}
