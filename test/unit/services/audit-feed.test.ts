import { AuditFeed } from '../../../server/services/audit-feed';
import { historyCsv, historyRowOf } from '../../../server/domain/audit-history';

describe('audit feed', () => {
  test('reads once per interval for every caller, only what it has not read, without repeats; earlier periods are read once', async () => {
    let now = new Date('2040-01-10T00:00:00Z').getTime();
    const entries = [{ insertId: 'a', timestamp: '2040-01-09T23:00:00Z', payload: { event: 'x' } }];
    const filters: string[] = [];
    const logging = {
      async listEntries(_project: string, filter: string) {
        filters.push(filter);
        return { entries: [...entries] };
      },
    };
    const feed = new AuditFeed(logging, { projectId: 'p', source: { readable: true, filter: 'logName="projects/p/logs/jitaccess"' }, pollIntervalMs: 15_000, maxAgeMs: 30 * 86_400_000 }, () => new Date(now));
    const day = (d: string) => new Date(`2040-01-${d}T00:00:00Z`);
    const [one, two] = await Promise.all([feed.since(day('09')), feed.since(day('09'))]);
    expect(one.records.map((r) => r.insertId)).toEqual(['a']);
    expect(two.records.map((r) => r.insertId)).toEqual(['a']);
    expect(filters).toEqual(['logName="projects/p/logs/jitaccess" AND timestamp>="2040-01-09T00:00:00.000Z"']);

    entries.push({ insertId: 'b', timestamp: '2040-01-10T00:00:10Z', payload: { event: 'y' } });
    now += 10_000;
    expect((await feed.since(day('09'))).records).toHaveLength(1);
    now += 10_000;
    expect((await feed.since(day('09'))).records.map((r) => r.insertId)).toEqual(['a', 'b']);
    expect(filters[1]).toBe('logName="projects/p/logs/jitaccess" AND timestamp>="2040-01-09T23:59:00.000Z"');

    await feed.since(day('08'));
    expect(filters[2]).toBe('logName="projects/p/logs/jitaccess" AND timestamp>="2040-01-08T00:00:00.000Z" AND timestamp<"2040-01-09T00:00:00.000Z"');
    expect(filters).toHaveLength(3);
  });
});

test("an entry this instance wrote is listed at once, and the read that later returns it adds no second copy", async () => {
  const now = new Date('2040-01-10T00:00:00Z').getTime();
  const entries: { insertId: string; timestamp: string; payload: Record<string, unknown> }[] = [];
  let reads = 0;
  const logging = {
    async listEntries() {
      reads++;
      return { entries: [...entries] };
    },
  };
  const feed = new AuditFeed(logging, { projectId: 'p', source: { readable: true, filter: 'logName="projects/p/logs/jitaccess"' }, pollIntervalMs: 0, maxAgeMs: 86_400_000 }, () => new Date(now));
  await feed.since(new Date(now - 3_600_000));
  const written = { insertId: 'own-1', timestamp: new Date(now - 1000), payload: { event: 'request.created' } };
  feed.written(written);
  expect((await feed.since(new Date(now - 3_600_000))).records.map((r) => r.insertId)).toEqual(['own-1']);
  entries.push({ insertId: 'own-1', timestamp: written.timestamp.toISOString(), payload: written.payload });
  expect((await feed.since(new Date(now - 3_600_000))).records.map((r) => r.insertId)).toEqual(['own-1']);
  expect(reads).toBe(3);
});

describe('history CSV', () => {
  test('quotes what needs quoting and defuses cells a spreadsheet would run as formulas', () => {
    const row = historyRowOf(new Date('2040-01-01T00:00:00Z'), { event: 'grant.revoked', outcome: 'success', user: { email: 'A@x.com' }, beneficiary: 'b@x.com', project: 'p-1', roles: [{ role: 'roles/owner' }], message: '=cmd, "quoted"' });
    expect(historyRowOf(new Date(), { event: 'roles.list.failed' })).toBeNull();
    expect(historyCsv([row!])).toBe('time,event,outcome,actor,beneficiary,project,roles,message\r\n2040-01-01T00:00:00.000Z,grant.revoked,success,a@x.com,b@x.com,p-1,roles/owner,"\'=cmd, ""quoted"""\r\n');
  });
});

test('a log that cannot be read back fails every read with the reason, without calling Cloud Logging', async () => {
  let reads = 0;
  const logging = {
    async listEntries() {
      reads++;
      return { entries: [] };
    },
  };
  const feed = new AuditFeed(logging, { projectId: 'p', source: { readable: false, reason: 'nothing ships stdout here' }, pollIntervalMs: 0, maxAgeMs: 86_400_000 });
  await expect(feed.since(new Date(Date.now() - 60_000))).rejects.toMatchObject({ httpStatus: 503, code: 'AUDIT_LOG_UNREADABLE', message: 'nothing ships stdout here' });
  await expect(feed.since(new Date(Date.now() - 60_000))).rejects.toMatchObject({ code: 'AUDIT_LOG_UNREADABLE' });
  expect(reads).toBe(0);
});
