// The chat sink: Google Chat and Slack incoming webhooks of the world accept what their platforms document,
// refuse unknown fields and malformed cards or blocks as they would, thread Google Chat posts by threadKey,
// and show what they kept as JSON and on a page; injected faults reach them.
import { startTestEmulator, demoWorld } from '../support/emulator';
import type { RunningEmulator } from '../../emulator/server';
import type { World } from '../../emulator/world';

let emulator: RunningEmulator;
const world: World = {
  ...demoWorld(),
  chatWebhooks: [
    { platform: 'googleChat', space: 'AAAAspace', key: 'k1', token: 't1' },
    { platform: 'slack', path: 'T01/B01/secret01', channel: '#ops' },
  ],
};
const chatUrl = (query = 'key=k1&token=t1', space = 'AAAAspace') => `${emulator.url}/v1/spaces/${space}/messages?${query}`;
const slackUrl = (path = 'T01/B01/secret01') => `${emulator.url}/services/${path}`;
const post = (url: string, body: unknown): Promise<any> => fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

const card = (widgets: unknown[]) => ({ cardsV2: [{ cardId: 'c', card: { header: { title: 'T' }, sections: [{ widgets }] } }] });
const text = (t: string) => ({ decoratedText: { topLabel: 'L', text: t } });

beforeAll(async () => {
  emulator = await startTestEmulator(world);
});
afterAll(() => emulator.close());
beforeEach(async () => {
  await fetch(`${emulator.url}/_emulator/chat`, { method: 'DELETE' });
  await fetch(`${emulator.url}/_emulator/faults`, { method: 'DELETE' });
});

