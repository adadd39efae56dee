// Sends email over SMTP with nodemailer: the SMTP_* settings, the password from SMTP_PASSWORD or Secret
// Manager (SMTP_SECRET), recipients mapped through SMTP_ADDRESS_MAPPING.
import type { Transporter } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import type { Config } from '../config';
import type { Timeouts } from '../google/connection';
import type { AddressMapping } from '../domain/address-mapping';

export type SmtpSettings = NonNullable<Config['notifications']['smtp']>;

/** An email to users of the service, named by their user ids (emails); the mailer maps them to addresses. */
export interface OutgoingMail {
  to: readonly string[];
  cc: readonly string[];
  subject: string;
  html: string;
  text: string;
  /**
   * True when `to` and `cc` are email addresses as configured (the access policy's `notify.emails`,
   * ALERT_EMAILS), not user ids: SMTP_ADDRESS_MAPPING, which maps user ids to mailboxes, does not apply to them.
   */
  literalAddresses?: boolean;
  /** Threading: a request's email and its approval's email share a conversation. */
  messageId?: string;
  inReplyTo?: string;
}

/** Sending failed; the message says why, without credentials. */
export class MailError extends Error {}

/**
 * SMTP_OPTIONS uses jit-access 1.x's JavaMail property names; these are the ones with a nodemailer
 * equivalent. Others are reported at start-up and ignored.
 */
const OPTION_MAPPING: Record<string, (value: string) => Partial<SMTPTransport.Options>> = {
  'mail.smtp.ssl.enable': (v) => ({ secure: v === 'true' }),
  'mail.smtp.starttls.required': (v) => ({ requireTLS: v === 'true' }),
  'mail.smtp.connectiontimeout': (v) => ({ connectionTimeout: Number(v) }),
  'mail.smtp.timeout': (v) => ({ socketTimeout: Number(v) }),
  'mail.smtp.localhost': (v) => ({ name: v }),
};

/** Header values must stay on one line; our subjects contain emails and project ids only, but be sure. */
function oneLine(text: string): string {
  return text.replace(/[\p{Cc}\p{Zl}\p{Zp}]+/gu, ' ');
}

export class Mailer {
  private transport?: Promise<Transporter<SMTPTransport.SentMessageInfo>>;

  constructor(
    private readonly settings: SmtpSettings,
    private readonly mapping: AddressMapping,
    /** The SMTP password, when authentication is configured; looked up on first use. */
    private readonly password: () => Promise<string | undefined>,
    private readonly timeouts: Timeouts,
  ) {
    const ignored = Object.keys(settings.options).filter((k) => !(k in OPTION_MAPPING));
    if (ignored.length > 0) {
      console.log(JSON.stringify({ severity: 'WARNING', message: `SMTP_OPTIONS: ignoring ${ignored.join(', ')} (supported: ${Object.keys(OPTION_MAPPING).join(', ')})` }));
    }
  }

  /** Where mail goes, for messages: `smtp.example.com:587`. */
  get server(): string {
    return `${this.settings.host}:${this.settings.port}`;
  }

  async send(mail: OutgoingMail): Promise<void> {
    const address = (u: string) => (mail.literalAddresses ? u : this.mapping.addressOf(u));
    const to = mail.to.map(address);
    const cc = mail.cc.map(address);
    const transport = await this.transportOnce();
    try {
      await transport.sendMail({
        from: { name: oneLine(this.settings.senderName), address: this.settings.senderAddress },
        to,
        cc,
        subject: oneLine(mail.subject),
        html: mail.html,
        text: mail.text,
        messageId: mail.messageId,
        inReplyTo: mail.inReplyTo,
        references: mail.inReplyTo,
        // No out-of-office replies to a robot.
        headers: { Precedence: 'bulk', 'Auto-Submitted': 'auto-generated' },
      });
    } catch (e) {
      throw new MailError(`sending through ${this.server} failed: ${(e as Error).message}`);
    }
  }

  /** A Message-ID in the sender's domain, derived from a stable key so that replies can refer to it. */
  messageIdFor(key: string): string {
    const domain = this.settings.senderAddress.split('@')[1];
    return `<${Buffer.from(key).toString('base64url')}@${domain}>`;
  }

  private transportOnce(): Promise<Transporter<SMTPTransport.SentMessageInfo>> {
    this.transport ??= this.createTransport().catch((e) => {
      // A failed secret lookup is retried by the next email rather than remembered.
      this.transport = undefined;
      throw new MailError(`looking up the SMTP password failed: ${(e as Error).message}`);
    });
    return this.transport;
  }

  private async createTransport(): Promise<Transporter<SMTPTransport.SentMessageInfo>> {
    const { host, port, startTls, username, options } = this.settings;
    const password = username ? await this.password() : undefined;
    const mapped = Object.entries(options).reduce<Partial<SMTPTransport.Options>>((all, [k, v]) => ({ ...all, ...OPTION_MAPPING[k]?.(v) }), {});
    // Loaded with the first email rather than at start-up, which does not need it.
    const nodemailer = require('nodemailer') as typeof import('nodemailer');
    return nodemailer.createTransport({
      host,
      port,
      secure: port === 465,
      ignoreTLS: !startTls,
      connectionTimeout: this.timeouts.connectMs,
      greetingTimeout: this.timeouts.readMs,
      socketTimeout: this.timeouts.readMs,
      ...(username && password ? { auth: { user: username, pass: password } } : {}),
      ...mapped,
    });
  }
}
