// The chat sink: Google Chat and Slack incoming webhooks at the URLs the world file declares. It checks
// each post against the formats Google (Chat API Message, cards v2) and Slack (Block Kit) document, refuses
// what they would refuse, keeps what it accepts, and shows it as JSON and on a page.
// Where the formats allow more than the emulator models (other widgets, other block types), the post is
// refused: the stricter reading (docs/emulator.md).
import type { Request, Response } from 'express';
import { z } from 'zod';
import type { EmulatorEnv } from './env';
import type { ChatPost } from './state';
import type { World } from './world';
import { GoogleApiError, invalidArgument, notFound, single, strictBody, strictQuery, type Route } from './http';
import { escapeHtml, htmlPage } from './html';

// Google Chat, cards v2 (developers.google.com/workspace/chat/api/reference/rest/v1/cards).
const openLink = z.object({ url: z.url({ protocol: /^https?$/ }).max(2000) }).strict();
const chatButton = z
  .object({ text: z.string().min(1), onClick: z.object({ openLink }).strict(), altText: z.string().optional(), disabled: z.boolean().optional() })
  .strict();
const widget = z.union([
  z.object({ textParagraph: z.object({ text: z.string(), maxLines: z.number().int().positive().optional() }).strict() }).strict(),
  z
    .object({
      decoratedText: z
        .object({ topLabel: z.string().optional(), text: z.string().min(1), bottomLabel: z.string().optional(), wrapText: z.boolean().optional(), button: chatButton.optional() })
        .strict(),
    })
    .strict(),
  z.object({ buttonList: z.object({ buttons: z.array(chatButton).min(1) }).strict() }).strict(),
  z.object({ divider: z.object({}).strict() }).strict(),
]);
const card = z
  .object({
    header: z.object({ title: z.string().min(1), subtitle: z.string().optional(), imageUrl: z.string().optional(), imageAltText: z.string().optional() }).strict().optional(),
    sections: z
      .array(z.object({ header: z.string().optional(), widgets: z.array(widget).min(1), collapsible: z.boolean().optional(), uncollapsibleWidgetsCount: z.number().int().min(0).optional() }).strict())
      .max(100)
      .optional(),
  })
  .strict();
const googleChatMessage = z
  .object({
    text: z.string().max(4096).optional(),
    fallbackText: z.string().optional(),
    cardsV2: z.array(z.object({ cardId: z.string().min(1), card }).strict()).optional(),
    thread: z.object({ threadKey: z.string().min(1).max(4000) }).strict().optional(),
  })
  .strict()
  .refine((m) => (m.text ?? '') !== '' || (m.cardsV2 ?? []).length > 0, 'Message cannot be empty. Discarding empty message.');

/** A Chat message may be at most 32,000 bytes, as Google documents. */
const MAX_CHAT_MESSAGE_BYTES = 32_000;

const REPLY_OPTIONS = ['MESSAGE_REPLY_OPTION_UNSPECIFIED', 'REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD', 'REPLY_MESSAGE_OR_FAIL'];

// Slack, Block Kit (docs.slack.dev/reference/block-kit): the block types this emulator models.
const plainText = (max: number) => z.object({ type: z.literal('plain_text'), text: z.string().min(1).max(max), emoji: z.boolean().optional() }).strict();
const textObject = (max: number) =>
  z.union([plainText(max), z.object({ type: z.literal('mrkdwn'), text: z.string().min(1).max(max), verbatim: z.boolean().optional() }).strict()]);
const blockId = z.string().min(1).max(255).optional();
const slackButton = z
  .object({
    type: z.literal('button'),
    text: plainText(75),
    action_id: z.string().max(255).optional(),
    url: z.url().max(3000).optional(),
    value: z.string().max(2000).optional(),
    style: z.enum(['primary', 'danger']).optional(),
    accessibility_label: z.string().max(75).optional(),
  })
  .strict();
const block = z.discriminatedUnion('type', [
  z.object({ type: z.literal('header'), text: plainText(150), block_id: blockId }).strict(),
  z
    .object({ type: z.literal('section'), text: textObject(3000).optional(), fields: z.array(textObject(2000)).min(1).max(10).optional(), block_id: blockId })
    .strict()
    .refine((s) => s.text !== undefined || s.fields !== undefined, 'a section needs text or fields'),
  z.object({ type: z.literal('divider'), block_id: blockId }).strict(),
  z.object({ type: z.literal('context'), elements: z.array(textObject(3000)).min(1).max(10), block_id: blockId }).strict(),
  z.object({ type: z.literal('actions'), elements: z.array(slackButton).min(1).max(25), block_id: blockId }).strict(),
]);
const slackTopLevel = z
  .object({
    text: z.string().optional(),
    blocks: z.array(z.unknown()).optional(),
    mrkdwn: z.boolean().optional(),
    unfurl_links: z.boolean().optional(),
    unfurl_media: z.boolean().optional(),
    thread_ts: z.string().optional(),
  })
  .strict();

