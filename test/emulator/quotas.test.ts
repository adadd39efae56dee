// Rate quotas: Google's defaults, windows on the emulator's clock, the 429 body, per-consumer accounting, the
// Policy Analyzer's free tier, and changing limits per world and through /_emulator/quotas.
import type { RunningEmulator } from '../../emulator/server';
import { parseWorld } from '../../emulator/world';
import { expectGoogleError, googleClients, startTestEmulator } from '../support/emulator';

const ORG = 'organizations/100000000001';
const full = (name: string) => `//cloudresourcemanager.googleapis.com/${name}`;

function world(extra = ''): string {
  return `
organization: { id: "100000000001", domain: example.com }
projects:
  - { id: jit-host, number: "300000000000", parent: ${ORG} }
  - { id: prod-app, number: "300000000001", parent: ${ORG} }
users: [ alice@example.com ]
serviceAccounts: [ jitaccess@jit-host.iam.gserviceaccount.com, other@prod-app.iam.gserviceaccount.com ]
callers: { other-token: "serviceAccount:other@prod-app.iam.gserviceaccount.com" }
iam:
  ${ORG}:
    - { role: roles/cloudasset.viewer, members: [ "serviceAccount:jitaccess@jit-host.iam.gserviceaccount.com", "serviceAccount:other@prod-app.iam.gserviceaccount.com" ] }
${extra}`;
}

