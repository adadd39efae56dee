// The demo's scheduler calls the scheduled tasks as Cloud Scheduler does: an OIDC token of the invoker
// account, minted by the emulator for the task's URL. The service runs them for that account only.
import { runTask, type TaskTarget } from '../../scripts/demo-scheduler';
import { DEPLOYER, startStack, type Stack } from '../support/stack';

const PUBLIC_URL = 'https://jit.example.com';

describe('demo scheduler', () => {
  let stack: Stack;
  let target: TaskTarget;

  beforeAll(async () => {
    stack = await startStack({ env: { PUBLIC_URL, CLEANUP_INVOKER_SERVICE_ACCOUNT: DEPLOYER, CLEANUP_READS_PER_MINUTE: '100000', CLEANUP_WRITES_PER_MINUTE: '100000' } });
    target = { emulatorUrl: stack.emulator.url, serviceUrl: stack.url, publicUrl: PUBLIC_URL, invoker: DEPLOYER };
  });
  afterAll(() => stack?.close());

  test('runs the workflow task and the sweeper as the invoker account', async () => {
    const workflows = await runTask(target, 'workflows');
    expect(workflows.status).toBe(200);
    expect((workflows.body as { passes: { name: string }[] }).passes.map((p) => p.name)).toEqual(expect.arrayContaining(['escalation', 'scheduledStarts']));
    const cleanup = await runTask(target, 'cleanup');
    expect(cleanup.status).toBe(200);
    expect(cleanup.body).toMatchObject({ requestExpiryNotices: expect.any(Object) });
  });

  test('another account is refused, as the service refuses any caller but CLEANUP_INVOKER_SERVICE_ACCOUNT', async () => {
    const refused = await runTask({ ...target, invoker: 'jitaccess@jit-host.iam.gserviceaccount.com' }, 'workflows');
    expect(refused.status).toBe(403);
  });
});
