// The server's justification rules, checked as the user types so that mistakes show before submitting.
// The server checks again; this only saves a round trip.
import { asSentence } from './format';
import type { JustificationRules, TextRule } from './role-rules';

const CONTROL_CHARACTER = /[\p{Cc}\p{Zl}\p{Zp}]/u;

function compiled(pattern: string, whole: boolean): RegExp | undefined {
  try {
    new RegExp(pattern, 'u');
    return new RegExp(whole ? `^(?:${pattern})$` : pattern, 'u');
  } catch {
    // A pattern this browser cannot compile is left to the server to judge.
    return undefined;
  }
}

/** "Include a ticket: a change ticket such as CHG-1234." */
export function ticketHint(ticket: TextRule): string {
  return `Include a ticket: ${asSentence(ticket.hint)}`;
}

/** Null when acceptable, otherwise what to change. */
export function justificationProblem(text: string, rules: JustificationRules): string | null {
  if (text.trim() === '') return 'Enter a justification.';
  if (text.length > rules.maxLength) {
    return `Shorten it to ${rules.maxLength} characters (it has ${text.length}).`;
  }
  if (CONTROL_CHARACTER.test(text)) return 'Use a single line of text.';
  const unmet = rules.patterns.find((p) => compiled(p.pattern, true)?.test(text) === false);
  if (unmet) return `It does not have the expected form. ${asSentence(unmet.hint)}`;
  const missing = rules.tickets.find((t) => compiled(t.pattern, false)?.test(text) === false);
  if (missing) return `It names no ticket. ${ticketHint(missing)}`;
  return null;
}
