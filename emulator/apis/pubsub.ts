// Pub/Sub v1: topics.publish and topics.get, plus the emulator's own page of what was published.
import { z } from 'zod';
import type { Request, Response } from 'express';
import type { EmulatorEnv } from '../env';
import type { PublishedMessage } from '../state';
import { iamPermissionDenied, invalidArgument, notFound, single, strictBody, strictQuery, type Route } from '../http';
import { escapeHtml, htmlPage } from '../html';

const MAX_MESSAGES = 1000;
const MAX_REQUEST_BYTES = 10 * 1024 * 1024;
const MAX_ATTRIBUTES = 100;
const MAX_ATTRIBUTE_KEY_BYTES = 256;
const MAX_ATTRIBUTE_VALUE_BYTES = 1024;
const MAX_ORDERING_KEY_BYTES = 1024;
/** Message ids are decimal strings; ours start high enough to look like Google's 16-digit ones. */
const FIRST_MESSAGE_ID = 10_000_000_000_000_000n;

const messageSchema = z
  .object({
    data: z.string().optional(),
    attributes: z.record(z.string(), z.string()).optional(),
    orderingKey: z.string().optional(),
    messageId: z.string().optional(),
    publishTime: z.string().optional(),
  })
  .strict();
const publishBody = z.object({ messages: z.array(messageSchema).optional() }).strict();

/** Topic ids: 3-255 characters, a letter first, then letters, digits and `-_.~+%`, never starting with `goog`. */
const TOPIC_ID = /^[A-Za-z][A-Za-z0-9\-_.~+%]{2,254}$/;

export function pubsubRoutes(env: EmulatorEnv): Route[] {
  const { state } = env;

  /** Validates the topic name and the caller's permission; returns the canonical `projects/ID/topics/T`. */
  const authorize = (principal: string, projectInPath: string, topicId: string, permission: string): { name: string; topicId: string } => {
    const requested = `projects/${projectInPath}/topics/${topicId}`;
    if (!TOPIC_ID.test(topicId) || topicId.toLowerCase().startsWith('goog')) throw invalidArgument(`Invalid [topics] name: (name=${requested})`);
    const project = state.project(projectInPath);
    // Topic-level IAM policies are not modelled: the project's policy (and its ancestors') decides.
    if (!project || !state.hasPermission(principal, permission, `projects/${project.id}`)) {
      throw iamPermissionDenied(permission, requested, `User not authorized to perform this action. Permission '${permission}' denied on resource '${requested}' (or it may not exist).`);
    }
    const name = `projects/${project.id}/topics/${topicId}`;
    if (!state.topics.has(name)) throw notFound(`Resource not found (resource=${topicId}).`);
    return { name, topicId };
  };

  const publish = (req: Request, res: Response, match: RegExpMatchArray) => {
    strictQuery(req, []);
    const body = strictBody(req, publishBody);
    const { name } = authorize(res.locals.principal, match[1], match[2], 'pubsub.topics.publish');
    const messages = body.messages ?? [];
    if (messages.length === 0) throw invalidArgument(`The value for message_count is too small. You passed 0 in the request, but the minimum value is 1.`);
    if (messages.length > MAX_MESSAGES) {
      throw invalidArgument(`The value for message_count is too large. You passed ${messages.length} in the request, but the maximum value is ${MAX_MESSAGES}.`);
    }
    let requestBytes = 0;
    const orderingKeys = new Set<string>();
    const accepted = messages.map((m, i) => {
      const at = `messages[${i}]`;
      if (m.messageId !== undefined || m.publishTime !== undefined) {
        throw invalidArgument(`Invalid value at '${at}': messageId and publishTime are assigned by the server and must not be set by the publisher.`);
      }
      const data = m.data === undefined || m.data === '' ? undefined : decodeBase64(m.data, `${at}.data`);
      const attributes = m.attributes ?? {};
      checkAttributes(attributes, at);
      if (!data?.length && Object.keys(attributes).length === 0) {
        throw invalidArgument('One or more messages in the publish request is empty. Each message must contain either non-empty data, or at least one attribute.');
      }
      const orderingKey = m.orderingKey ?? '';
      if (Buffer.byteLength(orderingKey) > MAX_ORDERING_KEY_BYTES) throw invalidArgument(`The ordering key of ${at} is longer than ${MAX_ORDERING_KEY_BYTES} bytes.`);
      orderingKeys.add(orderingKey);
      requestBytes += (data?.length ?? 0) + Object.entries(attributes).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0) + Buffer.byteLength(orderingKey);
      return { data, attributes, orderingKey };
    });
    if (orderingKeys.size > 1) throw invalidArgument('All messages in a publish request must have the same ordering key; publish messages with different ordering keys in separate requests.');
    if (requestBytes > MAX_REQUEST_BYTES) throw invalidArgument(`Request payload size exceeds the limit: ${MAX_REQUEST_BYTES} bytes.`);

    const publishTime = state.now().toISOString();
    const last = state.messages.at(-1);
    let next = last ? BigInt(last.messageId) + 1n : FIRST_MESSAGE_ID;
    const messageIds = accepted.map((m) => {
      const messageId = String(next++);
      state.messages.push({
        topic: name,
        messageId,
        ...(m.data?.length ? { data: m.data.toString('base64') } : {}),
        ...(Object.keys(m.attributes).length > 0 ? { attributes: m.attributes } : {}),
        ...(m.orderingKey ? { orderingKey: m.orderingKey } : {}),
        publishTime,
      });
      return messageId;
    });
    return { messageIds };
  };

  const getTopic = (req: Request, res: Response, match: RegExpMatchArray) => {
    strictQuery(req, []);
    return { name: authorize(res.locals.principal, match[1], match[2], 'pubsub.topics.get').name };
  };

  const listPublished = (req: Request, res: Response) => {
    const topic = single(strictQuery(req, ['topic']), 'topic');
    const messages = state.messages.filter((m) => topic === undefined || m.topic === topic).map(decoded);
    if (req.accepts(['json', 'html']) === 'html') {
      res.type('html').send(messagesPage(messages));
      return undefined;
    }
    return { messages };
  };

  return [
    {
      method: 'POST',
      pattern: /^\/v1\/projects\/([^/]+)\/topics\/([^/:]+):publish$/,
      api: 'pubsub',
      name: 'pubsub.projects.topics.publish',
      handler: publish,
    },
    {
      method: 'GET',
      pattern: /^\/v1\/projects\/([^/]+)\/topics\/([^/:]+)$/,
      api: 'pubsub',
      name: 'pubsub.projects.topics.get',
      handler: getTopic,
    },
    { method: 'GET', pattern: /^\/_emulator\/pubsub$/, api: '_emulator', name: '_emulator.pubsub', public: true, handler: listPublished },
  ];
}

