// The service's clock: what "now" is for every decision that depends on time (grant windows, request and
// token expiry, IAP assertions, delays of the workflow task, audit timestamps). Production reads the system
// clock; tests move one together with the emulator's (test/support/stack.ts) to reach delays without waiting.
// How long the service's own work takes (retry budgets, cache ages, time-outs) is measured in real time.
export type Clock = () => Date;

export const systemClock: Clock = () => new Date();
