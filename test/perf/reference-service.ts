// The service as production runs it (`node dist/server/main.js`), except that IAM policies are written the way jit-access 1.x writes
// them (reference §5.2): every activation its own read-modify-write, 4 attempts, a fixed 200 ms pause,
// retried on HTTP 412 only. The benchmark runs it beside the real service as the baseline.
import { loadConfig } from '../../server/config';
import { startServer, type WriteStrategy } from '../../server/main';

export const REFERENCE_WRITES: WriteStrategy = {
  coalesce: false,
  retry: { budgetMs: Number.POSITIVE_INFINITY, baseDelayMs: 200, maxDelayMs: 200, conflictStatuses: [412], maxAttempts: 4, jitter: false, readBackAttempts: 0, readBackIntervalMs: 0 },
};

if (require.main === module) {
  startServer(loadConfig(), REFERENCE_WRITES).then(
    ({ url }) => console.log(`reference writer listening on ${url}`),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