describe('Google Chat webhook', () => {
  test('a card message is kept and answered as a Message; a thread key with a reply option keeps one thread', async () => {
    const reply = 'messageReplyOption=REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD';
    const first = await post(chatUrl(`key=k1&token=t1&${reply}`), { ...card([text('one')]), thread: { threadKey: 'mpa-1' } });
    expect(first.status).toBe(200);
    const message = await first.json();
    expect(message.name).toMatch(/^spaces\/AAAAspace\/messages\//);
    expect(message.thread).toEqual({ name: expect.stringMatching(/^spaces\/AAAAspace\/threads\//), threadKey: 'mpa-1' });
    const second = await (await post(chatUrl(`key=k1&token=t1&${reply}`), { ...card([text('two')]), thread: { threadKey: 'mpa-1' } })).json();
    const other = await (await post(chatUrl(`key=k1&token=t1&${reply}`), { ...card([text('three')]), thread: { threadKey: 'mpa-2' } })).json();
    expect(second.thread.name).toBe(message.thread.name);
    expect(other.thread.name).not.toBe(message.thread.name);
    // Without a reply option Google ignores the key and starts a new thread.
    const unthreaded = await (await post(chatUrl(), { ...card([text('four')]), thread: { threadKey: 'mpa-1' } })).json();
    expect(unthreaded.thread.name).not.toBe(message.thread.name);
    const { posts } = (await (await fetch(`${emulator.url}/_emulator/chat.json`)).json()) as { posts: { threadKey?: string }[] };
    expect(posts.map((p: { threadKey?: string }) => p.threadKey)).toEqual(['mpa-1', 'mpa-1', 'mpa-2', undefined]);
  });

  test.each([
    ['an unknown field', { text: 'x', colour: 'red' }, 'Unknown name "colour"'],
    ['an unknown widget', card([{ image: { imageUrl: 'https://x' } }]), 'Invalid JSON payload'],
    ['a widget of two kinds', card([{ ...text('a'), divider: {} }]), 'Invalid JSON payload'],
    ['decorated text without text', card([{ decoratedText: { topLabel: 'L' } }]), 'Invalid JSON payload'],
    ['a button without a link', card([{ buttonList: { buttons: [{ text: 'Open' }] } }]), 'Invalid JSON payload'],
    ['an empty message', {}, 'Message cannot be empty'],
  ])('%s is refused with 400', async (_name, body, message) => {
    const res = await post(chatUrl(), body);
    expect(res.status).toBe(400);
    expect((await res.json()).error.message).toContain(message);
    expect(emulator.state.chat).toHaveLength(0);
  });

  test('a wrong key, a wrong token, an unknown space or reply option are refused', async () => {
    expect((await post(chatUrl('key=nope&token=t1'), { text: 'x' })).status).toBe(400);
    expect((await post(chatUrl('key=k1&token=nope'), { text: 'x' })).status).toBe(401);
    expect((await post(chatUrl('key=k1&token=t1', 'other'), { text: 'x' })).status).toBe(404);
    expect((await post(chatUrl('key=k1&token=t1&messageReplyOption=ALWAYS'), { text: 'x' })).status).toBe(400);
    expect((await post(chatUrl('key=k1&token=t1&colour=red'), { text: 'x' })).status).toBe(400);
    expect(emulator.state.chat).toHaveLength(0);
  });
});

describe('Slack webhook', () => {
  const blocks = [
    { type: 'header', text: { type: 'plain_text', text: 'Access requested' } },
    { type: 'section', fields: [{ type: 'mrkdwn', text: '*Project*\nprod' }] },
    { type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'Open' }, url: 'https://jit.example.com/' }] },
  ];

  test('Block Kit is kept and answered with ok', async () => {
    const res = await post(slackUrl(), { text: 'summary', blocks });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('ok');
    expect(emulator.state.chat).toEqual([expect.objectContaining({ platform: 'slack', destination: '#ops' })]);
  });

  test.each([
    ['an unknown block type', { blocks: [{ type: 'video' }] }, 'invalid_blocks'],
    ['an unknown field in a block', { blocks: [{ ...blocks[0], colour: 'red' }] }, 'invalid_blocks'],
    ['a header over 150 characters', { blocks: [{ type: 'header', text: { type: 'plain_text', text: 'x'.repeat(151) } }] }, 'invalid_blocks'],
    ['a header in mrkdwn', { blocks: [{ type: 'header', text: { type: 'mrkdwn', text: 'x' } }] }, 'invalid_blocks'],
    ['more than 10 fields', { blocks: [{ type: 'section', fields: Array.from({ length: 11 }, () => ({ type: 'mrkdwn', text: 'x' })) }] }, 'invalid_blocks'],
    ['more than 50 blocks', { blocks: Array.from({ length: 51 }, () => ({ type: 'divider' })) }, 'invalid_blocks'],
    ['neither text nor blocks', { mrkdwn: true }, 'no_text'],
    ['an unknown top-level field', { text: 'x', colour: 'red' }, 'invalid_payload'],
  ])('%s is refused with 400 %s', async (_name, body, code) => {
    const res = await post(slackUrl(), body);
    expect(res.status).toBe(400);
    expect(await res.text()).toBe(code);
    expect(emulator.state.chat).toHaveLength(0);
  });

  test('an unknown webhook is 404 no_service', async () => {
    const res = await post(slackUrl('T01/B01/other'), { text: 'x' });
    expect(res.status).toBe(404);
    expect(await res.text()).toBe('no_service');
  });
});

test('injected errors and latency reach the webhooks, and count', async () => {
  await post(`${emulator.url}/_emulator/faults`, { errors: { chat: { status: 503, count: 1 }, slack: { status: 500, count: 1 } } });
  expect((await post(chatUrl(), { text: 'x' })).status).toBe(503);
  expect((await post(chatUrl(), { text: 'x' })).status).toBe(200);
  expect((await post(slackUrl(), { text: 'x' })).status).toBe(500);
  expect((await post(slackUrl(), { text: 'x' })).status).toBe(200);
  expect(emulator.state.calls.get('chat.spaces.messages.create')).toBeGreaterThanOrEqual(2);
  expect(emulator.state.chat).toHaveLength(2);
});

test('the page shows each post as text, escaped, with its buttons as links', async () => {
  await post(chatUrl(), card([text('<script>alert(1)</script>'), { buttonList: { buttons: [{ text: 'Open the request', onClick: { openLink: { url: 'https://jit.example.com/approve/x' } } }] } }]));
  await post(slackUrl(), { text: 's', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '<b>bold</b>' } }] });
  const page = await (await fetch(`${emulator.url}/_emulator/chat`)).text();
  expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  expect(page).not.toContain('<script>');
  expect(page).toContain('<a class="button" href="https://jit.example.com/approve/x">Open the request</a>');
  expect(page).toContain('&lt;b&gt;bold&lt;/b&gt;');
  expect(page).toContain('Google Chat space AAAAspace');
  expect(page).toContain('Slack channel #ops');
});