/** Slack answers webhook errors as plain text: the status and a code such as `invalid_blocks`. */
function slackError(res: Response, status: number, code: string): void {
  res.status(status).type('text/plain; charset=utf-8').send(code);
}

type ChatWebhook = NonNullable<World['chatWebhooks']>[number];
type GoogleChatWebhook = Extract<ChatWebhook, { platform: 'googleChat' }>;
type SlackWebhook = Extract<ChatWebhook, { platform: 'slack' }>;
const webhooks = (env: EmulatorEnv): ChatWebhook[] => env.state.world.chatWebhooks ?? [];

export function chatSinkRoutes(env: EmulatorEnv): Route[] {
  const { state } = env;
  const save = () => {
    if (env.stateFile) state.save(env.stateFile);
  };
  const nextId = () => Math.max(0, ...state.chat.map((p) => p.id)) + 1;

  const googleChat = (req: Request, res: Response, match: RegExpMatchArray) => {
    const space = match[1];
    const query = strictQuery(req, ['token', 'threadKey', 'messageReplyOption', 'messageId', 'requestId']);
    const webhook = webhooks(env).find((w): w is GoogleChatWebhook => w.platform === 'googleChat' && w.space === space);
    if (!webhook) throw notFound(`Requested entity was not found. (space ${space})`);
    // `key` is a system parameter of every Google API, which strictQuery leaves out.
    if (new URL(req.originalUrl, 'http://x').searchParams.get('key') !== webhook.key) throw invalidArgument('API key not valid. Please pass a valid API key.');
    if (single(query, 'token') !== webhook.token) throw new GoogleApiError('UNAUTHENTICATED', 'Request had invalid authentication credentials.');
    const replyOption = single(query, 'messageReplyOption') ?? 'MESSAGE_REPLY_OPTION_UNSPECIFIED';
    if (!REPLY_OPTIONS.includes(replyOption)) throw invalidArgument(`Invalid value at 'message_reply_option' (type.googleapis.com/google.chat.v1.CreateMessageRequest.MessageReplyOption), "${replyOption}"`);
    if (Buffer.byteLength(JSON.stringify(req.body ?? {})) > MAX_CHAT_MESSAGE_BYTES) throw invalidArgument(`Message too large: at most ${MAX_CHAT_MESSAGE_BYTES} bytes.`);
    const message = strictBody(req, googleChatMessage);
    const threadKey = message.thread?.threadKey ?? single(query, 'threadKey');
    // The default reply option ignores any thread key and starts a new thread.
    const existing =
      replyOption !== 'MESSAGE_REPLY_OPTION_UNSPECIFIED' && threadKey !== undefined
        ? state.chat.find((p) => p.platform === 'googleChat' && p.destination === space && p.threadKey === threadKey)
        : undefined;
    const id = nextId();
    const thread = existing?.thread ?? `spaces/${space}/threads/t${id}`;
    const post: ChatPost = {
      id,
      platform: 'googleChat',
      destination: space,
      receivedAt: state.now().toISOString(),
      thread,
      threadKey: replyOption !== 'MESSAGE_REPLY_OPTION_UNSPECIFIED' ? threadKey : undefined,
      body: message,
    };
    state.chat.push(post);
    save();
    return {
      name: `spaces/${space}/messages/m${id}`,
      sender: { name: 'users/webhook', type: 'BOT' },
      createTime: post.receivedAt,
      ...message,
      thread: { name: thread, ...(post.threadKey ? { threadKey: post.threadKey } : {}) },
      space: { name: `spaces/${space}`, type: 'SPACE' },
    };
  };

  const slack = (req: Request, res: Response, match: RegExpMatchArray) => {
    const path = match[1];
    const webhook = webhooks(env).find((w): w is SlackWebhook => w.platform === 'slack' && w.path === path);
    if (!webhook) return slackError(res, 404, 'no_service');
    if (typeof req.body !== 'object' || req.body === null || Array.isArray(req.body)) return slackError(res, 400, 'invalid_payload');
    const top = slackTopLevel.safeParse(req.body);
    if (!top.success) return slackError(res, 400, 'invalid_payload');
    const { text, blocks } = top.data;
    if ((text ?? '') === '' && (blocks ?? []).length === 0) return slackError(res, 400, 'no_text');
    if (blocks !== undefined && (blocks.length > 50 || !z.array(block).safeParse(blocks).success)) return slackError(res, 400, 'invalid_blocks');
    state.chat.push({ id: nextId(), platform: 'slack', destination: webhook.channel, receivedAt: state.now().toISOString(), body: req.body });
    save();
    res.status(200).type('text/html').send('ok');
  };

  const route = (method: Route['method'], pattern: RegExp, api: string, name: string, handler: Route['handler'], faults = false): Route => ({
    method,
    pattern,
    api,
    name,
    public: true,
    faults,
    handler,
  });
  return [
    route('POST', /^\/v1\/spaces\/([^/]+)\/messages$/, 'chat', 'chat.spaces.messages.create', googleChat, true),
    route('POST', /^\/services\/([A-Za-z0-9]+\/[A-Za-z0-9]+\/[A-Za-z0-9]+)$/, 'slack', 'slack.incomingWebhook', slack, true),
    route('GET', /^\/_emulator\/chat\.json$/, '_emulator', '_emulator.chat.list', () => ({ posts: state.chat })),
    route('GET', /^\/_emulator\/chat$/, '_emulator', '_emulator.chat.page', (_req, res) => {
      res
        .status(200)
        .set({ 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store', 'Content-Security-Policy': "script-src 'none'; object-src 'none'", 'X-Content-Type-Options': 'nosniff' })
        .send(chatPage(state.chat));
    }),
    route('DELETE', /^\/_emulator\/chat$/, '_emulator', '_emulator.chat.clear', () => {
      state.chat = [];
      save();
      return {};
    }),
  ];
}

/** Chat's card text allows a small HTML subset; the page shows it as text, so nothing a post says runs here. */
function googleChatHtml(body: z.infer<typeof googleChatMessage>): string {
  const parts: string[] = [];
  if (body.text) parts.push(`<p>${escapeHtml(body.text)}</p>`);
  for (const { card: c } of body.cardsV2 ?? []) {
    if (c.header) parts.push(`<h3>${escapeHtml(c.header.title)}</h3>${c.header.subtitle ? `<p class="note">${escapeHtml(c.header.subtitle)}</p>` : ''}`);
    for (const section of c.sections ?? []) {
      if (section.header) parts.push(`<h4>${escapeHtml(section.header)}</h4>`);
      for (const w of section.widgets) {
        if ('textParagraph' in w) parts.push(`<p>${escapeHtml(w.textParagraph.text)}</p>`);
        else if ('decoratedText' in w) parts.push(`<p><b>${escapeHtml(w.decoratedText.topLabel ?? '')}</b> ${escapeHtml(w.decoratedText.text)}</p>`);
        else if ('buttonList' in w) parts.push(`<p>${w.buttonList.buttons.map((b) => `<a class="button" href="${escapeHtml(b.onClick.openLink.url)}">${escapeHtml(b.text)}</a>`).join(' ')}</p>`);
        else parts.push('<hr>');
      }
    }
  }
  return parts.join('\n');
}

function slackHtml(body: { text?: string; blocks?: { type: string; text?: { text: string }; fields?: { text: string }[]; elements?: { text: string | { text: string }; url?: string }[] }[] }): string {
  if (!body.blocks) return `<p>${escapeHtml(body.text ?? '')}</p>`;
  return body.blocks
    .map((b) => {
      if (b.type === 'header') return `<h3>${escapeHtml(b.text!.text)}</h3>`;
      if (b.type === 'divider') return '<hr>';
      if (b.type === 'actions') return `<p>${b.elements!.map((e) => `<a class="button" href="${escapeHtml(e.url ?? '')}">${escapeHtml((e.text as { text: string }).text)}</a>`).join(' ')}</p>`;
      if (b.type === 'context') return `<p class="note">${b.elements!.map((e) => escapeHtml((e as { text: string }).text)).join(' ')}</p>`;
      return [b.text ? `<p>${escapeHtml(b.text.text)}</p>` : '', ...(b.fields ?? []).map((f) => `<p>${escapeHtml(f.text)}</p>`)].join('');
    })
    .join('\n');
}

function chatPage(posts: ChatPost[]): string {
  const articles = [...posts].reverse().map((p) => {
    const where = p.platform === 'googleChat' ? `Google Chat space ${p.destination}${p.thread ? `, thread ${p.thread}` : ''}` : `Slack channel ${p.destination}`;
    const content = p.platform === 'googleChat' ? googleChatHtml(p.body as z.infer<typeof googleChatMessage>) : slackHtml(p.body as Parameters<typeof slackHtml>[0]);
    return `<article id="chat-${p.id}" aria-label="${escapeHtml(`Post ${p.id}`)}"><p class="note">${escapeHtml(where)} · <time datetime="${escapeHtml(p.receivedAt)}">${escapeHtml(p.receivedAt)}</time></p>\n${content}</article>`;
  });
  const body = [
    '<h1>Chat</h1>',
    `<p>${posts.length} post${posts.length === 1 ? '' : 's'} received by the emulator's Google Chat and Slack webhooks, newest first. <a href="">Refresh</a> · <a href="/_emulator/chat.json">JSON</a></p>`,
    articles.length > 0 ? articles.join('\n') : '<p class="note">No posts yet.</p>',
  ];
  return htmlPage('Chat – emulator', body.join('\n'));
}
