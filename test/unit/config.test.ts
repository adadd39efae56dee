import { loadConfig, ConfigError } from '../../server/config';

const base = { RESOURCE_SCOPE: 'organizations/100000000001', IAP_AUDIENCE: '/projects/1/apps/jit-host' };

function problemsOf(env: Record<string, string>): string {
  try {
    loadConfig({ ...base, ...env });
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('expected the configuration to be refused');
}

describe('configuration', () => {
  test('defaults follow jit-access 1.x where the setting exists there', () => {
    const c = loadConfig(base);
    expect(c).toMatchObject({
      scope: 'organizations/100000000001',
      catalog: 'AssetInventory',
      activationTimeoutMinutes: 120,
      activationRequestTimeoutMinutes: 60,
      justification: { pattern: '.*', hint: 'Bug or case number', maxLength: 100 },
      reviewers: { min: 1, max: 10, serviceAccountsMayApprove: false },
      maxRolesPerRequest: 10,
      timeouts: { connectMs: 5000, readMs: 20000, writeMs: 5000, conflictRetryMs: 15000 },
      cacheSeconds: 30,
      projectsRefreshSeconds: 300,
      groups: { resolution: 'auto', cacheSeconds: 300, maxDepth: 10, maxGroups: 500 },
      audit: { destination: 'stdout', logName: 'jitaccess' },
      port: 8080,
      platform: 'local',
    });
    expect(c.notifications.smtp).toBeUndefined();
  });

  test('values are trimmed, empty means unset, enums are case-insensitive', () => {
    const c = loadConfig({ ...base, RESOURCE_CATALOG: ' policyANALYZER ', ACTIVATION_TIMEOUT: '', JUSTIFICATION_HINT: '  Ticket  ' });
    expect(c.catalog).toBe('PolicyAnalyzer');
    expect(c.activationTimeoutMinutes).toBe(120);
    expect(c.justification.hint).toBe('Ticket');
  });

  test('BACKEND_CONFLICT_RETRY_TIMEOUT sets how long etag conflicts are retried; time zones other than UTC are checked', () => {
    expect(loadConfig({ ...base, BACKEND_CONFLICT_RETRY_TIMEOUT: '2' }).timeouts.conflictRetryMs).toBe(2000);
    expect(loadConfig({ ...base, NOTIFICATION_TIMEZONE: 'Europe/Berlin' }).notifications.timezone).toBe('Europe/Berlin');
  });

  test('a peer request may live exactly 12 hours, the longest signJwt signs', () => {
    expect(loadConfig({ ...base, ACTIVATION_TIMEOUT: '1440', ACTIVATION_REQUEST_TIMEOUT: '720' }).activationRequestTimeoutMinutes).toBe(720);
  });

  test('ELEVATION_DURATION is the deprecated alias of ACTIVATION_TIMEOUT and wins', () => {
    expect(loadConfig({ ...base, ELEVATION_DURATION: '30', ACTIVATION_TIMEOUT: '90', ACTIVATION_REQUEST_TIMEOUT: '30' }).activationTimeoutMinutes).toBe(30);
  });

  test.each([
    [{ ACTIVATION_TIMEOUT: 'ten' }, 'ACTIVATION_TIMEOUT: must be a whole number (got "ten")'],
    [{ ACTIVATION_TIMEOUT: '0' }, 'ACTIVATION_TIMEOUT: must be at least 1'],
    [{ RESOURCE_SCOPE: 'project/x' }, 'RESOURCE_SCOPE: must be organizations/ID, folders/ID or projects/PROJECT_ID'],
    [{ RESOURCE_CATALOG: 'Graph' }, 'RESOURCE_CATALOG: must be AssetInventory or PolicyAnalyzer'],
    [{ RESOURCE_CUSTOMER_ID: 'x123' }, 'RESOURCE_CUSTOMER_ID: must use the format Cxxxxxxxx'],
    [
      { ACTIVATION_TIMEOUT: '1440', ACTIVATION_REQUEST_TIMEOUT: '721' },
      'ACTIVATION_REQUEST_TIMEOUT: 721 minutes (with ACTIVATION_TIMEOUT 1440 minutes) lets a peer-approval request live longer than 12 hours, but requests are JWTs signed with IAM Credentials signJwt',
    ],
    [{ GROUP_RESOLUTION: 'nested' }, 'GROUP_RESOLUTION: must be auto, direct or transitive'],
    [{ GROUP_NESTING_MAX_DEPTH: '0' }, 'GROUP_NESTING_MAX_DEPTH: must be at least 1'],
    [{ ACTIVATION_REQUEST_MIN_REVIEWERS: '5', ACTIVATION_REQUEST_MAX_REVIEWERS: '2' }, 'ACTIVATION_REQUEST_MIN_REVIEWERS: 5 exceeds ACTIVATION_REQUEST_MAX_REVIEWERS (2)'],
    [{ JUSTIFICATION_PATTERN: '(unclosed' }, 'JUSTIFICATION_PATTERN: not a valid regular expression'],
    [{ NOTIFICATION_TIMEZONE: 'Mars/Olympus' }, 'NOTIFICATION_TIMEZONE: "Mars/Olympus" is not an IANA time zone'],
    [{ BACKEND_CONFLICT_RETRY_TIMEOUT: '0' }, 'BACKEND_CONFLICT_RETRY_TIMEOUT: must be at least 1'],
    [{ BACKEND_CONFLICT_RETRY_TIMEOUT: '1.5' }, 'BACKEND_CONFLICT_RETRY_TIMEOUT: must be a whole number'],
    [{ SMTP_PORT: '25' }, 'SMTP_PORT: must not be 25'],
    [{ IAP_VERIFY_AUDIENCE: 'yes' }, 'IAP_VERIFY_AUDIENCE: must be true or false (got "yes"); jit-access 1.x read anything but true as false, which would turn off the check'],
    [{ IAP_VERIFY_AUDIENCE: '1' }, 'IAP_VERIFY_AUDIENCE: must be true or false'],
    [{ SMTP_ENABLE_STARTTLS: 'on' }, 'SMTP_ENABLE_STARTTLS: must be true or false (got "on")'],
    [{ NOTIFICATION_TIMEZONE: 'UTC+19' }, 'NOTIFICATION_TIMEZONE: "UTC+19" is not an IANA time zone'],
    [{ SERVICE_ACCOUNTS_MAY_APPROVE: 'sometimes' }, 'SERVICE_ACCOUNTS_MAY_APPROVE: must be true or false'],
    [{ GOOGLE_API_ENDPOINT: 'localhost:8085' }, 'GOOGLE_API_ENDPOINT: must be an http(s) URL'],
    [{ AUDIT_LOG_DESTINATION: 'file' }, 'AUDIT_LOG_DESTINATION: must be stdout or logging-api'],
    [{ SMTP_SECRET: 'projects/p/secrets/s/versions/1' }, 'SMTP_USERNAME: required with SMTP_SECRET'],
    [{ ACCESS_POLICY: 'projects/p/secrets/policy' }, 'ACCESS_POLICY: must be a file path, or projects/PROJECT/secrets/NAME/versions/VERSION'],
    [{ ACCESS_POLICY: 'projects/p/secrets/policy/versions/0' }, 'ACCESS_POLICY: must be a file path, or projects/PROJECT/secrets/NAME/versions/VERSION'],
    [{ ACCESS_POLICY_REFRESH_SECONDS: '5' }, 'ACCESS_POLICY_REFRESH_SECONDS: must be at least 10'],
    [{ IAP_AUDIENCE: '', GOOGLE_API_ENDPOINT: 'http://127.0.0.1:8085' }, 'IAP_AUDIENCE: required outside App Engine and Cloud Run'],
  ])('refuses %o naming the variable and the problem', (env, message) => {
    expect(problemsOf(env)).toContain(message);
  });

  describe('settings jit-access 1.x accepted, accepted where harmless with a warning at start (issue 13)', () => {
    test('ACTIVATION_TIMEOUT below 60 with ACTIVATION_REQUEST_TIMEOUT at its default: requests last the smaller of the two, silently', () => {
      const c = loadConfig({ ...base, ACTIVATION_TIMEOUT: '30' });
      expect([c.activationTimeoutMinutes, c.activationRequestTimeoutMinutes]).toEqual([30, 30]);
      expect(c.warnings).toEqual([]);
    });

    test('ACTIVATION_REQUEST_TIMEOUT set above ACTIVATION_TIMEOUT: the smaller of the two, with a warning', () => {
      const c = loadConfig({ ...base, ACTIVATION_REQUEST_TIMEOUT: '200' });
      expect(c.activationRequestTimeoutMinutes).toBe(120);
      expect(c.warnings).toEqual([expect.stringContaining('ACTIVATION_REQUEST_TIMEOUT: 200 minutes exceeds ACTIVATION_TIMEOUT (120 minutes)')]);
    });

    test('1.x’s own SMTP_OPTIONS test string gives what 1.x gave, and the items it dropped are named', () => {
      const c = loadConfig({ ...base, SMTP_SENDER_ADDRESS: 'jit@example.com', SMTP_OPTIONS: ' , ONE = one, TWO=two,THREE,FOUR=,,   ' });
      expect(c.notifications.smtp!.options).toEqual({ ONE: 'one', TWO: 'two' });
      expect(c.warnings).toEqual([expect.stringContaining('"THREE" is not key=value'), expect.stringContaining('"FOUR=" is not key=value')]);
    });

    test.each(['False', 'no', 'OFF', '0'])('a boolean that means off (%s) is false, with a warning', (value) => {
      const c = loadConfig({ ...base, IAP_VERIFY_AUDIENCE: value, SMTP_SENDER_ADDRESS: 'jit@example.com', SMTP_ENABLE_STARTTLS: value });
      expect([c.iap.verifyAudience, c.notifications.smtp!.startTls]).toEqual([false, false]);
      expect(c.warnings.filter((w) => w.includes('is read as false')).length).toBe(value === 'False' ? 0 : 2);
    });

    test('RESOURCE_CUSTOMER_ID=my_customer (a Directory API alias) is accepted without narrowing groups, with a warning', () => {
      const c = loadConfig({ ...base, RESOURCE_CUSTOMER_ID: 'my_customer' });
      expect(c.customerId).toBeUndefined();
      expect(c.warnings).toEqual([expect.stringContaining('RESOURCE_CUSTOMER_ID: "my_customer"')]);
    });

    test.each([
      ['UTC+10', '+10:00'],
      ['GMT-3', '-03:00'],
      ['+05:30', '+05:30'],
      ['UT+0530', '+05:30'],
    ])('a time zone written as an offset (%s) is the fixed offset %s, with a warning', (zone, fixed) => {
      const c = loadConfig({ ...base, NOTIFICATION_TIMEZONE: zone });
      expect(c.notifications.timezone).toBe(fixed);
      expect(c.warnings).toEqual([expect.stringContaining('does not follow daylight saving time')]);
    });
  });

  test('reads the access policy setting: a file or a Secret Manager version, latest included', () => {
    expect(loadConfig(base).accessPolicy).toBeUndefined();
    expect(loadConfig({ ...base, ACCESS_POLICY: '/srv/access-policy.yaml' }).accessPolicy).toEqual({ source: '/srv/access-policy.yaml', refreshSeconds: 300 });
    expect(loadConfig({ ...base, ACCESS_POLICY: 'projects/p/secrets/policy/versions/latest', ACCESS_POLICY_REFRESH_SECONDS: '60' }).accessPolicy).toEqual({
      source: 'projects/p/secrets/policy/versions/latest',
      refreshSeconds: 60,
    });
  });

  test('the workflow task: its interval (default 5 minutes) and the grant-end reminder lead (default 15 minutes, or off)', () => {
    expect(loadConfig(base).workflows).toEqual({ intervalMinutes: 5, grantEndReminderMinutes: 15 });
    expect(loadConfig({ ...base, WORKFLOW_TASK_INTERVAL_MINUTES: '10', GRANT_END_REMINDER_MINUTES: '30' }).workflows).toEqual({ intervalMinutes: 10, grantEndReminderMinutes: 30 });
    expect(loadConfig({ ...base, GRANT_END_REMINDER_MINUTES: 'OFF' }).workflows.grantEndReminderMinutes).toBeNull();
    expect(problemsOf({ GRANT_END_REMINDER_MINUTES: 'soon' })).toContain('GRANT_END_REMINDER_MINUTES: must be a whole number of minutes from 1 to 1440, or off');
    expect(problemsOf({ GRANT_END_REMINDER_MINUTES: '0' })).toContain('GRANT_END_REMINDER_MINUTES: must be a whole number of minutes from 1 to 1440, or off');
    expect(problemsOf({ WORKFLOW_TASK_INTERVAL_MINUTES: '61' })).toContain('WORKFLOW_TASK_INTERVAL_MINUTES: must be at most 60');
  });

  test('alerts: the frequency threshold (default 8/24h, or off) and where new alerts are sent, checked against what they need', () => {
    expect(loadConfig(base).alerts).toEqual({ frequentActivations: { count: 8, periodMinutes: 1440 }, emails: [], chatChannels: [] });
    expect(loadConfig({ ...base, ALERT_FREQUENT_ACTIVATIONS: 'off' }).alerts.frequentActivations).toBeNull();
    expect(loadConfig({ ...base, ALERT_FREQUENT_ACTIVATIONS: '3/30m' }).alerts.frequentActivations).toEqual({ count: 3, periodMinutes: 30 });
    expect(problemsOf({ ALERT_FREQUENT_ACTIVATIONS: 'often' })).toContain('ALERT_FREQUENT_ACTIVATIONS: must be COUNT/PERIOD such as 8/24h');
    expect(problemsOf({ ALERT_FREQUENT_ACTIVATIONS: '1/1h' })).toContain('COUNT must be from 2 to 1000');
    const channels = JSON.stringify({ sre: 'https://hooks.slack.com/services/T0/B0/secret' });
    const ok = loadConfig({ ...base, SMTP_SENDER_ADDRESS: 'jit@example.com', PUBLIC_URL: 'https://jit.example.com', CHAT_CHANNELS: channels, ALERT_EMAILS: 'Sec@example.com, soc@example.com', ALERT_CHAT_CHANNELS: 'sre' });
    expect(ok.alerts).toMatchObject({ emails: ['sec@example.com', 'soc@example.com'], chatChannels: ['sre'] });
    expect(problemsOf({ ALERT_EMAILS: 'not-an-email' })).toContain('ALERT_EMAILS: must list email addresses');
    const missing = problemsOf({ ALERT_EMAILS: 'sec@example.com', ALERT_CHAT_CHANNELS: 'sre' });
    expect(missing).toContain('ALERT_EMAILS: needs email, which SMTP_SENDER_ADDRESS turns on');
    expect(missing).toContain('ALERT_CHAT_CHANNELS: needs CHAT_CHANNELS');
    expect(missing).toContain('PUBLIC_URL: required with ALERT_EMAILS');
    const unknown = problemsOf({ PUBLIC_URL: 'https://jit.example.com', CHAT_CHANNELS: channels, ALERT_CHAT_CHANNELS: 'sre, ops' });
    expect(unknown).toContain('ALERT_CHAT_CHANNELS: "ops" is not a channel of CHAT_CHANNELS (sre)');
    expect(unknown).not.toContain('secret');
  });

  test('lists every problem at once', () => {
    const message = problemsOf({ ACTIVATION_TIMEOUT: 'x', ACTIVATION_REQUEST_MAX_ROLES: '0' });
    expect(message).toContain('ACTIVATION_TIMEOUT');
    expect(message).toContain('ACTIVATION_REQUEST_MAX_ROLES');
  });

  test.each([
    ['GAE_SERVICE', 'App Engine'],
    ['K_SERVICE', 'Cloud Run'],
  ])('refuses the emulator endpoint when %s is set', (variable, platform) => {
    const message = problemsOf({ GOOGLE_API_ENDPOINT: 'http://127.0.0.1:8085', [variable]: 'default', IAP_BACKEND_SERVICE_ID: '123' });
    expect(message).toContain(`GOOGLE_API_ENDPOINT: the emulator endpoint is refused on ${platform}`);
  });

  test('Cloud Run needs a backend service id to verify the IAP audience', () => {
    expect(problemsOf({ K_SERVICE: 'jit', IAP_AUDIENCE: '' })).toContain('IAP_BACKEND_SERVICE_ID: required on Cloud Run');
    expect(loadConfig({ RESOURCE_SCOPE: 'folders/1', K_SERVICE: 'jit', IAP_BACKEND_SERVICE_ID: '123' }).platform).toBe('cloudrun');
  });

  test('the scope defaults to the service project', () => {
    expect(loadConfig({ GOOGLE_CLOUD_PROJECT: 'jit-host', IAP_AUDIENCE: base.IAP_AUDIENCE }).scope).toBe('projects/jit-host');
    expect(problemsOf({ RESOURCE_SCOPE: '' })).toContain('RESOURCE_SCOPE: required');
  });
});