/** Decodes base64 the way Google's JSON front end does for `bytes`: standard or URL-safe alphabet, padding optional. */
function decodeBase64(value: string, field: string): Buffer {
  const unpadded = value.replace(/=+$/, '');
  if (!/^[A-Za-z0-9+/]*$/.test(unpadded) && !/^[A-Za-z0-9\-_]*$/.test(unpadded)) {
    throw invalidArgument(`Invalid value at '${field}' (TYPE_BYTES), Base64 decoding failed for "${value}"`);
  }
  if (unpadded.length % 4 === 1 || value.length - unpadded.length > 2) throw invalidArgument(`Invalid value at '${field}' (TYPE_BYTES), Base64 decoding failed for "${value}"`);
  return Buffer.from(unpadded.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}

function checkAttributes(attributes: Record<string, string>, at: string): void {
  const entries = Object.entries(attributes);
  if (entries.length > MAX_ATTRIBUTES) throw invalidArgument(`${at} has ${entries.length} attributes; a message may have at most ${MAX_ATTRIBUTES}.`);
  for (const [key, value] of entries) {
    if (key === '') throw invalidArgument(`${at} has an attribute with an empty key; attribute keys must not be empty.`);
    if (key.toLowerCase().startsWith('goog')) throw invalidArgument(`The attribute key '${key}' in ${at} is reserved: attribute keys must not start with 'goog'.`);
    if (Buffer.byteLength(key) > MAX_ATTRIBUTE_KEY_BYTES) {
      throw invalidArgument(`One of the attributes in the request has a key that is too long (${Buffer.byteLength(key)} bytes, the maximum is ${MAX_ATTRIBUTE_KEY_BYTES}): '${key.slice(0, 40)}…' in ${at}.`);
    }
    if (Buffer.byteLength(value) > MAX_ATTRIBUTE_VALUE_BYTES) {
      throw invalidArgument(`One of the attributes in the request has a value that is too long (${Buffer.byteLength(value)} bytes, the maximum is ${MAX_ATTRIBUTE_VALUE_BYTES}): key '${key}' in ${at}.`);
    }
  }
}

interface DecodedMessage extends PublishedMessage {
  /** The data as UTF-8 text, and parsed when it is JSON: what a person wants to read. */
  text?: string;
  json?: unknown;
}

function decoded(m: PublishedMessage): DecodedMessage {
  if (m.data === undefined) return m;
  const text = Buffer.from(m.data, 'base64').toString('utf8');
  try {
    return { ...m, text, json: JSON.parse(text) };
  } catch {
    return { ...m, text };
  }
}

function messagesPage(messages: DecodedMessage[]): string {
  const items = messages
    .slice()
    .reverse()
    .map((m) => {
      const attributes = Object.entries(m.attributes ?? {})
        .map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`)
        .join('');
      const data = m.json !== undefined ? JSON.stringify(m.json, null, 2) : (m.text ?? '');
      return `<article><h2>${escapeHtml(m.topic)}</h2><dl><dt>messageId</dt><dd>${escapeHtml(m.messageId)}</dd><dt>publishTime</dt><dd>${escapeHtml(m.publishTime)}</dd>${
        m.orderingKey ? `<dt>orderingKey</dt><dd>${escapeHtml(m.orderingKey)}</dd>` : ''
      }${attributes}</dl><pre>${escapeHtml(data)}</pre></article>`;
    })
    .join('\n');
  const body = `<h1>Published Pub/Sub messages</h1><p class="note">${messages.length} message(s), newest first. JSON: request this page with <code>Accept: application/json</code>.</p>${items}`;
  return htmlPage('Pub/Sub messages', body);
}
