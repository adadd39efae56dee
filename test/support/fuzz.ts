// Settings of the fuzz tests. `npm test` runs a few cases per property with a fixed seed, so a failure
// reproduces; `npm run fuzz` runs many more (FUZZ_RUNS, default 2000 per property) with a new seed each
// time, printed so that a failure can be replayed with FUZZ_SEED.
import type { Parameters } from 'fast-check';

const FIXED_SEED = 20_261_121;
/** npm sets this to the script it runs. */
const isLongRun = process.env.npm_lifecycle_event === 'fuzz';

export const fuzzSeed: number = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : isLongRun ? Date.now() % 2 ** 31 : FIXED_SEED;

/** How many cases a property runs: `quick` in `npm test`, FUZZ_RUNS (or 2000) under `npm run fuzz`. */
export function fuzzRuns(quick: number): number {
  if (process.env.FUZZ_RUNS) return Number(process.env.FUZZ_RUNS);
  return isLongRun ? 2000 : quick;
}

export function fuzzParameters<T>(quick: number): Parameters<T> {
  return { numRuns: fuzzRuns(quick), seed: fuzzSeed };
}

/** Counts the cases each property ran, and prints them when the file is done. */
export class CaseCounter {
  private readonly counts = new Map<string, number>();

  constructor(private readonly what: string) {}

  count(property: string): void {
    this.counts.set(property, (this.counts.get(property) ?? 0) + 1);
  }

  /** Prints the counts, and `outcomes` (what the cases ended in) when given. */
  report(outcomes?: string): void {
    const total = [...this.counts.values()].reduce((a, b) => a + b, 0);
    const lines = [...this.counts].map(([property, n]) => `  ${String(n).padStart(6)}  ${property}`).join('\n');
    console.log(`${this.what}: ${total} cases (seed ${fuzzSeed}; FUZZ_SEED=${fuzzSeed} replays them)${outcomes ? `; ${outcomes}` : ''}\n${lines}`);
  }
}
