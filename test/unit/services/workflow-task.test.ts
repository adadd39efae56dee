import { WorkflowTask, type WorkflowPass } from '../../../server/services/workflow-task';
import type { AuditEvent } from '../../../server/services/audit';

const RUN = { dryRun: false, invoker: 'App Engine cron', publicUrl: 'https://jit.example.com' };

function recorder() {
  const events: AuditEvent[] = [];
  return { events, audit: { record: (e: AuditEvent) => void events.push(e), flush: async () => {} } };
}

const pass = (name: string, run: WorkflowPass['run']): WorkflowPass => ({ name, run });

describe('WorkflowTask', () => {
  test('runs every pass in order and reports each, audited as one run', async () => {
    const { events, audit } = recorder();
    const order: string[] = [];
    const task = new WorkflowTask(
      [
        pass('first', async () => (order.push('first'), { done: ['a'], pending: [], failures: [] })),
        pass('second', async (run) => (order.push(`second ${run.dryRun}`), { done: [], pending: ['b'], failures: [{ id: 'c', message: 'mail server down' }] })),
      ],
      audit,
    );
    const report = await task.run(RUN);
    expect(order).toEqual(['first', 'second false']);
    expect(report).toEqual({
      dryRun: false,
      passes: [
        { name: 'first', done: ['a'], pending: [], failures: [] },
        { name: 'second', done: [], pending: ['b'], failures: [{ id: 'c', message: 'mail server down' }] },
      ],
    });
    expect(events).toMatchObject([{ event: 'workflows.run', outcome: 'failure', invoker: 'App Engine cron', passes: [{ name: 'first', done: 1 }, { name: 'second', pending: 1, failures: 1 }] }]);
  });

  test('a pass that throws is reported and audited, and the passes after it still run', async () => {
    const { events, audit } = recorder();
    const task = new WorkflowTask(
      [
        pass('broken', async () => {
          throw new Error('Cloud Logging unavailable');
        }),
        pass('after', async () => ({ done: ['x'], pending: [], failures: [] })),
      ],
      audit,
    );
    const report = await task.run(RUN);
    expect(report.passes[0]).toEqual({ name: 'broken', done: [], pending: [], failures: [{ id: '*', message: expect.stringContaining('Cloud Logging unavailable') }] });
    expect(report.passes[1]).toEqual({ name: 'after', done: ['x'], pending: [], failures: [] });
    expect(events.map((e) => e.event)).toEqual(['workflows.pass.failed', 'workflows.run']);
  });
});
