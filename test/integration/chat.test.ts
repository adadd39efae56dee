// Chat notifications end to end: every request event and self-activation reaches the default channel
// (Google Chat, threaded by request) and the channels the rule names (Slack), in shapes the emulator's
// sink validates; hostile text is escaped; a failing webhook is audited without changing the outcome and
// without its URL in any response or audit entry.
import { startStack, withdrawPendingRequests, type Stack } from '../support/stack';
import { demoWorld } from '../support/emulator';
import { chatEnvironment } from '../../emulator/service-env';
import type { ChatPost } from '../../emulator/state';
import type { World } from '../../emulator/world';
import { temporaryAccessPolicy } from '../support/access-policy-file';

const ROLE = 'prod-app:roles/compute.admin';
const POLICY = `
version: 1
rules:
  - name: prod-compute
    match: { projects: [ prod-app ], roles: [ roles/compute.* ] }
    approval: { kind: approvers, principals: [ user:bob@example.com, user:carol@example.com ], requiredApprovals: 2 }
    notify: { chat: [ sre ] }
  - name: staging
    match: { projects: [ staging-app ] }
    approval: self
`;
const HOSTILE = 'INC-1 <!channel> <@U123> <https://evil.example|click> & <b>bold</b> <script>x</script>';
const PUBLIC_URL = 'https://jit.example.com';

const world: World = {
  ...demoWorld(),
  chatWebhooks: [
    { platform: 'googleChat', space: 'approvers', key: 'chat-key', token: 'chat-token-secret' },
    { platform: 'slack', path: 'T01/B01/slacksecret', channel: '#sre' },
  ],
};

let stack: Stack;
beforeAll(async () => {
  const file = temporaryAccessPolicy(POLICY).path;
  // The channels' URLs name the emulator, so the service's settings are made once the emulator listens.
  stack = await startStack({ world, env: (emulator) => ({ ACCESS_POLICY: file, PUBLIC_URL, ...chatEnvironment(emulator, world), CHAT_DEFAULT_CHANNEL: 'approvers' }) });
});
afterAll(() => stack?.close());
beforeEach(async () => {
  await stack.service.audit.flush();
  // One pending request per role: what earlier tests left pending is withdrawn, then the world is reset again.
  stack.emulator.state.reset();
  await withdrawPendingRequests(stack.as('alice@example.com'));
  stack.emulator.state.reset();
});

const posts = (platform: ChatPost['platform']) => stack.emulator.state.chat.filter((p) => p.platform === platform);
const cardText = (p: ChatPost) => JSON.stringify(p.body);
const slackTitles = () => posts('slack').map((p) => (p.body as { blocks: { text: { text: string } }[] }).blocks[0].text.text);
const chatTitles = () => posts('googleChat').map((p) => (p.body as { cardsV2: { card: { header: { title: string } } }[] }).cardsV2[0].card.header.title);

async function request(justification = 'INC-7 disk full'): Promise<{ token: string }> {
  const res = await stack.as('alice@example.com').post('/api/v1/projects/prod-app/approval-requests', { role: ROLE, justification, durationMinutes: 30, reviewers: ['bob@example.com', 'carol@example.com'] });
  expect(res.status).toBe(201);
  const token = /\/approve\/([A-Za-z0-9_~-]+)/.exec(stack.emulator.state.mail.at(-1)!.text)![1];
  return { token };
}

test('a request, an approval recorded and the approval: one Google Chat thread, the rule\'s Slack channel, with the facts and a button to the request', async () => {
  const { token } = await request();
  expect((await stack.as('bob@example.com').post(`/api/v1/approval-requests/${token}/approve`)).status).toBe(200);
  expect((await stack.as('carol@example.com').post(`/api/v1/approval-requests/${token}/approve`)).status).toBe(200);
  expect(chatTitles()).toEqual(['Access requested', 'Approval recorded', 'Access approved and granted']);
  expect(slackTitles()).toEqual(['Access requested', 'Approval recorded', 'Access approved and granted']);
  const threads = new Set(posts('googleChat').map((p) => p.thread));
  expect(threads.size).toBe(1);
  expect(posts('googleChat')[0].threadKey).toMatch(/^mpa-/);
  const first = cardText(posts('googleChat')[0]);
  for (const fact of ['alice@example.com', 'prod-app', 'roles/compute.admin', 'INC-7 disk full', '0 of 2', 'bob@example.com']) expect(first).toContain(fact);
  expect(first).toContain(`${PUBLIC_URL}/approve/${token}`);
  expect(cardText(posts('googleChat')[1])).toContain('1 of 2: bob@example.com');
  expect(cardText(posts('slack')[2])).toContain('2 of 2: bob@example.com, carol@example.com');
  expect(JSON.stringify(posts('slack')[0].body)).toContain(`"url":"${PUBLIC_URL}/approve/${token}"`);
});

