// Pub/Sub topics.publish and topics.get through the googleapis client, and the emulator's message page.
import { demoWorld, expectGoogleError, googleClients, startTestEmulator } from '../support/emulator';
import type { RunningEmulator } from '../../emulator/server';

const TOPIC = 'projects/jit-host/topics/jit-access-events';

let emulator: RunningEmulator;
let pubsub: ReturnType<typeof googleClients>['pubsub'];

beforeAll(async () => {
  const world = demoWorld();
  world.callers = { 'alice-token': 'user:alice@example.com', 'admin-token': 'user:admin@example.com' };
  emulator = await startTestEmulator(world);
  pubsub = googleClients(emulator).pubsub;
});
afterAll(() => emulator.close());

const b64 = (text: string) => Buffer.from(text).toString('base64');
const publish = (messages: object[], topic = TOPIC, client = pubsub) => client.projects.topics.publish({ topic, requestBody: { messages } });

describe('topics.publish', () => {
  it('stores messages in order and answers decimal message ids, unique and increasing', async () => {
    const { data } = await publish([{ data: b64('{"kind":"RoleActivated"}'), attributes: { type: 'RoleActivated' } }, { attributes: { type: 'Ping' } }]);
    expect(data.messageIds).toHaveLength(2);
    for (const id of data.messageIds!) expect(id).toMatch(/^[0-9]+$/);
    expect(BigInt(data.messageIds![1])).toBe(BigInt(data.messageIds![0]) + 1n);

    const second = await publish([{ data: b64('x') }]);
    expect(BigInt(second.data.messageIds![0])).toBe(BigInt(data.messageIds![1]) + 1n);

    const stored = emulator.state.messages.slice(-3);
    expect(stored[0]).toMatchObject({ topic: TOPIC, messageId: data.messageIds![0], data: b64('{"kind":"RoleActivated"}'), attributes: { type: 'RoleActivated' } });
    expect(stored[1]).not.toHaveProperty('data');
    expect(new Date(stored[0].publishTime).getTime()).toBeGreaterThan(Date.now() - 60_000);
  });

  it('accepts URL-safe base64 and the project number in the topic name', async () => {
    const { data } = await publish([{ data: Buffer.from([0xfb, 0xff]).toString('base64url') }], 'projects/300000000000/topics/jit-access-events');
    const stored = emulator.state.messages.find((m) => m.messageId === data.messageIds![0])!;
    expect(stored.topic).toBe(TOPIC);
    expect(Buffer.from(stored.data!, 'base64')).toEqual(Buffer.from([0xfb, 0xff]));
  });

  it.each([
    ['invalid base64 data', [{ data: 'not base64!' }], /Base64 decoding failed/],
    ['an empty message', [{ data: '' }], /must contain either non-empty data, or at least one attribute/],
    ['no messages', [], /minimum value is 1/],
    ['more than 1000 messages', Array.from({ length: 1001 }, () => ({ attributes: { a: 'b' } })), /maximum value is 1000/],
    ['a goog-prefixed attribute key', [{ attributes: { googType: 'x' } }], /must not start with 'goog'/],
    ['an attribute value over 1024 bytes', [{ attributes: { k: 'v'.repeat(1025) } }], /value that is too long/],
    ['an attribute key over 256 bytes', [{ attributes: { ['k'.repeat(257)]: 'v' } }], /key that is too long/],
    ['more than 100 attributes', [{ attributes: Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`k${i}`, 'v'])) }], /at most 100/],
    ['different ordering keys', [{ data: b64('a'), orderingKey: 'a' }, { data: b64('b'), orderingKey: 'b' }], /same ordering key/],
    ['a publisher-set messageId', [{ data: b64('a'), messageId: '1' }], /assigned by the server/],
    ['an unknown field', [{ data: b64('a'), color: 'red' }], /Unknown name "color" at 'messages.0'/],
  ])('rejects %s with 400', async (_case, messages, message) => {
    const before = emulator.state.messages.length;
    const err = await expectGoogleError(publish(messages), 400);
    expect(err).toMatchObject({ status: 'INVALID_ARGUMENT', message: expect.stringMatching(message) });
    expect(emulator.state.messages.length).toBe(before);
  });

  it('answers 404 in Google’s wording for an unknown topic, and 400 for an invalid topic name', async () => {
    expect((await expectGoogleError(publish([{ data: b64('a') }], 'projects/jit-host/topics/nope'), 404)).message).toBe('Resource not found (resource=nope).');
    expect((await expectGoogleError(publish([{ data: b64('a') }], 'projects/jit-host/topics/goog-topic'), 400)).message).toBe(
      'Invalid [topics] name: (name=projects/jit-host/topics/goog-topic)',
    );
  });

  it('denies a caller without pubsub.topics.publish, naming the permission', async () => {
    const alice = googleClients(emulator, 'alice-token').pubsub;
    const err = await expectGoogleError(publish([{ data: b64('a') }], TOPIC, alice), 403);
    expect(err).toMatchObject({ status: 'PERMISSION_DENIED', message: expect.stringContaining("Permission 'pubsub.topics.publish' denied") });
    expect(emulator.state.calls.get('pubsub.projects.topics.publish')).toBeGreaterThan(0);
  });
});

describe('topics.get', () => {
  it('returns the topic to a caller with pubsub.topics.get', async () => {
    const admin = googleClients(emulator, 'admin-token').pubsub;
    expect((await admin.projects.topics.get({ topic: TOPIC })).data).toEqual({ name: TOPIC });
    expect((await expectGoogleError(admin.projects.topics.get({ topic: 'projects/jit-host/topics/nope' }, { retry: false }), 404)).message).toBe(
      'Resource not found (resource=nope).',
    );
  });

  it('denies the publisher-only service account, which lacks pubsub.topics.get', async () => {
    const err = await expectGoogleError(pubsub.projects.topics.get({ topic: TOPIC }, { retry: false }), 403);
    expect(err.message).toContain("'pubsub.topics.get'");
  });
});

describe('/_emulator/pubsub', () => {
  it('lists published messages with decoded data, publicly, filtered by topic', async () => {
    await publish([{ data: b64('{"kind":"Page"}'), attributes: { type: 'Page' } }]);
    const res = await fetch(`${emulator.url}/_emulator/pubsub?topic=${encodeURIComponent(TOPIC)}`);
    expect(res.status).toBe(200);
    const { messages } = (await res.json()) as { messages: { text?: string; json?: unknown; attributes?: object }[] };
    expect(messages.at(-1)).toMatchObject({ text: '{"kind":"Page"}', json: { kind: 'Page' }, attributes: { type: 'Page' } });
    const none = (await (await fetch(`${emulator.url}/_emulator/pubsub?topic=projects/x/topics/y`)).json()) as { messages: unknown[] };
    expect(none.messages).toEqual([]);
  });

  it('renders an escaped HTML page for browsers', async () => {
    await publish([{ data: b64('<script>alert(1)</script>') }]);
    const res = await fetch(`${emulator.url}/_emulator/pubsub`, { headers: { accept: 'text/html' } });
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const html = await res.text();
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('<script>alert(1)');
  });
});
