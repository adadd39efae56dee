/** The shortest activation, fixed as in jit-access 1.x. */
export const MIN_DURATION_MINUTES = 1;

/**
 * Null when `minutes` is an allowed activation duration (a whole number from 1 to `maxMinutes`),
 * otherwise a message that says what is wrong.
 */
export function checkDurationMinutes(minutes: number, maxMinutes: number): string | null {
  if (!Number.isInteger(minutes)) return `The activation duration must be a whole number of minutes, got ${minutes}`;
  if (minutes < MIN_DURATION_MINUTES) {
    return `The activation duration must be no shorter than ${MIN_DURATION_MINUTES} minutes`;
  }
  if (minutes > maxMinutes) return `The activation duration must be no longer than ${maxMinutes} minutes`;
  return null;
}

/** Activations start now, truncated to whole seconds like jit-access 1.x (conditions print seconds). */
export function startOfActivation(now: Date): Date {
  return new Date(Math.floor(now.getTime() / 1000) * 1000);
}

/** When an activation of `minutes` minutes that starts at `start` ends. */
export function endOfActivation(start: Date, minutes: number): Date {
  return new Date(start.getTime() + minutes * 60_000);
}
