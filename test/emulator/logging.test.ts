// Cloud Logging entries.write / entries.list through googleapis and @google-cloud/logging (REST fallback).
import { Logging, type LoggingOptions } from '@google-cloud/logging';
import { bearer, demoWorld, expectGoogleError, googleClients, startTestEmulator } from '../support/emulator';
import type { RunningEmulator } from '../../emulator/server';

let emulator: RunningEmulator;
let logging: ReturnType<typeof googleClients>['logging'];

beforeAll(async () => {
  process.env.METADATA_SERVER_DETECTION = 'none';
  const world = demoWorld();
  world.callers = { 'alice-token': 'user:alice@example.com' };
  emulator = await startTestEmulator(world);
  logging = googleClients(emulator).logging;
});
afterAll(() => emulator.close());

const write = (requestBody: object, client = logging) => client.entries.write({ requestBody });
const list = (requestBody: object, client = logging) => client.entries.list({ requestBody });
const ids = (entries: { insertId?: string | null }[] | undefined) => (entries ?? []).map((e) => e.insertId);

describe('entries.write', () => {
  it('applies request-level defaults and fills timestamp, insertId, receiveTimestamp and the project label', async () => {
    const before = Date.now();
    await write({
      logName: 'projects/300000000000/logs/jitaccess%2Faudit',
      resource: { type: 'global' },
      labels: { app: 'jit', env: 'default' },
      entries: [
        { severity: 'NOTICE', labels: { env: 'prod', 'event/id': 'api.activateRole' }, jsonPayload: { user: 'alice@example.com' } },
        { severity: 500, textPayload: 'boom' },
      ],
    });
    const { data } = await list({ resourceNames: ['projects/jit-host'], filter: 'logName="projects/jit-host/logs/jitaccess%2Faudit"' });
    expect(data.entries).toHaveLength(2);
    const [first, second] = data.entries!;
    expect(first).toEqual({
      logName: 'projects/jit-host/logs/jitaccess%2Faudit',
      resource: { type: 'global', labels: { project_id: 'jit-host' } },
      timestamp: expect.any(String),
      receiveTimestamp: expect.any(String),
      severity: 'NOTICE',
      insertId: expect.any(String),
      labels: { app: 'jit', env: 'prod', 'event/id': 'api.activateRole' },
      jsonPayload: { user: 'alice@example.com' },
    });
    expect(new Date(first.timestamp!).getTime()).toBeGreaterThanOrEqual(before - 1000);
    expect(second).toMatchObject({ severity: 'ERROR', textPayload: 'boom', labels: { app: 'jit', env: 'default' } });
    expect(first.insertId! < second.insertId!).toBe(true);
  });

  it('keeps given timestamps and insertIds, and drops an exact duplicate (a client retry)', async () => {
    const entry = { logName: 'projects/jit-host/logs/dedupe', resource: { type: 'global' }, insertId: 'same', timestamp: '2024-05-01T10:30:00.123456789+02:00', textPayload: 'x' };
    await write({ entries: [entry] });
    await write({ entries: [entry] });
    const { data } = await list({ resourceNames: ['projects/jit-host'], filter: 'logName="projects/jit-host/logs/dedupe"' });
    expect(data.entries!.map((e) => [e.insertId, e.timestamp])).toEqual([['same', '2024-05-01T08:30:00.123456789Z']]);
  });

  it.each([
    ['two payloads', { entries: [{ logName: 'projects/jit-host/logs/x', resource: { type: 'global' }, textPayload: 'a', jsonPayload: { a: 1 } }] }, /Oneof field 'payload' is already set/],
    ['an unencoded slash in the log id', { logName: 'projects/jit-host/logs/a/b', resource: { type: 'global' }, entries: [{ textPayload: 'a' }] }, /Invalid log name/],
    ['a space in the log id', { logName: 'projects/jit-host/logs/a%20b', resource: { type: 'global' }, entries: [{ textPayload: 'a' }] }, /Invalid log name/],
    ['no resource', { logName: 'projects/jit-host/logs/x', entries: [{ textPayload: 'a' }] }, /monitored resource with a type is required/],
    ['an unknown resource type', { logName: 'projects/jit-host/logs/x', resource: { type: 'spaceship' }, entries: [{ textPayload: 'a' }] }, /Unsupported monitored resource type "spaceship"/],
    ['an unknown resource label', { logName: 'projects/jit-host/logs/x', resource: { type: 'global', labels: { zone: 'a' } }, entries: [{ textPayload: 'a' }] }, /has no label "zone"/],
    ['an unknown severity', { logName: 'projects/jit-host/logs/x', resource: { type: 'global' }, entries: [{ severity: 'LOUD', textPayload: 'a' }] }, /entries\[0\]\.severity/],
    ['a malformed timestamp', { logName: 'projects/jit-host/logs/x', resource: { type: 'global' }, entries: [{ timestamp: 'yesterday', textPayload: 'a' }] }, /entries\[0\]\.timestamp/],
    ['no entries', { logName: 'projects/jit-host/logs/x', resource: { type: 'global' }, entries: [] }, /at least one log entry/],
    ['an unknown field', { logName: 'projects/jit-host/logs/x', resource: { type: 'global' }, entries: [{ textPayload: 'a', colour: 'red' }] }, /Unknown name "colour"/],
  ])('rejects %s with 400 and stores nothing', async (_case, body, message) => {
    const before = emulator.state.logEntries.length;
    const err = await expectGoogleError(write(body), 400);
    expect(err).toMatchObject({ status: 'INVALID_ARGUMENT', message: expect.stringMatching(message) });
    expect(emulator.state.logEntries.length).toBe(before);
  });

  it('with partialSuccess writes the valid entries and reports the others by index', async () => {
    const body = {
      logName: 'projects/jit-host/logs/partial',
      resource: { type: 'global' },
      entries: [{ textPayload: 'good' }, { logName: 'projects/jit-host/logs/bad%20name', textPayload: 'bad' }],
    };
    const all = await expectGoogleError(write(body), 400);
    expect(all.message).toMatch(/^entries\[1\]: Invalid log name/);
    expect((await list({ resourceNames: ['projects/jit-host'], filter: 'logName="projects/jit-host/logs/partial"' })).data.entries).toBeUndefined();

    const partial = await expectGoogleError(write({ ...body, partialSuccess: true }), 400);
    expect((partial as unknown as { details: unknown[] }).details).toEqual([
      { '@type': 'type.googleapis.com/google.logging.v2.WriteLogEntriesPartialErrors', logEntryErrors: { '1': { code: 3, message: expect.stringMatching(/Invalid log name/) } } },
    ]);
    expect(ids((await list({ resourceNames: ['projects/jit-host'], filter: 'logName="projects/jit-host/logs/partial"' })).data.entries)).toHaveLength(1);
  });

  it('validates but stores nothing on dryRun', async () => {
    await write({ logName: 'projects/jit-host/logs/dry', resource: { type: 'global' }, dryRun: true, entries: [{ textPayload: 'a' }] });
    expect(emulator.state.logEntries.some((e) => e.logName === 'projects/jit-host/logs/dry')).toBe(false);
  });

  it('denies a caller without logging.logEntries.create, naming the permission', async () => {
    const alice = googleClients(emulator, 'alice-token').logging;
    const err = await expectGoogleError(alice.entries.write({ requestBody: { logName: 'projects/jit-host/logs/x', resource: { type: 'global' }, entries: [{ textPayload: 'a' }] } }), 403);
    expect(err).toMatchObject({ status: 'PERMISSION_DENIED', message: "Permission 'logging.logEntries.create' denied on resource (or it may not exist)." });
    expect((err as unknown as { details: { metadata: object }[] }).details[0].metadata).toEqual({ permission: 'logging.logEntries.create', resource: 'projects/jit-host' });
    expect(emulator.state.calls.get('logging.entries.write')).toBeGreaterThan(0);
  });
});

