// A notice as a Google Chat message: one card (cards v2) in the request's thread. Card text accepts a
// small HTML subset (<b>, <i>, <a>, <font>, <br>), so every value is HTML-escaped; the card header and
// fallbackText are plain text.
import type { ChatNotice } from './chat-notice';

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text shown literally in a card's formatted text, line breaks kept. */
export function escapeCardText(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]).replace(/\r?\n/g, '<br>');
}

/** Query parameters of the post: reply in the thread of the key, or start it. */
export const GOOGLE_CHAT_QUERY = { messageReplyOption: 'REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD' } as const;

export function googleChatMessage(notice: ChatNotice): Record<string, unknown> {
  return {
    fallbackText: notice.summary,
    thread: { threadKey: notice.threadKey },
    cardsV2: [
      {
        cardId: 'jit-access',
        card: {
          header: { title: notice.title },
          sections: [
            {
              widgets: [
                ...notice.facts.map((f) => ({ decoratedText: { topLabel: f.label, text: escapeCardText(f.value), wrapText: true } })),
                ...(notice.justification === undefined ? [] : [{ decoratedText: { topLabel: 'Justification', text: escapeCardText(notice.justification) || '—', wrapText: true } }]),
                { buttonList: { buttons: [{ text: notice.button.text, onClick: { openLink: { url: notice.button.url } } }] } },
              ],
            },
          ],
        },
      },
    ],
  };
}
