// The SMTP mailbox: what nodemailer sends arrives parsed in mail.json and on the mail page (with its
// links clickable), and injected SMTP failures make sendMail reject until they run out.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import nodemailer, { type Transporter } from 'nodemailer';
import { startTestEmulator } from '../support/emulator';
import type { EmulatorEnv } from '../../emulator/env';
import { startSmtpServer } from '../../emulator/mailbox';
import type { RunningEmulator } from '../../emulator/server';
import type { MailMessage } from '../../emulator/state';

let emulator: RunningEmulator;
// One pooled connection for the whole file: smtp-server waits 100 ms before greeting each new one.
let mailer: Transporter;

beforeAll(async () => {
  emulator = await startTestEmulator();
  mailer = nodemailer.createTransport({ host: '127.0.0.1', port: emulator.smtpPort, secure: false, ignoreTLS: true, pool: true, maxConnections: 1 });
});
afterAll(async () => {
  mailer.close();
  await emulator.close();
});
beforeEach(async () => {
  await fetch(`${emulator.url}/_emulator/mail`, { method: 'DELETE' });
  await fetch(`${emulator.url}/_emulator/faults`, { method: 'DELETE' });
});


const APPROVAL_URL = 'http://127.0.0.1:8080/requests/abc?token=x&view=approve';

function approvalMail(subject = 'Approve <compute.admin> & more') {
  return {
    from: '"JIT Access" <jit@example.com>',
    to: 'bob@example.com',
    cc: 'alice@example.com',
    subject,
    text: `alice@example.com asks for compute.admin on prod-app.\nApprove: ${APPROVAL_URL}`,
    html: `<!doctype html><html><head><title>x</title></head><body><p>alice@example.com asks for <b>compute.admin</b>.</p><p><a href="${APPROVAL_URL.replace('&', '&amp;')}">Review the request</a></p></body></html>`,
    headers: { 'X-JIT-Request': 'req-1' },
  };
}