test('a denial with its reason and a cancellation are posted to the request\'s thread', async () => {
  const denied = await request();
  expect((await stack.as('bob@example.com').post(`/api/v1/approval-requests/${denied.token}/deny`, { reason: 'not now' })).status).toBe(200);
  const cancelled = await request();
  expect((await stack.as('alice@example.com').post(`/api/v1/approval-requests/${cancelled.token}/cancel`)).status).toBe(200);
  expect(chatTitles()).toEqual(['Access requested', 'Request denied', 'Access requested', 'Request cancelled']);
  expect(slackTitles()).toEqual(chatTitles());
  const [a, b, c, d] = posts('googleChat');
  expect(b.thread).toBe(a.thread);
  expect(d.thread).toBe(c.thread);
  expect(c.thread).not.toBe(a.thread);
  expect(cardText(b)).toContain('not now');
});

test('a self-activation goes to the default channel only: its rule names no channel', async () => {
  const res = await stack.as('alice@example.com').post('/api/v1/projects/staging-app/activations', { roles: ['staging-app:roles/compute.admin'], justification: 'INC-42 disk full', durationMinutes: 30 });
  expect(res.status).toBe(201);
  expect(chatTitles()).toEqual(['Access activated (self-approved)']);
  expect(posts('slack')).toHaveLength(0);
  expect(cardText(posts('googleChat')[0])).toContain('INC-42 disk full');
});

test('a hostile justification is shown as text: no mention, link or markup on either platform', async () => {
  await request(HOSTILE);
  const chat = cardText(posts('googleChat')[0]);
  expect(chat).toContain('&lt;!channel&gt; &lt;@U123&gt; &lt;https://evil.example|click&gt; &amp; &lt;b&gt;bold&lt;/b&gt; &lt;script&gt;x&lt;/script&gt;');
  expect(chat).not.toContain('<b>');
  const slack = cardText(posts('slack')[0]);
  expect(slack).toContain('&lt;!channel&gt; &lt;@U123&gt; &lt;https://evil.example|click&gt; &amp; &lt;b&gt;bold&lt;/b&gt;');
  expect(slack).not.toMatch(/<!channel>|<@U123>|<https:\/\/evil/);
});

test('a failing webhook is retried, then audited and reported; the approval stands; no webhook URL anywhere', async () => {
  const { token } = await request();
  await fetch(`${stack.emulator.url}/_emulator/faults`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ errors: { slack: { status: 503 }, chat: { status: 400 } } }) });
  const res = await stack.as('bob@example.com').post(`/api/v1/approval-requests/${token}/approve`);
  expect(res.status).toBe(200);
  const failures: string[] = res.body.notificationFailures;
  expect(failures).toEqual(
    expect.arrayContaining([
      expect.stringContaining("The Slack message to channel 'sre' could not be posted: it answered 503"),
      expect.stringContaining("The Google Chat message to channel 'approvers' could not be posted: it answered 400"),
    ]),
  );
  // 503 is retried (3 attempts), 400 is not.
  expect(stack.emulator.state.calls.get('slack.incomingWebhook')).toBe(1 + 3);
  expect(stack.emulator.state.calls.get('chat.spaces.messages.create')).toBe(1 + 1);
  await stack.service.audit.flush();
  const audited = stack.emulator.state.logEntries.filter((e) => JSON.stringify(e).includes('notification.failed'));
  expect(audited.length).toBeGreaterThanOrEqual(2);
  const everything = JSON.stringify([res.body, stack.emulator.state.logEntries]);
  for (const secret of ['slacksecret', 'chat-token-secret', 'chat-key', '/services/', '/v1/spaces/']) expect(everything).not.toContain(secret);
});
