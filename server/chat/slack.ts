// A notice as a Slack message (Block Kit). mrkdwn gives `<…>` its meaning (links, @mentions, !channel),
// so `&`, `<` and `>` are escaped as Slack documents; nothing a user typed can mention or link.
import type { ChatNotice } from './chat-notice';

/** Text shown literally in mrkdwn. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** At most `max` characters, cut before an entity it would split. */
function fit(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max - 1).replace(/&[a-z]*$/, '')}…`;
}

export function slackMessage(notice: ChatNotice): Record<string, unknown> {
  const fields = notice.facts.map((f) => ({ type: 'mrkdwn', text: fit(`*${f.label}*\n${escapeMrkdwn(f.value)}`, 2000) }));
  return {
    text: fit(escapeMrkdwn(notice.summary), 3000),
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: fit(notice.title, 150) } },
      // A section holds at most 10 fields.
      ...Array.from({ length: Math.ceil(fields.length / 10) }, (_, i) => ({ type: 'section', fields: fields.slice(i * 10, i * 10 + 10) })),
      ...(notice.justification === undefined ? [] : [{ type: 'section', text: { type: 'mrkdwn', text: fit(`*Justification*\n${escapeMrkdwn(notice.justification) || '—'}`, 3000) } }]),
      { type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: notice.button.text }, url: notice.button.url, action_id: 'open' }] },
    ],
  };
}