async function mailJson(query = ''): Promise<MailMessage[]> {
  const res = await fetch(`${emulator.url}/_emulator/mail.json${query}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { messages: MailMessage[] }).messages;
}

async function setFaults(body: object): Promise<void> {
  const res = await fetch(`${emulator.url}/_emulator/faults`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  expect(res.status).toBe(200);
}

test('a message sent with nodemailer appears in mail.json with its parsed fields', async () => {
  const info = await mailer.sendMail(approvalMail());
  expect(info.accepted).toEqual(['bob@example.com', 'alice@example.com']);
  expect(info.response).toMatch(/^250 /);

  const [message, ...rest] = await mailJson();
  expect(rest).toEqual([]);
  expect(message).toMatchObject({
    id: expect.any(Number),
    envelope: { from: 'jit@example.com', to: ['bob@example.com', 'alice@example.com'] },
    from: '"JIT Access" <jit@example.com>',
    to: 'bob@example.com',
    cc: 'alice@example.com',
    subject: 'Approve <compute.admin> & more',
    headers: expect.objectContaining({ 'x-jit-request': 'req-1', subject: 'Approve <compute.admin> & more' }),
  });
  expect(message.text).toContain(`Approve: ${APPROVAL_URL}`);
  expect(message.html).toContain(`href="${APPROVAL_URL.replace('&', '&amp;')}"`);
  expect(Date.parse(message.receivedAt)).toBeGreaterThan(Date.now() - 60_000);
});

test('messages are listed newest last, filtered by recipient, and cleared', async () => {
  await mailer.sendMail({ ...approvalMail('first'), to: 'erin@example.com', cc: undefined });
  await mailer.sendMail(approvalMail('second'));
  const all = await mailJson();
  expect(all.map((m) => m.subject)).toEqual(['first', 'second']);
  expect(all[1].id).toBeGreaterThan(all[0].id);
  expect((await mailJson('?to=ALICE@example.com')).map((m) => m.subject)).toEqual(['second']);
  expect((await mailJson('?to=erin@example.com')).map((m) => m.subject)).toEqual(['first']);
  expect(await mailJson('?to=nobody@example.com')).toEqual([]);

  const unknown = await fetch(`${emulator.url}/_emulator/mail.json?recipient=x`);
  expect(unknown.status).toBe(400);

  const cleared = await fetch(`${emulator.url}/_emulator/mail`, { method: 'DELETE' });
  expect(cleared.status).toBe(200);
  expect(await mailJson()).toEqual([]);
  await mailer.sendMail(approvalMail('third'));
  const [third] = await mailJson();
  expect(third.id).toBeGreaterThan(all[1].id);
});

test('the mail page shows each message with its link clickable and everything escaped', async () => {
  await mailer.sendMail(approvalMail());
  const res = await fetch(`${emulator.url}/_emulator/mail`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/html/);
  const page = await res.text();

  expect(page).toContain('<h2 id="mail-');
  expect(page).toContain('Approve &lt;compute.admin&gt; &amp; more');
  expect(page).not.toContain('<compute.admin>');
  expect(page).toContain('&quot;JIT Access&quot; &lt;jit@example.com&gt;');
  expect(page).toMatch(/<dt>Cc<\/dt><dd>alice@example\.com<\/dd>/);

  const iframe = /<iframe [^>]*sandbox="([^"]*)"[^>]*srcdoc="([^"]*)"/.exec(page);
  expect(iframe).not.toBeNull();
  const sandbox = iframe![1].split(' ');
  expect(sandbox).toEqual(expect.arrayContaining(['allow-popups', 'allow-top-navigation-by-user-activation']));
  expect(sandbox).not.toContain('allow-scripts');
  const srcdoc = iframe![2].replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
  expect(srcdoc).toContain('<head><base target="_top"><title>');
  expect(srcdoc).toContain(`<a href="${APPROVAL_URL.replace('&', '&amp;')}">Review the request</a>`);
  expect(page).toContain(`<pre>alice@example.com asks for compute.admin on prod-app.\nApprove: ${APPROVAL_URL.replace('&', '&amp;')}</pre>`);
});

test('the mail page filters by recipient', async () => {
  await mailer.sendMail({ ...approvalMail('for erin'), to: 'erin@example.com', cc: undefined });
  await mailer.sendMail(approvalMail('for bob'));
  const page = await (await fetch(`${emulator.url}/_emulator/mail?to=erin@example.com`)).text();
  expect(page).toContain('for erin');
  expect(page).not.toContain('for bob');
});

test('any SMTP credentials are accepted, and nothing is written to the console (test output stays quiet)', async () => {
  const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
  try {
    const withAuth = nodemailer.createTransport({ host: '127.0.0.1', port: emulator.smtpPort, secure: false, ignoreTLS: true, auth: { user: 'jit-sender', pass: 's3cret-pass' } });
    await withAuth.sendMail(approvalMail());
    expect(log).not.toHaveBeenCalled();
  } finally {
    log.mockRestore();
  }
  expect(await mailJson()).toHaveLength(1);
  expect(await (await fetch(`${emulator.url}/_emulator/mail`)).text()).toContain('accepts any credentials');
});

test('a taken SMTP port fails the start with EADDRINUSE instead of crashing the process', async () => {
  const env = { state: emulator.state } as EmulatorEnv;
  await expect(startSmtpServer(env, '127.0.0.1', emulator.smtpPort)).rejects.toMatchObject({ code: 'EADDRINUSE', port: emulator.smtpPort });
});

test('smtpRejections: N rejects the next N messages, then mail flows again', async () => {
  await setFaults({ smtpRejections: 2 });
  for (let i = 0; i < 2; i++) await expect(mailer.sendMail(approvalMail())).rejects.toMatchObject({ responseCode: 451 });
  const faults = (await (await fetch(`${emulator.url}/_emulator/faults`)).json()) as { smtpRejections: number };
  expect(faults.smtpRejections).toBe(0);
  expect(await mailJson()).toEqual([]);
  await mailer.sendMail(approvalMail());
  expect(await mailJson()).toHaveLength(1);
});

test('smtpRejections -1 rejects every message until the faults are cleared', async () => {
  await setFaults({ smtpRejections: -1 });
  for (let i = 0; i < 3; i++) await expect(mailer.sendMail(approvalMail())).rejects.toMatchObject({ responseCode: 550 });
  expect(await mailJson()).toEqual([]);
  await fetch(`${emulator.url}/_emulator/faults`, { method: 'DELETE' });
  await mailer.sendMail(approvalMail());
  expect(await mailJson()).toHaveLength(1);
});

test('mail that arrives over SMTP is saved to the state file and survives a restart', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'mailbox-'));
  const stateFile = path.join(dir, 'state.json');
  try {
    const first = await startTestEmulator(undefined, { stateFile });
    const oneShot = nodemailer.createTransport({ host: '127.0.0.1', port: first.smtpPort, secure: false, ignoreTLS: true });
    await oneShot.sendMail(approvalMail('kept'));
    await first.close();
    const second = await startTestEmulator(undefined, { stateFile });
    try {
      const res = await fetch(`${second.url}/_emulator/mail.json`);
      expect(((await res.json()) as { messages: MailMessage[] }).messages.map((m) => m.subject)).toEqual(['kept']);
    } finally {
      await second.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
