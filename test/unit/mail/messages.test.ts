import { escapeHtml, html, httpUrl } from '../../../server/mail/html';
import { formatMailTime } from '../../../server/mail/mail-time';
import { alertsMail, ALERTS_PER_MESSAGE, approvedMail, decisionMail, requestMail } from '../../../server/mail/messages';
import { alertsNotice, requestNotice } from '../../../server/chat/chat-notice';
import { googleChatMessage } from '../../../server/chat/google-chat';
import { slackMessage } from '../../../server/chat/slack';
import type { Alert } from '../../../server/domain/admin-alerts';
import type { ApprovalRequest } from '../../../server/domain/approval-request';

const ATTACK = `<img src=x onerror=alert(1)><script>alert("x")</script>'&`;

const request: ApprovalRequest = {
  id: 'mpa-AAAAAAAAAAAAAAAA',
  beneficiary: 'alice@example.com',
  reviewers: ['bob@example.com'],
  entitlement: { projectId: 'prod-app', role: 'roles/compute.admin', resourceCondition: 'resource.name == "<b>"' },
  justification: ATTACK,
  start: new Date('1970-01-02T00:00:00Z'),
  end: new Date('1970-01-02T00:30:00Z'),
  windowFromApproval: false,
  requiredApprovals: 1,
  bindingType: 'peer',
  issuedAt: new Date('1970-01-02T00:00:00Z'),
  expiresAt: new Date('1970-01-02T00:30:00Z'),
};

describe('html templates', () => {
  test('escape every interpolated value, keep markup made by html', () => {
    const inner = html`<b>${'<i>'}</b>`;
    expect(html`<p title="${'"onmouseover="x'}">${ATTACK}${inner}${['<a>', inner]}${null}</p>`.text).toBe(
      '<p title="&quot;onmouseover=&quot;x">&lt;img src=x onerror=alert(1)&gt;&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39;&amp;<b>&lt;i&gt;</b>&lt;a&gt;<b>&lt;i&gt;</b></p>',
    );
    expect(escapeHtml(`&<>"'`)).toBe('&amp;&lt;&gt;&quot;&#39;');
  });

  test('links are http(s) only', () => {
    expect(httpUrl('https://jit.example.com/approve/x~y')).toBe('https://jit.example.com/approve/x~y');
    expect(() => httpUrl('javascript:alert(1)')).toThrow('javascript:');
  });
});

describe('times in emails (RFC 1123 in NOTIFICATION_TIMEZONE, as jit-access 1.x)', () => {
  test.each([
    ['UTC', '1970-01-02T00:00:00Z', 'Fri, 2 Jan 1970 00:00:00 GMT'],
    ['Australia/Brisbane', '1970-01-02T00:00:00Z', 'Fri, 2 Jan 1970 10:00:00 +1000'],
    ['America/New_York', '2024-07-04T16:05:09Z', 'Thu, 4 Jul 2024 12:05:09 -0400'],
    ['Asia/Kolkata', '2024-12-31T20:00:00Z', 'Wed, 1 Jan 2025 01:30:00 +0530'],
    ['+10:00', '1970-01-02T00:00:00Z', 'Fri, 2 Jan 1970 10:00:00 +1000'],
    ['-03:30', '2024-01-01T02:00:00Z', 'Sun, 31 Dec 2023 22:30:00 -0330'],
    ['+00:00', '2024-01-01T02:00:00Z', 'Mon, 1 Jan 2024 02:00:00 GMT'],
  ])('%s: %s → %s', (zone, instant, expected) => {
    expect(formatMailTime(new Date(instant), zone)).toBe(expected);
  });
});

