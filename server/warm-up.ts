// What start-up leaves to the first request — jose, google-auth-library, the googleapis modules, about a
// third of a second of CPU here — loaded right after the first request arrives, one module per turn of the
// event loop. Node cannot load a module while it runs other code, but it can while a request waits for
// the network: the first user request waits for IAP's keys and for Google, and meanwhile the modules it
// needs next are loaded. Warming starts with the first request rather than at `listen` so that a
// readiness probe, which needs none of this, is not kept waiting by it; a health-only start warms once
// the probe is answered. CEL, slower to load than all of these together and needed only for conditions
// other than the plain eligibility markers, is loaded only while no user request is in flight (and, when
// users came first, after the first answer): loaded while one waits, it holds up an answer it is not
// needed for — as it did when a readiness probe started warming and the first user arrived right after.
import type { NextFunction, Request, Response } from 'express';
import { canonicalCondition } from './domain/condition';
import { jose } from './jose';

/** In the order a user's first request needs them. */
const FIRST_REQUEST_STEPS: (() => void)[] = [
  () => jose(),
  () => require('google-auth-library'),
  () => require('googleapis/build/src/apis/cloudresourcemanager/v3'),
  () => require('googleapis/build/src/apis/cloudasset/v1'),
  () => require('googleapis/build/src/apis/cloudidentity/v1'),
  () => require('googleapis/build/src/apis/iam/v1'),
];

const AFTER_FIRST_ANSWER_STEPS: (() => void)[] = [
  // Parsing a condition loads CEL and builds what its first parse builds.
  () => canonicalCondition('has({}.jitAccessConstraint) && resource.name.startsWith("projects/_")'),
];

export class WarmUp {
  private started = false;
  private laterStarted = false;
  private inFlight = 0;
  /** The later step that waits for no user request to be in flight. */
  private waitingForIdle?: () => void;

  constructor(
    private readonly steps: readonly (() => void)[] = FIRST_REQUEST_STEPS,
    private readonly later: readonly (() => void)[] = AFTER_FIRST_ANSWER_STEPS,
  ) {}

  /**
   * Express middleware: the first request starts warming, at once or after its answer (health checks);
   * the later steps follow the first answer to a request that is not a health check, and run only while
   * no such request is in flight.
   */
  readonly onRequest = (req: Request, res: Response, next: NextFunction): void => {
    const health = req.path.startsWith('/health/');
    if (!health) {
      this.inFlight++;
      res.once('close', () => this.requestClosed());
    }
    if (!this.started) {
      if (health) {
        res.once('close', () => this.start());
      } else {
        this.run(this.steps, () => {});
        this.started = true;
        res.once('close', () => this.startLater());
      }
    }
    next();
  };

  /** Warms everything, the later steps after the others. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.run(this.steps, () => this.startLater());
  }

  private startLater(): void {
    if (this.laterStarted) return;
    this.laterStarted = true;
    this.run(this.later, () => {}, true);
  }

  private requestClosed(): void {
    this.inFlight--;
    const waiting = this.waitingForIdle;
    if (this.inFlight > 0 || !waiting) return;
    this.waitingForIdle = undefined;
    setImmediate(waiting);
  }

  private run(steps: readonly (() => void)[], then: () => void, onlyWhenIdle = false): void {
    const step = (i: number) => {
      if (i >= steps.length) return then();
      if (onlyWhenIdle && this.inFlight > 0) {
        this.waitingForIdle = () => step(i);
        return;
      }
      try {
        steps[i]();
      } catch (e) {
        // A module that fails to load fails the request that needs it, with its own error; not here.
        console.error(JSON.stringify({ severity: 'WARNING', message: `Warming up after start failed: ${(e as Error).message}` }));
      }
      setImmediate(() => step(i + 1));
    };
    setImmediate(() => step(0));
  }
}
