// The SMTP mailbox: an SMTP server that keeps what the service sends, and a JSON API and a web page to
// read it, where the links in each email can be clicked (approval links lead to the IAP proxy).
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { simpleParser, type AddressObject, type HeaderLines } from 'mailparser';
import type { EmulatorEnv } from './env';
import type { Faults, MailMessage } from './state';
import { single, strictQuery, type Route } from './http';
import { escapeHtml, htmlPage } from './html';

export interface SmtpServerHandle {
  port: number;
  close(): Promise<void>;
}

const MAX_MESSAGE_BYTES = 10 * 1024 * 1024;

/** An error smtp-server answers with this SMTP reply code, which makes nodemailer's sendMail reject. */
function smtpError(responseCode: number, message: string): Error {
  return Object.assign(new Error(message), { responseCode });
}

/** Consumes one injected rejection: N > 0 rejects the next N messages (transient 451), -1 rejects all (permanent 550). */
function takeRejection(faults: Faults): Error | undefined {
  if (faults.smtpRejections === -1) return smtpError(550, '5.7.1 Message rejected: the emulator rejects all mail (faults.smtpRejections = -1)');
  if (faults.smtpRejections > 0) {
    faults.smtpRejections -= 1;
    return smtpError(451, '4.3.0 Temporary failure injected by the emulator (faults.smtpRejections)');
  }
  return undefined;
}

export async function startSmtpServer(env: EmulatorEnv, host: string, port: number): Promise<SmtpServerHandle> {
  const { state } = env;
  // Ids only grow, even when the mailbox is cleared, so an id a test kept never names another message.
  let lastId = 0;
  const server = new SMTPServer({
    banner: 'JIT Access emulator mailbox',
    authOptional: true,
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    size: MAX_MESSAGE_BYTES,
    closeTimeout: 1000,
    // A reverse DNS lookup of 127.0.0.1 per connection only adds latency to every message.
    disableReverseLookup: true,
    logger: false,
    onAuth(auth, _session, callback) {
      // Any credentials do: the mailbox is there to show what the service sends, not to test SMTP auth
      // (its page says so, rather than a console line per session in every test run).
      callback(null, { user: auth.username ?? 'anonymous' });
    },
    onData(stream, session, callback) {
      const rejection = takeRejection(state.faults);
      if (rejection) {
        stream.on('end', () => callback(rejection));
        stream.resume();
        return;
      }
      simpleParser(stream).then(
        (parsed) => {
          if (stream.sizeExceeded) return callback(smtpError(552, `5.3.4 Message exceeds the fixed maximum message size of ${MAX_MESSAGE_BYTES} bytes`));
          lastId = Math.max(lastId, ...state.mail.map((m) => m.id)) + 1;
          const message: MailMessage = {
            id: lastId,
            receivedAt: state.now().toISOString(),
            envelope: { from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address) },
            from: addressText(parsed.from),
            to: addressText(parsed.to),
            cc: addressText(parsed.cc),
            subject: parsed.subject ?? '',
            text: parsed.text ?? '',
            html: parsed.html || '',
            headers: headerRecord(parsed.headerLines),
          };
          state.mail.push(message);
          if (env.stateFile) state.save(env.stateFile);
          callback(null, `Message ${message.id} accepted by the emulator's mailbox`);
        },
        (e: Error) => callback(smtpError(554, `5.6.0 The message could not be parsed: ${e.message}`)),
      );
    },
  });
  // smtp-server re-emits every error of its listener and of its connections on itself, where nobody
  // listening would crash the process: a taken port fails the start, a client that vanishes is ignored.
  let failStart: ((error: Error) => void) | undefined;
  server.on('error', (error) => failStart?.(error));
  await new Promise<void>((resolve, reject) => {
    failStart = reject;
    server.listen(port, host, () => {
      failStart = undefined;
      resolve();
    });
  });
  return {
    port: (server.server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function addressText(address: AddressObject | AddressObject[] | undefined): string {
  if (address === undefined) return '';
  return (Array.isArray(address) ? address : [address]).map((a) => a.text).join(', ');
}

/** Raw header values by lower-case name, unfolded; repeated headers joined with ", ". */
function headerRecord(lines: HeaderLines): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const { key, line } of lines) {
    const value = line
      .slice(line.indexOf(':') + 1)
      .replace(/\r?\n[ \t]+/g, ' ')
      .trim();
    headers[key] = key in headers ? `${headers[key]}, ${value}` : value;
  }
  return headers;
}

