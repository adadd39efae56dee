// The justification input: the hints of the rules that apply as help text (the form it must have, the
// ticket it must name), and the rules checked while typing.
import { useEffect, useId, useRef, useState } from 'react';
import { asSentence } from '../format';
import { justificationProblem, ticketHint } from '../justification';
import type { JustificationRules } from '../role-rules';

interface JustificationFieldProps {
  value: string;
  onChange: (text: string) => void;
  rules: JustificationRules;
  disabled?: boolean;
  /** How often the form was submitted: from the first time, an untouched field shows its problem too. */
  submitAttempts: number;
}

export function JustificationField({ value, onChange, rules, disabled, submitAttempts }: JustificationFieldProps) {
  const id = useId();
  const input = useRef<HTMLInputElement>(null);
  const [touched, setTouched] = useState(false);
  const problem = justificationProblem(value, rules);
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
        maxLength={rules.maxLength}
        disabled={disabled}
        aria-invalid={visibleProblem ? true : undefined}
        aria-describedby={`${id}-hint${rules.tickets.length > 0 ? ` ${id}-ticket` : ''} ${id}-problem`}
        onChange={(event) => {
          onChange(event.target.value);
          if (event.target.value !== '') setTouched(true);
        }}
        onBlur={() => setTouched(true)}
      />
      <p id={`${id}-hint`} className="field-help">
        {rules.patterns.map((p) => asSentence(p.hint)).join(' ')} It is logged and may be reviewed by an auditor.
      </p>
      {rules.tickets.length > 0 && (
        <p id={`${id}-ticket`} className="field-help">
          {rules.tickets.map(ticketHint).join(' ')}
        </p>
      )}
      <p id={`${id}-problem`} className={visibleProblem ? 'field-problem' : 'field-ok'} aria-live="polite">
        {visibleProblem || (touched && !problem ? 'Looks good.' : '')}
      </p>
    </div>
  );
}
