// CHAT_CHANNELS and CHAT_DEFAULT_CHANNEL: checked at start-up (inline map) with errors that name the
// channel and never repeat a webhook URL; a Secret Manager version is accepted as such.
import { ConfigError, loadConfig } from '../../server/config';
import { parseChatChannels } from '../../server/chat/chat-webhook';
import { ChatNotifier } from '../../server/services/chat';

const base = { RESOURCE_SCOPE: 'organizations/100000000001', IAP_AUDIENCE: '/projects/1/apps/jit-host' };
const GOOGLE = 'https://chat.googleapis.com/v1/spaces/AAAA/messages?key=secretkey&token=secrettoken';
const SLACK = 'https://hooks.slack.com/services/T01/B01/secretpath';

function problem(env: Record<string, string>): string {
  try {
    loadConfig({ ...base, ...env });
  } catch (e) {
    if (e instanceof ConfigError) return e.message;
    throw e;
  }
  throw new Error('accepted');
}

test('an inline map of Google Chat and Slack webhooks, and a default channel among them, are accepted', () => {
  const c = loadConfig({ ...base, CHAT_CHANNELS: JSON.stringify({ approvers: GOOGLE, sre: SLACK }), CHAT_DEFAULT_CHANNEL: 'approvers' });
  expect(c.notifications.chat).toEqual({ channels: JSON.stringify({ approvers: GOOGLE, sre: SLACK }), defaultChannel: 'approvers' });
  expect(loadConfig(base).notifications.chat).toBeUndefined();
});

test('a Secret Manager version is accepted and read later; a malformed one is refused', () => {
  expect(loadConfig({ ...base, CHAT_CHANNELS: 'projects/p/secrets/chat/versions/latest', CHAT_DEFAULT_CHANNEL: 'any' }).notifications.chat?.channels).toBe('projects/p/secrets/chat/versions/latest');
  expect(problem({ CHAT_CHANNELS: 'projects/p/secrets/chat' })).toContain('CHAT_CHANNELS: must be a JSON object, or projects/PROJECT/secrets/NAME/versions/VERSION');
});

test.each([
  ['not JSON', 'https://hooks.slack.com/services/T01/B01/secretpath', 'must be a JSON object of channel name'],
  ['an http URL off this machine', JSON.stringify({ sre: SLACK.replace('https:', 'http:') }), 'the URL of channel "sre" must be an https URL'],
  ['another host', JSON.stringify({ sre: 'https://example.com/services/T01/B01/secretpath' }), 'the URL of channel "sre" is neither a Google Chat incoming webhook'],
  ['a Google Chat URL without its token', JSON.stringify({ ops: GOOGLE.replace('&token=secrettoken', '') }), 'the URL of channel "ops" is a Google Chat webhook URL without its key and token'],
  ['a bad channel name', JSON.stringify({ 'no spaces': SLACK }), 'channel name "no spaces" must be letters'],
])('%s is refused, without the URL in the message', (_name, value, message) => {
  const text = problem({ CHAT_CHANNELS: value });
  expect(text).toContain(`CHAT_CHANNELS: ${message}`);
  for (const secret of ['secretkey', 'secrettoken', 'secretpath']) expect(text).not.toContain(secret);
});

test('the default channel must be one of the channels, and needs them', () => {
  expect(problem({ CHAT_CHANNELS: JSON.stringify({ sre: SLACK }), CHAT_DEFAULT_CHANNEL: 'approvers' })).toContain('CHAT_DEFAULT_CHANNEL: "approvers" is not a channel of CHAT_CHANNELS (sre)');
  expect(problem({ CHAT_DEFAULT_CHANNEL: 'approvers' })).toContain('CHAT_DEFAULT_CHANNEL: needs CHAT_CHANNELS');
});

test('a channel a rule names that CHAT_CHANNELS does not define is a failure to report, not an error', async () => {
  const notifier = new ChatNotifier(async () => parseChatChannels('{}'), undefined);
  const notice = { threadKey: 'mpa-1', title: 'T', summary: 'S', facts: [], justification: 'J', button: { text: 'Open', url: 'https://jit.example.com/' } };
  expect(await notifier.post([], notice)).toEqual([]);
  expect(await notifier.post(['ghost', 'ghost'], notice)).toEqual([{ channel: 'ghost', message: "The chat channel 'ghost' is not defined in CHAT_CHANNELS, so nothing was posted to it" }]);
});