describe('entries.list', () => {
  const LOG = 'projects/jit-host/logs/filters';
  const T0 = Date.parse('2030-01-01T00:00:00Z');
  const at = (s: number) => new Date(T0 + s * 1000).toISOString();

  beforeAll(async () => {
    await write({
      logName: LOG,
      resource: { type: 'global' },
      entries: [
        { insertId: 'e1', timestamp: at(0), severity: 'INFO', labels: { 'event/id': 'api.activateRole', env: 'prod' }, jsonPayload: { user: { email: 'alice@example.com' }, action: 'activate' } },
        { insertId: 'e2', timestamp: at(1), severity: 'WARNING', labels: { 'event/id': 'api.requestRole' }, textPayload: 'Approval requested by Bob' },
        { insertId: 'e3', timestamp: at(2), severity: 'ERROR', resource: { type: 'gae_app', labels: { module_id: 'default' } }, jsonPayload: { user: { email: 'bob@example.com' }, count: 5 } },
        { insertId: 'e4', timestamp: at(3), textPayload: 'plain' },
      ],
    });
  });

  const search = async (filter: string, extra: object = {}) => ids((await list({ resourceNames: ['projects/jit-host'], filter: `logName="${LOG}" AND (${filter})`, ...extra })).data.entries);

  it.each([
    ['severity>=WARNING', ['e2', 'e3']],
    ['severity >= 400', ['e2', 'e3']],
    ['severity=info', ['e1']],
    ['severity<NOTICE', ['e1', 'e4']],
    ['labels."event/id"="api.activateRole"', ['e1']],
    ['labels.env=prod', ['e1']],
    ['jsonPayload.user.email="bob@example.com"', ['e3']],
    ['jsonPayload.count>3', ['e3']],
    ['textPayload:approval', ['e2']],
    ['resource.type="gae_app"', ['e3']],
    ['resource.labels.module_id="default"', ['e3']],
    ['insertId="e4"', ['e4']],
    [`timestamp>="${at(1)}" AND timestamp<"${at(3)}"`, ['e2', 'e3']],
    ['severity=ERROR OR severity=INFO', ['e1', 'e3']],
    ['-textPayload:*', ['e1', 'e3']],
    ['NOT severity>=WARNING', ['e1', 'e4']],
    ['labels."event/id"!="api.requestRole"', ['e1', 'e3', 'e4']],
    ['severity>=WARNING -resource.type="gae_app"', ['e2']],
    // OR binds tighter than AND in the Logging query language.
    ['severity=INFO OR severity=ERROR AND jsonPayload.user.email="bob@example.com"', ['e3']],
    ['resource.type=("gae_app" OR "global")', ['e1', 'e2', 'e3', 'e4']],
    ['"alice@example.com"', ['e1']],
    ['jsonPayload.action=~"^act"', ['e1']],
  ])('filters %s', async (filter, expected) => {
    expect(await search(filter)).toEqual(expected);
  });

  it('orders by timestamp ascending by default, descending on request, ties by insertId', async () => {
    await write({ logName: 'projects/jit-host/logs/ties', resource: { type: 'global' }, entries: ['b', 'a', 'c'].map((insertId) => ({ insertId, timestamp: at(9), textPayload: insertId })) });
    const tied = (orderBy?: string) => list({ resourceNames: ['projects/jit-host'], filter: 'logName="projects/jit-host/logs/ties"', orderBy }).then((r) => ids(r.data.entries));
    expect(await tied()).toEqual(['a', 'b', 'c']);
    expect(await tied('timestamp desc')).toEqual(['c', 'b', 'a']);
    expect(await search('insertId:e', { orderBy: 'timestamp desc' })).toEqual(['e4', 'e3', 'e2', 'e1']);
    await expectGoogleError(list({ resourceNames: ['projects/jit-host'], orderBy: 'severity desc' }), 400);
  });

  it('pages with pageSize and a token bound to the query', async () => {
    const body = { resourceNames: ['projects/jit-host'], filter: `logName="${LOG}"`, pageSize: 3 };
    const first = await list(body);
    expect(ids(first.data.entries)).toEqual(['e1', 'e2', 'e3']);
    const second = await list({ ...body, pageToken: first.data.nextPageToken });
    expect(ids(second.data.entries)).toEqual(['e4']);
    expect(second.data.nextPageToken).toBeUndefined();
    await expectGoogleError(list({ ...body, filter: 'severity>=ERROR', pageToken: first.data.nextPageToken }), 400);
    await expectGoogleError(list({ ...body, pageSize: -1 }), 400);
  });

  it.each([
    ['severity>=WARNING AND (labels.x="y"', /^Unparseable filter: expected '\)' at line 1, column 36, end of filter/],
    ['severity>=LOUD', /invalid severity 'LOUD' at line 1, column 11/],
    ['bogus.field="x"', /unknown field 'bogus' at line 1, column 1/],
    ['timestamp>="last tuesday"', /invalid timestamp/],
    ['severity>=', /expected a value after '>=' at line 1, column 11/],
  ])('rejects the filter %s with a 400 that says where', async (filter, message) => {
    const err = await expectGoogleError(list({ resourceNames: ['projects/jit-host'], filter }), 400);
    expect(err.message).toMatch(message);
  });

  it('requires resourceNames and logging.logEntries.list on each', async () => {
    expect((await expectGoogleError(list({ filter: 'severity>=ERROR' }), 400)).message).toMatch(/resourceNames is required/);
    await expectGoogleError(list({ resourceNames: ['projects/jit-host/extra'] }), 400);
    const alice = googleClients(emulator, 'alice-token').logging;
    const err = await expectGoogleError(list({ resourceNames: ['projects/jit-host'] }, alice), 403);
    expect(err.message).toBe("Permission 'logging.logEntries.list' denied on resource (or it may not exist).");
    expect(emulator.state.calls.get('logging.entries.list')).toBeGreaterThan(0);
  });
});

