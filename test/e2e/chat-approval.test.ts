// In the browser, from chat to grant: a request posts a Google Chat card to the emulator's chat sink; its
// button leads the reviewer, through IAP's sign-in, to the request's page in the SPA, where he approves.
import { chatEnvironment } from '../../emulator/service-env';
import type { ChatPost } from '../../emulator/state';
import { demoWorld } from '../support/emulator';
import { policyOf } from '../support/stack';
import { newPage, screenshotOnFailure } from './support/browser';
import { browserSession } from './support/e2e-stack';

const world = demoWorld();
const session = browserSession({ world, env: (emulator) => chatEnvironment(emulator, world) });

const JUSTIFICATION = 'INC-818 the queue is stuck';

type Card = { header: { title: string }; sections: { widgets: object[] }[] };

interface ChatButton {
  text: string;
  onClick: { openLink: { url: string } };
}

/** The Google Chat cards the sink kept, as /_emulator/chat.json lists them. */
async function chatCards(): Promise<Card[]> {
  const res = await fetch(`${session.stack.emulator.url}/_emulator/chat.json`);
  const { posts } = (await res.json()) as { posts: ChatPost[] };
  return posts.filter((p) => p.platform === 'googleChat').flatMap((p) => (p.body as { cardsV2: { card: Card }[] }).cardsV2.map((c) => c.card));
}

const buttonsOf = (card: Card): ChatButton[] => card.sections.flatMap((s) => s.widgets.flatMap((w) => ('buttonList' in w ? (w as { buttonList: { buttons: ChatButton[] } }).buttonList.buttons : [])));

test('a chat card\'s button opens the request in the SPA, where the reviewer approves it', async () => {
  const requested = await session.stack.as('alice@example.com').post('/api/v1/projects/prod-app/approval-requests', {
    role: 'prod-app:roles/compute.admin',
    justification: JUSTIFICATION,
    durationMinutes: 60,
    reviewers: ['bob@example.com'],
  });
  expect(requested.status).toBe(201);
  const card = (await chatCards()).find((c) => c.header.title === 'Access requested');
  const button = card && buttonsOf(card).find((b) => b.text === 'Open the request');
  expect(button?.onClick.openLink.url).toMatch(new RegExp(`^${session.stack.url}/approve/[A-Za-z0-9_~-]+$`));

  const bob = await newPage(session.browser, { timezoneId: 'UTC', locale: 'en-US' });
  await screenshotOnFailure(bob, 'chat-approval', async () => {
    // The sink's page shows the card as Google Chat would; its button is the link the reviewer follows.
    await bob.goto(`${session.stack.emulator.url}/_emulator/chat`);
    const link = bob.getByRole('link', { name: 'Open the request' }).first();
    expect(await link.getAttribute('href')).toBe(button!.onClick.openLink.url);
    await link.click();
    // Not signed in yet: IAP asks who he is, then takes him to the request.
    await bob.getByRole('button', { name: 'bob@example.com', exact: true }).click();
    await bob.getByRole('heading', { name: 'Approval request' }).waitFor();
    expect(new URL(bob.url()).pathname).toBe(new URL(button!.onClick.openLink.url).pathname);
    const details = await bob.locator('dl').textContent();
    for (const shown of ['alice@example.com', 'roles/compute.admin', JUSTIFICATION]) expect(details).toContain(shown);
    await bob.getByRole('button', { name: 'Approve access for alice@example.com' }).click();
    await bob.getByRole('heading', { name: 'Access approved' }).waitFor();
  });

  const granted = (await policyOf(session.stack.emulator, 'prod-app')).bindings.filter((b) => b.role === 'roles/compute.admin' && b.condition?.title === 'JIT access activation');
  expect(granted.map((b) => b.members)).toEqual([['user:alice@example.com']]);
  expect(granted[0].condition.description).toBe(`Approved by bob@example.com, justification: ${JUSTIFICATION}`);
  // The approval is told in the same chat.
  expect((await chatCards()).map((c) => c.header.title)).toContain('Access approved and granted');
});