describe('extension requests, in words', () => {
  // Alice's grant ends at 00:00; the request adds 30 minutes after it.
  const extension: ApprovalRequest = { ...request, extension: { grantId: 'g', start: new Date('1970-01-01T23:00:00Z'), end: new Date('1970-01-02T00:00:00Z') } };
  const publicUrl = 'https://jit.example.com';

  test('the reviewers read what is extended, from when and by how much', () => {
    const mail = requestMail({ request: extension, link: `${publicUrl}/approve/A~~B~C`, publicUrl, timeZone: 'UTC' });
    expect(mail.subject).toBe('alice@example.com requests an extension of their access to project prod-app');
    expect(mail.text).toContain(
      'alice@example.com requests your approval to extend their grant of roles/compute.admin on the Google Cloud project prod-app, ending at Fri, 2 Jan 1970 00:00:00 GMT, by 30 minutes.',
    );
    expect(mail.text).toContain('Current grant: Thu, 1 Jan 1970 23:00:00 GMT – Fri, 2 Jan 1970 00:00:00 GMT');
    expect(mail.text).toContain('Extension: 30 minutes, to end at Fri, 2 Jan 1970 00:30:00 GMT');
    expect(mail.html).toContain('Extension request');
  });

  test('the approval, a denial and the chat notice say it is an extension', () => {
    expect(approvedMail({ request: extension, approver: 'bob@example.com', publicUrl, timeZone: 'UTC' }).text).toContain(
      'bob@example.com approved your request to extend your grant of roles/compute.admin on the Google Cloud project prod-app, ending at Fri, 2 Jan 1970 00:00:00 GMT, by 30 minutes: it now ends at Fri, 2 Jan 1970 00:30:00 GMT.',
    );
    expect(decisionMail({ request: extension, decision: 'denied', actor: 'bob@example.com', approvals: 0, reason: 'no', publicUrl, timeZone: 'UTC' }).text).toContain(
      'bob@example.com denied the request of alice@example.com to extend their grant of roles/compute.admin',
    );
    const notice = requestNotice(extension, { kind: 'requested', link: `${publicUrl}/approve/x` }, publicUrl, 'UTC');
    expect(notice.title).toBe('Extension requested');
    expect(notice.summary).toBe("Extension requested: extend alice@example.com's grant of roles/compute.admin on the Google Cloud project prod-app, ending at Fri, 2 Jan 1970 00:00:00 GMT, by 30 minutes");
    expect(notice.facts).toContainEqual({ label: 'New end', value: 'Fri, 2 Jan 1970 00:30:00 GMT' });
    // A request for a role keeps its own words.
    expect(requestNotice(request, { kind: 'requested', link: `${publicUrl}/approve/x` }, publicUrl, 'UTC').title).toBe('Access requested');
  });
});

