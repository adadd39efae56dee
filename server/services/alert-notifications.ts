// Sends the Admin area's new alerts to ALERT_EMAILS and ALERT_CHAT_CHANNELS, run by the scheduled task
// (/tasks/cleanup) so that it needs no process of its own. Each alert is sent once per destination without a
// database: every message sent is audited as `alert.notified` with the ids it carried, and the next run —
// on any instance — reads those entries back from the shared audit feed and leaves those alerts out.
import { notifiedAlertIds, type Alert } from '../domain/admin-alerts';
import type { Mailer } from '../mail/mailer';
import { alertsMail } from '../mail/messages';
import { alertsNotice } from '../chat/chat-notice';
import type { ChatNotifier } from './chat';
import type { AuditLog } from './audit';
import type { AuditFeed } from './audit-feed';
import { ALERT_DEFAULT_DAYS, type AdminAlerts } from './admin-alerts';

export interface AlertDestinations {
  emails: readonly string[];
  chatChannels: readonly string[];
  /** The SPA's address, for the link to the Admin area (PUBLIC_URL). */
  publicUrl: string;
  timeZone: string;
}

export interface AlertNotificationReport {
  /** Alerts of the last ALERT_DEFAULT_DAYS days (and external activations in force) at this run. */
  alerts: number;
  /** Per destination (`email`, `chat:NAME`), the alerts this run sent there. */
  sent: { destination: string; alertIds: string[] }[];
  /** What could not be sent or computed; those alerts are sent by a later run. */
  failures: string[];
}

export class AlertNotifications {
  /** What this instance sent, per destination: covers a run repeated before the feed reads the log again. */
  private readonly sentHere = new Map<string, Set<string>>();

  constructor(
    private readonly alerts: Pick<AdminAlerts, 'list'>,
    private readonly feed: Pick<AuditFeed, 'since'>,
    private readonly destinations: AlertDestinations,
    private readonly channels: { mailer?: Mailer; chat?: ChatNotifier },
    private readonly audit: AuditLog,
  ) {}

  async run(invoker: string): Promise<AlertNotificationReport> {
    let alerts: Alert[];
    let notified: Map<string, Set<string>>;
    try {
      const list = await this.alerts.list(ALERT_DEFAULT_DAYS);
      alerts = list.alerts;
      // Every alert of the list arose after `from` (or is in force now), so it was notified after `from` if at all.
      notified = notifiedAlertIds((await this.feed.since(list.from)).records);
    } catch (e) {
      const message = `The alerts could not be computed, so none were sent: ${(e as Error).message}`;
      this.audit.record({ event: 'notification.failed', severity: 'ERROR', outcome: 'failure', message, channel: 'alerts', notification: 'Alerts', invoker });
      return { alerts: 0, sent: [], failures: [message] };
    }
    const report: AlertNotificationReport = { alerts: alerts.length, sent: [], failures: [] };
    const send = async (destination: string, deliver: (pending: Alert[]) => Promise<string | null>) => {
      const done = new Set([...(notified.get(destination) ?? []), ...(this.sentHere.get(destination) ?? [])]);
      const pending = alerts.filter((a) => !done.has(a.id));
      if (pending.length === 0) return;
      const failure = await deliver(pending);
      if (failure) {
        report.failures.push(failure);
        this.audit.record({ event: 'notification.failed', severity: 'ERROR', outcome: 'failure', message: failure, channel: destination, notification: 'Alerts', invoker });
        return;
      }
      const alertIds = pending.map((a) => a.id);
      const here = this.sentHere.get(destination) ?? new Set<string>();
      for (const id of alertIds) here.add(id);
      this.sentHere.set(destination, here);
      report.sent.push({ destination, alertIds });
      this.audit.record({
        event: 'alert.notified',
        severity: 'INFO',
        outcome: 'success',
        message: `Sent ${alertIds.length} new alert(s) to ${destination}`,
        destination,
        alertIds,
        invoker,
      });
    };
    const { emails, chatChannels, publicUrl, timeZone } = this.destinations;
    const { mailer, chat } = this.channels;
    if (mailer && emails.length > 0) {
      await send('email', async (pending) => {
        try {
          await mailer.send(alertsMail({ to: emails, alerts: pending, publicUrl, timeZone }));
          return null;
        } catch (e) {
          return `The alerts email to ${emails.join(', ')} could not be sent: ${(e as Error).message}`;
        }
      });
    }
    if (chat) {
      for (const channel of chatChannels) {
        await send(`chat:${channel}`, async (pending) => (await chat.post([channel], alertsNotice(pending, publicUrl, timeZone)))[0]?.message ?? null);
      }
    }
    return report;
  }
}
