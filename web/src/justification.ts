// The server's justification rules, checked as the user types so that mistakes show before submitting.
// The server checks again; this only saves a round trip.
import type { MeResponse } from '../../server/api/schemas';
import { asSentence } from './format';

type Settings = MeResponse['settings'];

const CONTROL_CHARACTER = /[\p{Cc}\p{Zl}\p{Zp}]/u;

function wholeMatch(pattern: string): RegExp | undefined {
  try {
    return new RegExp(`^(?:${pattern})$`, 'u');
  } catch {
    // A pattern this browser cannot compile is left to the server to judge.
    return undefined;
  }
}

/** Null when acceptable, otherwise what to change. */
export function justificationProblem(text: string, settings: Settings): string | null {
  if (text.trim() === '') return 'Enter a justification.';
  if (text.length > settings.justificationMaxLength) {
    return `Shorten it to ${settings.justificationMaxLength} characters (it has ${text.length}).`;
  }
  if (CONTROL_CHARACTER.test(text)) return 'Use a single line of text.';
  if (wholeMatch(settings.justificationPattern)?.test(text) === false) {
    return `It does not have the expected form. ${asSentence(settings.justificationHint)}`;
  }
  return null;
}
