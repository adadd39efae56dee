/** The time window of an activation: from `start` to `end`, both inclusive as in jit-access 1.x. */
export interface Validity {
  readonly start: Date;
  readonly end: Date;
}

/** Whether `now` lies within the window, ends included. */
export function isCurrent(validity: Validity, now: Date): boolean {
  return validity.start.getTime() <= now.getTime() && now.getTime() <= validity.end.getTime();
}

/** Whether the window has passed: its end lies before `now`. */
export function isExpired(validity: Validity, now: Date): boolean {
  return validity.end.getTime() < now.getTime();
}