async function control(emulator: RunningEmulator, method: string, path: string, body?: unknown) {
  const res = await fetch(`${emulator.url}/_emulator/${path}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as any };
}

/** Moves the emulator's clock to the start of a minute, so that a test's calls all fall in one window. */
async function startOfMinute(emulator: RunningEmulator): Promise<void> {
  const now = Date.parse((await control(emulator, 'GET', 'info')).body.now);
  await control(emulator, 'POST', 'clock', { advanceSeconds: (60_000 - (now % 60_000)) / 1000 + 0.1 });
}

const batchGet = (emulator: RunningEmulator, token = 'test-token') =>
  googleClients(emulator, token).asset.effectiveIamPolicies.batchGet({ scope: ORG, names: [full('projects/prod-app')] }, { retry: false });

describe('per-minute quotas per consumer project', () => {
  let emulator: RunningEmulator;
  beforeAll(async () => {
    emulator = await startTestEmulator(world());
  });
  afterAll(() => emulator.close());

  it('allows Google’s 100 batchGet calls a minute, then answers 429 with Google’s body and no Retry-After', async () => {
    await startOfMinute(emulator);
    for (let i = 0; i < 100; i++) await batchGet(emulator);
    let response: Response | undefined;
    const err = await expectGoogleError(batchGet(emulator).catch((e) => {
      response = e.response;
      throw e;
    }), 429);
    expect(err).toEqual({
      code: 429,
      status: 'RESOURCE_EXHAUSTED',
      message:
        "Quota exceeded for quota metric 'BatchGetEffectiveIamPolicies requests' and limit 'BatchGetEffectiveIamPolicies requests per minute per project' of service 'cloudasset.googleapis.com' for consumer 'project_number:300000000000'.",
      errors: [expect.objectContaining({ reason: 'rateLimitExceeded' })],
      details: [
        {
          '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
          reason: 'RATE_LIMIT_EXCEEDED',
          domain: 'googleapis.com',
          metadata: {
            service: 'cloudasset.googleapis.com',
            consumer: 'projects/300000000000',
            quota_metric: 'cloudasset.googleapis.com/batch_get_effective_iam_policies_requests',
            quota_limit: 'BatchGetEffectiveIamPoliciesRequestsPerMinutePerProject',
            quota_limit_value: '100',
            quota_location: 'global',
          },
        },
        expect.objectContaining({ '@type': 'type.googleapis.com/google.rpc.Help' }),
      ],
    });
    expect((response as unknown as { headers: Headers }).headers.get('retry-after')).toBeNull();
  });

  it('charges each consumer project separately, and shows use per consumer', async () => {
    await batchGet(emulator, 'other-token');
    const quota = (await control(emulator, 'GET', 'quotas')).body.quotas.find((q: { id: string }) => q.id === 'cloudasset.batchGetEffectiveIamPolicies.perMinute');
    expect(quota).toMatchObject({ limit: 100, window: 'minute', scope: 'consumer', use: { 'projects/300000000000': 100, 'projects/300000000001': 1 } });
  });

  it('opens a new window when the emulator’s clock reaches the next minute', async () => {
    await startOfMinute(emulator);
    await batchGet(emulator);
  });
});

describe('the Policy Analyzer', () => {
  const analyze = (emulator: RunningEmulator) =>
    googleClients(emulator).asset.v1.analyzeIamPolicy({ scope: ORG, 'analysisQuery.resourceSelector.fullResourceName': full('projects/prod-app') }, { retry: false });

  it('answers 20 queries a day per organization without Security Command Center, then 429 until the next day', async () => {
    const emulator = await startTestEmulator(world());
    try {
      for (let i = 0; i < 20; i++) await analyze(emulator);
      const err = await expectGoogleError(analyze(emulator), 429);
      expect(err.message).toBe(
        "Quota exceeded for quota metric 'Free analysis queries' and limit 'Analysis queries per organization per day' of service 'cloudasset.googleapis.com' for consumer 'organizations/100000000001'.",
      );
      expect((err as unknown as { details: { metadata: Record<string, string> }[] }).details[0].metadata).toMatchObject({ consumer: ORG, quota_limit_value: '20' });
      await control(emulator, 'POST', 'clock', { advanceSeconds: 86_400 });
      await analyze(emulator);
    } finally {
      await emulator.close();
    }
  });

  it('has no free-tier limit with Security Command Center, but its own limits per project: 100 a minute, 1,000 a day', async () => {
    // The daily limit is lowered to 150 so that the test stays fast; Google's 1,000 is the default in quota-limits.ts.
    const emulator = await startTestEmulator(
      world('quotas: { cloudasset.analyzeIamPolicy.perDay: 150 }\n').replace('domain: example.com }', 'domain: example.com, securityCommandCenter: premium }'),
    );
    try {
      await startOfMinute(emulator);
      for (let i = 0; i < 100; i++) await analyze(emulator);
      expect((await expectGoogleError(analyze(emulator), 429)).message).toContain("limit 'AnalyzeIamPolicy requests per minute per project'");
      await control(emulator, 'POST', 'clock', { advanceSeconds: 60 });
      for (let i = 0; i < 50; i++) await analyze(emulator);
      expect((await expectGoogleError(analyze(emulator), 429)).message).toContain("limit 'AnalyzeIamPolicy requests per day per project'");
      await control(emulator, 'POST', 'reset');
      const limits = Object.fromEntries((await control(emulator, 'GET', 'quotas')).body.quotas.map((q: { id: string; limit: number }) => [q.id, q.limit]));
      expect(limits).toMatchObject({ 'cloudasset.analyzeIamPolicy.perMinute': 100, 'cloudasset.freeAnalysisQueries.perDay': 20, 'cloudasset.searchAllIamPolicies.perMinute': 400 });
    } finally {
      await emulator.close();
    }
  });
});

describe('changing limits', () => {
  it('takes limits from the world, and from /_emulator/quotas, where reset clears use', async () => {
    const emulator = await startTestEmulator(world('quotas: { cloudasset.batchGetEffectiveIamPolicies.perMinute: 2, logging.entriesList.perMinute: null }\n'));
    try {
      await startOfMinute(emulator);
      await batchGet(emulator);
      await batchGet(emulator);
      await expectGoogleError(batchGet(emulator), 429);

      const raised = await control(emulator, 'POST', 'quotas', { limits: { 'cloudasset.batchGetEffectiveIamPolicies.perMinute': 3 } });
      expect(raised.body.quotas.find((q: { id: string }) => q.id === 'logging.entriesList.perMinute').limit).toBeNull();
      await batchGet(emulator);
      await expectGoogleError(batchGet(emulator), 429);
      await control(emulator, 'DELETE', 'quotas');
      await batchGet(emulator);
      await control(emulator, 'PUT', 'quotas', { resetUse: true });
      for (let i = 0; i < 3; i++) await batchGet(emulator);

      // A reset restores the world's limits.
      await control(emulator, 'POST', 'reset');
      const limits = (await control(emulator, 'GET', 'quotas')).body.quotas.find((q: { id: string }) => q.id === 'cloudasset.batchGetEffectiveIamPolicies.perMinute');
      expect(limits).toMatchObject({ limit: 2, use: {} });
    } finally {
      await emulator.close();
    }
  });

  it('refuses an unknown quota id in the world and in /_emulator/quotas', async () => {
    expect(() => parseWorld(world('quotas: { cloudasset.everything: 5 }\n'))).toThrow(/quotas\.cloudasset\.everything: unknown quota; the quotas are cloudasset\.batchGetEffectiveIamPolicies\.perMinute, /);
    const emulator = await startTestEmulator(world());
    try {
      expect((await control(emulator, 'POST', 'quotas', { limits: { 'cloudasset.everything': 5 } })).status).toBe(400);
      expect((await control(emulator, 'POST', 'quotas', { limits: { 'logging.entriesList.perMinute': -1 } })).status).toBe(400);
    } finally {
      await emulator.close();
    }
  });
});