describe('peer-approval emails', () => {
  const link = 'https://jit.example.com/approve/A~~B~C';

  test('the request goes to the reviewers, the requester in copy, with the link and escaped values', () => {
    const mail = requestMail({ request, link, publicUrl: 'https://jit.example.com', timeZone: 'UTC' });
    expect(mail.to).toEqual(['bob@example.com']);
    expect(mail.cc).toEqual(['alice@example.com']);
    expect(mail.subject).toBe('alice@example.com requests access to project prod-app');
    expect(mail.html).toContain(`href="${link}"`);
    expect(mail.html).not.toMatch(/<img|<script|<b>/);
    expect(mail.html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(mail.html).toContain('resource.name == &quot;&lt;b&gt;&quot;');
    expect(mail.html).toContain('Fri, 2 Jan 1970 00:30:00 GMT');
    expect(mail.text).toContain(`Justification: ${ATTACK}`);
    expect(mail.text).toContain(`Review the request: ${link}`);
  });

  test('a window from approval is said as a duration', () => {
    const mail = requestMail({ request: { ...request, windowFromApproval: true, requiredApprovals: 2 }, link, publicUrl: 'https://jit.example.com', timeZone: 'UTC' });
    expect(mail.text).toContain('Duration: 30 minutes, from the moment the request is approved');
    expect(mail.text).toContain('Approvals needed: 2 from different reviewers');
    expect(mail.text).not.toContain('Start time');
  });

  test('a denial goes to the requester with its escaped reason; a cancellation to the reviewers', () => {
    const denied = decisionMail({ request, decision: 'denied', actor: 'bob@example.com', approvals: 0, reason: '<b>freeze</b>', publicUrl: 'https://jit.example.com', timeZone: 'UTC' });
    expect(denied).toMatchObject({ to: ['alice@example.com'], cc: [] });
    expect(denied.html).toContain('&lt;b&gt;freeze&lt;/b&gt;');
    expect(denied.text).toContain('Reason: <b>freeze</b>');
    const cancelled = decisionMail({ request, decision: 'cancelled', actor: 'alice@example.com', approvals: 0, publicUrl: 'https://jit.example.com', timeZone: 'UTC' });
    expect(cancelled).toMatchObject({ to: ['bob@example.com'], cc: [] });
    const recorded = decisionMail({ request: { ...request, requiredApprovals: 3 }, decision: 'approval-recorded', actor: 'bob@example.com', approvals: 1, publicUrl: 'https://jit.example.com', timeZone: 'UTC' });
    expect(recorded.text).toContain('1 of 3 approvals. It is granted once 2 more reviewers approve.');
  });

  test('the approval goes to the requester, the reviewers in copy', () => {
    const mail = approvedMail({ request, approver: 'bob@example.com', publicUrl: 'https://jit.example.com', timeZone: 'Australia/Brisbane' });
    expect(mail).toMatchObject({ to: ['alice@example.com'], cc: ['bob@example.com'], subject: 'Re: alice@example.com requests access to project prod-app' });
    expect(mail.html).toContain('bob@example.com approved your request to access the Google Cloud project prod-app.');
    expect(mail.html).not.toMatch(/<img|<script/);
    expect(mail.html).toContain('Fri, 2 Jan 1970 10:00:00 +1000');
  });
});

describe('alerts', () => {
  const alert = (i: number): Alert => ({
    id: `break-glass-outside-schedule:bg-${i}`,
    kind: 'break-glass-outside-schedule',
    severity: 'medium',
    time: new Date('1970-01-02T00:00:00Z'),
    user: 'erin@example.com',
    projectId: 'prod-app',
    role: 'roles/owner',
    activationId: `bg-${i}`,
    message: `erin@example.com broke the glass, saying: ${ATTACK}`,
  });

  test('one email lists every new alert, escaped, up to a limit, with a link to the Admin area', () => {
    const mail = alertsMail({ to: ['sec@example.com'], alerts: [alert(1)], publicUrl: 'https://jit.example.com/', timeZone: 'UTC' });
    expect(mail.subject).toBe('JIT Access: alert: Break-glass outside the change windows');
    expect(mail.html).not.toMatch(/<img|<script/);
    expect(mail.text).toContain(ATTACK);
    expect(mail.text).toContain('https://jit.example.com/admin');
    const many = alertsMail({ to: ['sec@example.com'], alerts: Array.from({ length: ALERTS_PER_MESSAGE + 3 }, (_, i) => alert(i)), publicUrl: 'https://jit.example.com', timeZone: 'UTC' });
    expect(many.subject).toBe(`JIT Access: ${ALERTS_PER_MESSAGE + 3} new alerts`);
    expect(many.text).toContain('And 3 more.');
    expect(many.text.match(/^- /gm)).toHaveLength(ALERTS_PER_MESSAGE);
  });

  test('a chat message of alerts has no justification section', () => {
    const notice = alertsNotice([alert(1), alert(2)], 'https://jit.example.com', 'UTC');
    expect(notice.title).toBe('2 new alerts');
    expect(JSON.stringify(googleChatMessage(notice))).not.toContain('Justification');
    expect(JSON.stringify(slackMessage(notice))).not.toContain('Justification');
    expect(JSON.stringify(slackMessage(notice))).not.toContain('<script>');
  });
});