/** Messages to an address (To, Cc or Bcc: the envelope has them all), or all of them. */
function selectMessages(messages: MailMessage[], to: string | undefined): MailMessage[] {
  if (to === undefined) return messages;
  const wanted = to.trim().toLowerCase();
  return messages.filter((m) => m.envelope.to.some((r) => r.toLowerCase() === wanted));
}

/** Public routes: `GET /_emulator/mail.json`, `GET /_emulator/mail` (web page), `DELETE /_emulator/mail`. */
export function mailboxRoutes(env: EmulatorEnv): Route[] {
  const { state } = env;
  const route = (method: Route['method'], path: string, name: string, handler: Route['handler']): Route => ({
    method,
    pattern: new RegExp(`^/_emulator/${path.replace('.', '\\.')}$`),
    api: '_emulator',
    name,
    public: true,
    handler,
  });
  return [
    route('GET', 'mail.json', '_emulator.mail.list', (req) => ({ messages: selectMessages(state.mail, single(strictQuery(req, ['to']), 'to')) })),
    route('GET', 'mail', '_emulator.mail.page', (req, res) => {
      const to = single(strictQuery(req, ['to']), 'to');
      res
        .status(200)
        .set({
          'Content-Type': 'text/html; charset=utf-8',
          'Cache-Control': 'no-store',
          // No script anywhere: neither the page nor the emails it shows need one.
          'Content-Security-Policy': "script-src 'none'; object-src 'none'",
          'X-Content-Type-Options': 'nosniff',
        })
        .send(mailboxPage(env, selectMessages(state.mail, to), to));
    }),
    route('DELETE', 'mail', '_emulator.mail.clear', () => {
      state.mail = [];
      if (env.stateFile) state.save(env.stateFile);
      return {};
    }),
  ];
}

/** The email's own HTML with `<base target="_top">` first, so a click replaces the mailbox page rather than the frame. */
function framedHtml(html: string): string {
  const base = '<base target="_top">';
  const head = /<head(\s[^>]*)?>/i.exec(html);
  if (head) return html.slice(0, head.index + head[0].length) + base + html.slice(head.index + head[0].length);
  const doctype = /^\s*<!doctype[^>]*>/i.exec(html);
  if (doctype) return doctype[0] + base + html.slice(doctype[0].length);
  return base + html;
}

function mailboxPage(env: EmulatorEnv, messages: MailMessage[], to: string | undefined): string {
  const newestFirst = [...messages].reverse();
  const filter = to === undefined ? '' : ` to ${escapeHtml(to)} (<a href="/_emulator/mail">show all</a>)`;
  const count = `${messages.length} message${messages.length === 1 ? '' : 's'}`;
  const articles = newestFirst.map((m) => {
    const rows: [string, string][] = [
      ['From', m.from || m.envelope.from],
      ['To', m.to || m.envelope.to.join(', ')],
      ...(m.cc ? [['Cc', m.cc] as [string, string]] : []),
    ];
    const subject = m.subject || '(no subject)';
    const htmlBody = m.html
      ? `<iframe title="${escapeHtml(`Email: ${subject}`)}" sandbox="allow-popups allow-popups-to-escape-sandbox allow-top-navigation-by-user-activation" srcdoc="${escapeHtml(framedHtml(m.html))}"></iframe>`
      : '';
    const textBody = m.text
      ? m.html
        ? `<details><summary>Plain-text part</summary><pre>${escapeHtml(m.text)}</pre></details>`
        : `<pre>${escapeHtml(m.text)}</pre>`
      : '';
    return [
      `<article id="mail-${m.id}" aria-labelledby="mail-${m.id}-subject">`,
      `<h2 id="mail-${m.id}-subject">${escapeHtml(subject)}</h2>`,
      '<dl>',
      ...rows.map(([k, v]) => `<dt>${k}</dt><dd>${escapeHtml(v)}</dd>`),
      `<dt>Received</dt><dd><time datetime="${escapeHtml(m.receivedAt)}">${escapeHtml(m.receivedAt)}</time></dd>`,
      '</dl>',
      htmlBody,
      textBody,
      '</article>',
    ]
      .filter(Boolean)
      .join('\n');
  });
  const body = [
    '<h1>Mailbox</h1>',
    `<p>${count}${filter} received on the emulator's SMTP port ${env.smtpPort}, newest first. <a href="">Refresh</a> · <a href="/_emulator/mail.json">JSON</a></p>`,
    '<p class="note">The SMTP port accepts any credentials, or none, and never STARTTLS.</p>',
    articles.length > 0 ? articles.join('\n') : '<p class="note">No mail yet.</p>',
  ];
  return htmlPage('Mailbox – emulator', body.join('\n'));
}
