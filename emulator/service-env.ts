// The environment that points the JIT service at a running emulator: its Google API endpoint, its IAP
// audience, its mailbox and topic, and the world's organization and service account. The demo and the
// tests start the service with it, so both configure it the same way.
import type { RunningEmulator } from './server';
import type { World } from './world';

export function serviceEnvironment(emulator: RunningEmulator, world: World): Record<string, string> {
  return {
    PORT: '0',
    GOOGLE_API_ENDPOINT: emulator.url,
    GOOGLE_CLOUD_PROJECT: 'jit-host',
    SERVICE_ACCOUNT: world.serviceAccounts[0],
    RESOURCE_SCOPE: `organizations/${world.organization.id}`,
    IAP_AUDIENCE: emulator.iapAudience,
    AUDIT_LOG_DESTINATION: 'logging-api',
    SMTP_HOST: '127.0.0.1',
    SMTP_PORT: String(emulator.smtpPort),
    SMTP_ENABLE_STARTTLS: 'false',
    SMTP_SENDER_ADDRESS: `jit-access@${world.organization.domain}`,
    NOTIFICATION_TOPIC: world.topics[0]?.split('/').pop() ?? '',
  };
}

/**
 * CHAT_CHANNELS naming every chat webhook of the world (a Google Chat webhook by its space, a Slack one by
 * its channel without `#`), and the first as CHAT_DEFAULT_CHANNEL; empty when the world has none.
 */
export function chatEnvironment(emulator: RunningEmulator, world: World): Record<string, string> {
  const channels = Object.fromEntries(
    (world.chatWebhooks ?? []).map((w) =>
      w.platform === 'googleChat'
        ? [w.space, `${emulator.url}/v1/spaces/${w.space}/messages?key=${encodeURIComponent(w.key)}&token=${encodeURIComponent(w.token)}`]
        : [w.channel.replace(/^#/, ''), `${emulator.url}/services/${w.path}`],
    ),
  );
  const names = Object.keys(channels);
  return names.length === 0 ? {} : { CHAT_CHANNELS: JSON.stringify(channels), CHAT_DEFAULT_CHANNEL: names[0] };
}
