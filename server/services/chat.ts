// Posts notices to chat channels through their incoming webhooks, with brief retries. It never throws:
// it returns a sentence per channel that could not be reached, which the notification service audits.
// No sentence repeats a webhook URL (a secret): channels are named.
import { PLATFORM_NAMES, type ChatChannels, type ChatWebhook } from '../chat/chat-webhook';
import type { ChatNotice } from '../chat/chat-notice';
import { GOOGLE_CHAT_QUERY, googleChatMessage } from '../chat/google-chat';
import { slackMessage } from '../chat/slack';

export interface ChatDeliveryOptions {
  timeoutMs: number;
  /** Attempts per post, the first included. */
  attempts: number;
  /** Wait before the second attempt; doubled for each further one. */
  backoffMs: number;
}

export const DEFAULT_CHAT_DELIVERY: ChatDeliveryOptions = { timeoutMs: 5000, attempts: 3, backoffMs: 250 };

/** A failed post: which channel, and why. */
export interface ChatFailure {
  channel: string;
  message: string;
}

export class ChatNotifier {
  private loaded?: Promise<ChatChannels>;

  /** `channels` is read on first use (it may come from Secret Manager) and kept once it succeeded. */
  constructor(
    private readonly channels: () => Promise<ChatChannels>,
    private readonly defaultChannel: string | undefined,
    private readonly options: ChatDeliveryOptions = DEFAULT_CHAT_DELIVERY,
  ) {}

  /** Posts to the default channel (unless `onlyNamed`) and the named ones (each once); returns the failures. */
  async post(named: readonly string[], notice: ChatNotice, onlyNamed = false): Promise<ChatFailure[]> {
    const wanted = [...new Set([...(this.defaultChannel && !onlyNamed ? [this.defaultChannel] : []), ...named])];
    if (wanted.length === 0) return [];
    let channels: ChatChannels;
    try {
      channels = await this.load();
    } catch (e) {
      return [{ channel: wanted.join(', '), message: `The chat channels could not be read: ${(e as Error).message}` }];
    }
    const results = await Promise.all(
      wanted.map(async (name): Promise<ChatFailure | null> => {
        const webhook = channels.get(name);
        if (!webhook) return { channel: name, message: `The chat channel '${name}' is not defined in CHAT_CHANNELS, so nothing was posted to it` };
        const problem = await this.deliver(webhook, notice);
        return problem ? { channel: name, message: `The ${PLATFORM_NAMES[webhook.platform]} message to channel '${name}' could not be posted: ${problem}` } : null;
      }),
    );
    return results.filter((r): r is ChatFailure => r !== null);
  }

  private load(): Promise<ChatChannels> {
    if (!this.loaded) {
      this.loaded = this.channels();
      this.loaded.catch(() => (this.loaded = undefined));
    }
    return this.loaded;
  }

  /** Null when posted, else why not after the last attempt. Retries network errors, 429 and 5xx. */
  private async deliver(webhook: ChatWebhook, notice: ChatNotice): Promise<string | null> {
    const url = new URL(webhook.url);
    if (webhook.platform === 'googleChat') for (const [k, v] of Object.entries(GOOGLE_CHAT_QUERY)) url.searchParams.set(k, v);
    const body = JSON.stringify(webhook.platform === 'googleChat' ? googleChatMessage(notice) : slackMessage(notice));
    let problem = '';
    for (let attempt = 1; attempt <= this.options.attempts; attempt++) {
      if (attempt > 1) await new Promise((r) => setTimeout(r, this.options.backoffMs * 2 ** (attempt - 2)));
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json; charset=UTF-8' },
          body,
          redirect: 'error',
          signal: AbortSignal.timeout(this.options.timeoutMs),
        });
        if (res.ok) return null;
        problem = `it answered ${res.status} ${describeAnswer(await res.text())}`;
        if (res.status !== 429 && res.status < 500) return problem;
      } catch (e) {
        // The error's cause names the failure (ECONNREFUSED, a timeout); its message could name the URL.
        const cause = (e as { cause?: { code?: string } }).cause;
        problem = (e as Error).name === 'TimeoutError' ? `no answer within ${this.options.timeoutMs} ms` : `the webhook could not be reached (${cause?.code ?? (e as Error).name})`;
      }
    }
    return `${problem} (after ${this.options.attempts} attempts)`;
  }
}

/** Slack's plain-text code (`invalid_blocks`) or Google's error message, briefly. */
function describeAnswer(text: string): string {
  let said = text.trim();
  try {
    said = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? said;
  } catch {
    // Slack answers plain text.
  }
  return said.length > 200 ? `${said.slice(0, 200)}…` : said;
}
