// Chat channels: a name → incoming-webhook URL map (CHAT_CHANNELS). The platform is read from the URL.
// A webhook URL is a secret (whoever holds it can post), so no message here ever repeats one.
import { z } from 'zod';

export type ChatPlatform = 'googleChat' | 'slack';

export interface ChatWebhook {
  platform: ChatPlatform;
  url: string;
}

export type ChatChannels = ReadonlyMap<string, ChatWebhook>;

export const PLATFORM_NAMES: Record<ChatPlatform, string> = { googleChat: 'Google Chat', slack: 'Slack' };

const CHANNEL_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
/** Only a local emulator is reached over plain HTTP. */
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

export class InvalidChatChannelsError extends Error {}

/** The webhook a URL names, or a sentence saying what is wrong with it (without the URL). */
export function chatWebhookOf(text: string): ChatWebhook | string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'is not a URL';
  }
  const local = url.protocol === 'http:' && LOOPBACK.has(url.hostname);
  if (url.protocol !== 'https:' && !local) return 'must be an https URL';
  if ((local || url.hostname === 'chat.googleapis.com') && /^\/v1\/spaces\/[^/]+\/messages$/.test(url.pathname)) {
    if (!url.searchParams.get('key') || !url.searchParams.get('token')) return 'is a Google Chat webhook URL without its key and token parameters: copy the whole URL';
    return { platform: 'googleChat', url: url.toString() };
  }
  if ((local || url.hostname === 'hooks.slack.com') && /^\/services\/[A-Za-z0-9]+\/[A-Za-z0-9]+\/[A-Za-z0-9]+$/.test(url.pathname)) {
    return { platform: 'slack', url: url.toString() };
  }
  return 'is neither a Google Chat incoming webhook (https://chat.googleapis.com/v1/spaces/…/messages?key=…&token=…) nor a Slack one (https://hooks.slack.com/services/…)';
}

/** Parses `{"name": "webhook URL", …}`; throws naming the channel and the problem, never the URL. */
export function parseChatChannels(json: string): ChatChannels {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new InvalidChatChannelsError('must be a JSON object of channel name → webhook URL, such as {"approvers": "https://chat.googleapis.com/v1/spaces/…"}');
  }
  const parsed = z.record(z.string(), z.string()).safeParse(value);
  if (!parsed.success) throw new InvalidChatChannelsError('must be a JSON object whose values are webhook URLs (strings)');
  const channels = new Map<string, ChatWebhook>();
  for (const [name, url] of Object.entries(parsed.data)) {
    if (!CHANNEL_NAME.test(name)) throw new InvalidChatChannelsError(`channel name "${name.slice(0, 64)}" must be letters, digits, '.', '_' or '-' (at most 64)`);
    const webhook = chatWebhookOf(url);
    if (typeof webhook === 'string') throw new InvalidChatChannelsError(`the URL of channel "${name}" ${webhook}`);
    channels.set(name, webhook);
  }
  return channels;
}
