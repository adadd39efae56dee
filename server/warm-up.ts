// What start-up leaves to the first request — jose, google-auth-library, the googleapis modules, CEL, about
// half a second of CPU here — loaded right after the first request arrives, one module per turn of the
// event loop. Node cannot load a module while it runs other code, but it can while a request waits for
// the network: the first user request waits for IAP's keys and for Google, and meanwhile the modules it
// needs next are loaded. Warming starts with the first request rather than at `listen` so that a
// readiness probe, which needs none of this, is not kept waiting by it; a health-only start warms once
// the probe is answered.
import type { NextFunction, Request, Response } from 'express';
import { canonicalCondition } from './domain/condition';
import { jose } from './jose';

/** In the order a user's first request needs them. */
const STEPS: (() => void)[] = [
  () => jose(),
  () => require('google-auth-library'),
  () => require('googleapis/build/src/apis/cloudresourcemanager/v3'),
  () => require('googleapis/build/src/apis/cloudasset/v1'),
  () => require('googleapis/build/src/apis/cloudidentity/v1'),
  // Parsing a condition loads CEL and builds what its first parse builds.
  () => canonicalCondition('has({}.jitAccessConstraint) && resource.name.startsWith("projects/_")'),
];

export class WarmUp {
  private started = false;

  constructor(private readonly steps: readonly (() => void)[] = STEPS) {}

  /** Express middleware: the first request starts warming, at once or after its answer (health checks). */
  readonly onRequest = (req: Request, res: Response, next: NextFunction): void => {
    if (!this.started) {
      if (req.path.startsWith('/health/')) res.once('finish', () => this.start());
      else this.start();
    }
    next();
  };

  start(): void {
    if (this.started) return;
    this.started = true;
    const run = (i: number) => {
      if (i >= this.steps.length) return;
      try {
        this.steps[i]();
      } catch (e) {
        // A module that fails to load fails the request that needs it, with its own error; not here.
        console.error(JSON.stringify({ severity: 'WARNING', message: `Warming up after start failed: ${(e as Error).message}` }));
      }
      setImmediate(() => run(i + 1));
    };
    setImmediate(() => run(0));
  }
}