describe('@google-cloud/logging in REST fallback mode', () => {
  it('writes with numeric severities and reads entries back with getEntries', async () => {
    const url = new URL(emulator.url);
    const client = new Logging({
      fallback: true,
      protocol: 'http',
      apiEndpoint: url.hostname,
      port: Number(url.port),
      projectId: 'jit-host',
      authClient: bearer() as unknown as LoggingOptions['authClient'],
    } as LoggingOptions);
    const log = client.log('jitaccess/library');
    await log.write(log.entry({ severity: 'NOTICE', labels: { 'event/id': 'api.activateRole' }, resource: { type: 'global' } }, { message: 'Activated', role: 'roles/viewer' }));
    await log.write(log.entry({ severity: 'WARNING', resource: { type: 'global' } }, 'a text entry'));

    const [entries] = await client.getEntries({ filter: 'logName="projects/jit-host/logs/jitaccess%2Flibrary" AND severity>=NOTICE', orderBy: 'timestamp asc', autoPaginate: false, pageSize: 10 });
    expect(entries.map((e) => [e.metadata.severity, e.data])).toEqual([
      ['NOTICE', { message: 'Activated', role: 'roles/viewer' }],
      ['WARNING', 'a text entry'],
    ]);
    expect(entries[0].metadata.labels).toEqual({ 'event/id': 'api.activateRole' });

    // The library asked for numeric enums; the emulator answers with them, as Google does.
    const raw = await fetch(`${emulator.url}/v2/entries:list?$alt=json%3Benum-encoding=int`, {
      method: 'POST',
      headers: { authorization: 'Bearer t', 'content-type': 'application/json' },
      body: JSON.stringify({ resourceNames: ['projects/jit-host'], filter: 'logName="projects/jit-host/logs/jitaccess%2Flibrary" severity=WARNING' }),
    });
    expect(((await raw.json()) as { entries: { severity: unknown }[] }).entries.map((e) => e.severity)).toEqual([400]);
  });
});
