// The deployment guide against the code. docs/deploy.md's table of service-account roles is read here and
// turned into emulator worlds: with exactly those grants every flow works, and without any one of them the
// call that needs it fails with a message naming the missing permission or role. The guide and this test
// cannot drift apart: a row without a probe here, or a probe without a row there, fails.
// Also checked: nothing the server imports at run time is a devDependency (App Engine removes them after
// `npm run gcp-build`), and app.yaml names every setting with its true default.
import { readFileSync, readdirSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { loadConfig } from '../../server/config';
import type { World, WorldBinding } from '../../emulator/world';
import { demoWorld, googleClients } from '../support/emulator';
import { policyOf, startStack, type Stack } from '../support/stack';

const ROOT = path.join(__dirname, '..', '..');
const SERVICE_ACCOUNT = 'jitaccess@jit-host.iam.gserviceaccount.com';
const MEMBER = `serviceAccount:${SERVICE_ACCOUNT}`;
/** IAM member types are case-sensitive, emails are not: `serviceAccount:` stays as it is. */
const isServiceMember = (m: string) => m.slice(0, m.indexOf(':') + 1) === 'serviceAccount:' && m.slice(m.indexOf(':') + 1).toLowerCase() === SERVICE_ACCOUNT;
const SCHEDULER = 'deployer@jit-host.iam.gserviceaccount.com';
const PUBLIC_URL = 'https://jit.example.com';
const TOPIC = 'projects/jit-host/topics/jit-access-events';
/** A bearer token the world maps to admin@example.com (owner of jit-host): it mints the scheduler's token. */
const ADMIN_TOKEN = 'deployment-test-admin';
const GROUPS_READER = 'Groups Reader';

type CatalogName = 'AssetInventory' | 'PolicyAnalyzer';
const CATALOGS: CatalogName[] = ['AssetInventory', 'PolicyAnalyzer'];

// Every optional feature that needs a role is switched on, so that every row of the table is exercised.
const ENV = {
  AUDIT_LOG_DESTINATION: 'logging-api',
  SMTP_USERNAME: 'jit-mailer',
  SMTP_SECRET: 'projects/jit-host/secrets/smtp-password/versions/latest',
  PUBLIC_URL,
  CLEANUP_INVOKER_SERVICE_ACCOUNT: SCHEDULER,
};

interface DocumentedRole {
  /** `roles/…`, or GROUPS_READER for the Workspace admin role. */
  role: string;
  grantedOn: string;
  catalogs: CatalogName[];
}

/** The rows between the `service-account-roles` markers of docs/deploy.md. */
function documentedRoles(): DocumentedRole[] {
  const doc = readFileSync(path.join(ROOT, 'docs', 'deploy.md'), 'utf8');
  const table = /<!-- service-account-roles:begin -->\n([\s\S]*?)<!-- service-account-roles:end -->/.exec(doc);
  if (!table) throw new Error('docs/deploy.md has no service-account-roles table');
  const rows = table[1]
    .split('\n')
    .filter((line) => line.startsWith('|'))
    .slice(2) // header and separator
    .map((line) => line.split('|').slice(1, -1).map((cell) => cell.trim()));
  return rows.map(([role, grantedOn, catalog]) => {
    const name = /^`(roles\/[a-zA-Z.]+)`$/.exec(role)?.[1] ?? (role.startsWith(GROUPS_READER) ? GROUPS_READER : undefined);
    if (!name) throw new Error(`docs/deploy.md: cannot read the role "${role}"`);
    const catalogs = catalog === 'both' ? CATALOGS : CATALOGS.filter((c) => c === catalog);
    if (catalogs.length === 0) throw new Error(`docs/deploy.md: the catalog of ${name} is "${catalog}", not both, AssetInventory or PolicyAnalyzer`);
    return { role: name, grantedOn, catalogs };
  });
}

/**
 * Where the emulator holds a grant the guide places somewhere. The emulator has no topic- or secret-level
 * policies (it authorizes Pub/Sub and Secret Manager on the project), so those become grants on the
 * service project: broader than the guide's, never narrower.
 */
function placeOf(grantedOn: string): { kind: 'iam'; resource: string } | { kind: 'groups-reader' } {
  if (grantedOn.includes('RESOURCE_SCOPE')) return { kind: 'iam', resource: 'organizations/100000000001' };
  if (grantedOn.includes('service account itself')) return { kind: 'iam', resource: `projects/jit-host/serviceAccounts/${SERVICE_ACCOUNT}` };
  if (/the topic|the secret|the service project/.test(grantedOn)) return { kind: 'iam', resource: 'projects/jit-host' };
  if (grantedOn.includes('Admin console')) return { kind: 'groups-reader' };
  throw new Error(`docs/deploy.md: no emulator equivalent for "granted on ${grantedOn}"`);
}

/**
 * The demo world with the service's account holding exactly `roles`. A policy on the account itself is not
 * expressible in a world file; a parsed world given to the emulator directly can hold one, under the name
 * the emulator's IAM Credentials API authorizes on.
 */
function worldWith(roles: DocumentedRole[]): World {
  const world = structuredClone(demoWorld());
  for (const [resource, bindings] of Object.entries(world.iam)) {
    world.iam[resource] = bindings
      .map((b) => ({ ...b, members: b.members.filter((m) => !isServiceMember(m)) }))
      .filter((b) => b.members.length > 0);
  }
  world.groupsReaders = [];
  for (const { role, grantedOn } of roles) {
    const place = placeOf(grantedOn);
    if (place.kind === 'groups-reader') world.groupsReaders.push(MEMBER);
    else (world.iam[place.resource] ??= []).push({ role, members: [MEMBER] } satisfies WorldBinding);
  }
  world.callers = { ...world.callers, [ADMIN_TOKEN]: 'user:admin@example.com' };
  return world;
}

/** What the emulator holds for the service's account: the proof that a world grants what it should. */
function grantsOf(world: World): string[] {
  const grants = Object.entries(world.iam).flatMap(([resource, bindings]) =>
    bindings.filter((b) => b.members.some(isServiceMember)).map((b) => `${b.role} on ${resource}`),
  );
  return [...grants, ...(world.groupsReaders?.includes(MEMBER) ? [GROUPS_READER] : [])].sort();
}

const SELF_ROLE = 'prod-app:roles/cloudsql.admin';
const PEER_ROLE = 'prod-app:roles/compute.admin';

const selfActivate = (stack: Stack) =>
  stack.as('alice@example.com').post('/api/v1/projects/prod-app/activations', { roles: [SELF_ROLE], justification: 'INC-1 deploy check', durationMinutes: 5 });
const requestApproval = (stack: Stack) =>
  stack.as('alice@example.com').post('/api/v1/projects/prod-app/approval-requests', {
    role: PEER_ROLE,
    justification: 'INC-2 deploy check',
    durationMinutes: 10,
    reviewers: ['bob@example.com'],
  });

async function schedulerToken(stack: Stack): Promise<string> {
  const res = await googleClients(stack.emulator, ADMIN_TOKEN).iamcredentials.projects.serviceAccounts.generateIdToken({
    name: `projects/-/serviceAccounts/${SCHEDULER}`,
    requestBody: { audience: `${PUBLIC_URL}/tasks/cleanup`, includeEmail: true },
  });
  return res.data.token!;
}

async function auditEvents(stack: Stack): Promise<string[]> {
  await stack.service.audit.flush();
  return stack.emulator.state.logEntries.map((e: any) => e.labels?.event).filter((e): e is string => typeof e === 'string');
}

function publishedTypes(stack: Stack): string[] {
  return stack.emulator.state.messages.filter((m) => m.topic === TOPIC).map((m) => JSON.parse(Buffer.from(m.data!, 'base64').toString('utf8')).type);
}

/** Lines the service wrote to stderr while `run` ran: where a lost audit entry is reported. */
async function stderrDuring(run: () => Promise<void>): Promise<string> {
  const lines: string[] = [];
  const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: any) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    await run();
  } finally {
    spy.mockRestore();
  }
  return lines.join('');
}

/**
 * For each documented role: the flow that needs it, run without it, and what its failure must name.
 * `run` returns the message the failing call produced (a response, a notification failure, a log line).
 */
interface Probe {
  names: RegExp;
  run(stack: Stack): Promise<string>;
}

const PROBES: Record<string, Probe> = {
  'roles/resourcemanager.projectIamAdmin': {
    names: /resourcemanager\.projects\.getIamPolicy/,
    async run(stack) {
      const before = structuredClone(await policyOf(stack.emulator, 'prod-app'));
      const res = await selfActivate(stack);
      expect([res.status, res.body.error?.code]).toEqual([502, 'BACKEND_PERMISSION_DENIED']);
      expect(await policyOf(stack.emulator, 'prod-app')).toEqual(before);
      return res.body.error.message;
    },
  },
  'roles/cloudasset.viewer': {
    names: /cloudasset\.assets\.(analyzeIamPolicy|searchAllIamPolicies|searchAllResources)/,
    async run(stack) {
      const res = await stack.as('alice@example.com').get('/api/v1/projects');
      expect([res.status, res.body.error?.code]).toEqual([502, 'BACKEND_PERMISSION_DENIED']);
      return res.body.error.message;
    },
  },
  // Google leaves groups the caller may not read out of a member's direct groups without an error, so
  // the loss shows where a group of a binding cannot be read: a warning naming the role, and the audit log.
  [GROUPS_READER]: {
    names: /Groups Reader/,
    async run(stack) {
      const res = await stack.as('alice@example.com').get('/api/v1/projects/prod-app/roles');
      expect(res.status).toBe(200);
      expect(res.body.roles.map((r: { role: string }) => r.role)).toEqual(['roles/cloudsql.admin']);
      await stack.service.audit.flush();
      expect(stack.emulator.state.logEntries.some((e: any) => e.labels?.event === 'catalog.group.skipped')).toBe(true);
      return res.body.warnings.join(' ');
    },
  },
  'roles/iam.serviceAccountTokenCreator': {
    names: /roles\/iam\.serviceAccountTokenCreator/,
    async run(stack) {
      const res = await requestApproval(stack);
      expect([res.status, res.body.error?.code]).toEqual([502, 'BACKEND_PERMISSION_DENIED']);
      expect(stack.emulator.state.mail).toEqual([]);
      return res.body.error.message;
    },
  },
  'roles/logging.logWriter': {
    names: /logging\.logEntries\.create/,
    async run(stack) {
      let status = 0;
      // The activation stands; the audit entry that could not be written is reported on stderr.
      const stderr = await stderrDuring(async () => {
        status = (await selfActivate(stack)).status;
        await stack.service.audit.flush();
      });
      expect(status).toBe(201);
      expect(stack.emulator.state.logEntries).toEqual([]);
      expect(stderr).toContain('Writing an audit entry failed');
      return stderr;
    },
  },
  'roles/logging.viewer': {
    names: /logging\.logEntries\.list/,
    async run(stack) {
      // The roles list still answers, without the pending state, and says why; the inbox itself fails and says so.
      const roles = await stack.as('alice@example.com').get('/api/v1/projects/prod-app/roles');
      expect(roles.status).toBe(200);
      expect(roles.body.warnings.join(' ')).toContain('could not be read from the audit log');
      const res = await stack.as('alice@example.com').get('/api/v1/me/requests');
      expect([res.status, res.body.error?.code]).toEqual([502, 'BACKEND_PERMISSION_DENIED']);
      return res.body.error.message;
    },
  },
  'roles/pubsub.publisher': {
    names: /pubsub\.topics\.publish/,
    async run(stack) {
      const res = await selfActivate(stack);
      // A notification never undoes a grant: the response says what was not published.
      expect(res.status).toBe(201);
      expect(res.body.notificationFailures).toHaveLength(1);
      return res.body.notificationFailures[0];
    },
  },
  'roles/secretmanager.secretAccessor': {
    names: /secretmanager\.versions\.access/,
    async run(stack) {
      const res = await requestApproval(stack);
      expect([res.status, res.body.error?.code]).toEqual([503, 'NOTIFICATION_FAILED']);
      return res.body.error.message;
    },
  },
};

const DOCUMENTED = documentedRoles();

describe('docs/deploy.md: the service account roles', () => {
  test('the table and the probes of this test name the same roles', () => {
    expect(DOCUMENTED.map((r) => r.role).sort()).toEqual(Object.keys(PROBES).sort());
    expect(new Set(DOCUMENTED.map((r) => r.role)).size).toBe(DOCUMENTED.length);
  });

  test('a world built from the table grants exactly the table, and nothing else to the account', () => {
    const world = worldWith(DOCUMENTED);
    expect(grantsOf(world)).toEqual(
      DOCUMENTED.map(({ role, grantedOn }) => {
        const place = placeOf(grantedOn);
        return place.kind === 'groups-reader' ? GROUPS_READER : `${role} on ${place.resource}`;
      }).sort(),
    );
  });

  describe.each(CATALOGS)('%s catalog with exactly the documented roles', (catalog) => {
    let stack: Stack;
    beforeAll(async () => {
      stack = await startStack({ world: worldWith(DOCUMENTED.filter((r) => r.catalogs.includes(catalog))), env: { ...ENV, RESOURCE_CATALOG: catalog } });
    });
    afterAll(() => stack.close());

    test('every flow works: projects, roles, self-activation, reviewers, request, approval, my grants, sweeper, audit, Pub/Sub', async () => {
      const alice = stack.as('alice@example.com');
      let stderr = '';
      stderr += await stderrDuring(async () => {
        const projects = await alice.get('/api/v1/projects');
        expect(projects.status).toBe(200);
        expect(projects.body.projects.map((p: { id: string }) => p.id)).toContain('prod-app');

        const roles = await alice.get('/api/v1/projects/prod-app/roles');
        expect(roles.status).toBe(200);
        expect(roles.body.roles.map((r: { id: string }) => r.id)).toEqual(expect.arrayContaining([SELF_ROLE, PEER_ROLE]));

        const activated = await selfActivate(stack);
        expect(activated.status).toBe(201);
        expect(activated.body.notificationFailures).toEqual([]);

        const reviewers = await alice.get(`/api/v1/projects/prod-app/reviewers?role=${encodeURIComponent(PEER_ROLE)}`);
        expect(reviewers.status).toBe(200);
        expect(reviewers.body.reviewers).toContain('bob@example.com');

        const requested = await requestApproval(stack);
        expect(requested.status).toBe(201);
        expect(requested.body.notificationFailures).toEqual([]);
        // To the reviewer, the requester in copy.
        expect(stack.emulator.state.mail.map((m) => m.envelope.to)).toEqual([['bob@example.com', 'alice@example.com']]);

        const approved = await stack.as('bob@example.com').post(`/api/v1/approval-requests/${requested.body.token}/approve`);
        expect(approved.status).toBe(200);
        expect(approved.body.notificationFailures).toEqual([]);

        const grants = await alice.get('/api/v1/me/grants');
        expect(grants.status).toBe(200);
        expect(grants.body.warnings).toEqual([]);
        expect(grants.body.grants.map((g: { role: string }) => g.role).sort()).toEqual(['roles/cloudsql.admin', 'roles/compute.admin']);

        const swept = await fetch(`${stack.url}/tasks/cleanup?dryRun=true`, { method: 'POST', headers: { authorization: `Bearer ${await schedulerToken(stack)}` } });
        expect(swept.status).toBe(200);

        await stack.service.audit.flush();
      });
      expect(stderr).not.toContain('Writing an audit entry failed');
      expect(await auditEvents(stack)).toEqual(expect.arrayContaining(['activation.succeeded', 'request.created', 'approval.succeeded']));
      expect(await auditEvents(stack)).not.toContain('notification.failed');
      expect(publishedTypes(stack)).toHaveLength(3);
      const activations = (await policyOf(stack.emulator, 'prod-app')).bindings.filter(
        (b) => b.condition?.title === 'JIT access activation' && b.members.includes('user:alice@example.com'),
      );
      expect(activations.map((b) => b.role).sort()).toEqual(['roles/cloudsql.admin', 'roles/compute.admin']);
    });

    test('AVAILABLE_PROJECTS_QUERY needs no role beyond the table', async () => {
      const narrowed = await startStack({
        world: worldWith(DOCUMENTED.filter((r) => r.catalogs.includes(catalog))),
        env: { ...ENV, RESOURCE_CATALOG: catalog, AVAILABLE_PROJECTS_QUERY: 'parent:folders/200000000003' },
      });
      try {
        const res = await narrowed.as('alice@example.com').get('/api/v1/projects');
        expect(res.status).toBe(200);
        expect(res.body.projects.map((p: { id: string }) => p.id)).toEqual(['prod-app', 'staging-app']);
      } finally {
        await narrowed.close();
      }
    });
  });

  // The emulator's Policy Analyzer expands groups for any caller: it does not model the Workspace
  // permission groups.read, so "PolicyAnalyzer without Groups Reader" cannot fail here as it would at Google.
  const cases = DOCUMENTED.flatMap((missing) =>
    missing.catalogs.filter((c) => !(c === 'PolicyAnalyzer' && missing.role === GROUPS_READER)).map((catalog) => [missing.role, catalog] as const),
  );

  test.each(cases)('without %s (%s catalog), the call that needs it fails and names it', async (missingRole, catalog) => {
    const roles = DOCUMENTED.filter((r) => r.catalogs.includes(catalog) && r.role !== missingRole);
    const stack = await startStack({ world: worldWith(roles), env: { ...ENV, RESOURCE_CATALOG: catalog } });
    try {
      const probe = PROBES[missingRole];
      const message = await probe.run(stack);
      expect(message).toMatch(probe.names);
    } finally {
      await stack.close();
    }
  });
});

describe('the App Engine build', () => {
  /** Package names imported at run time by server/ (type-only imports are erased by the compiler). */
  function runtimeImports(): Set<string> {
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(full);
        else if (entry.name.endsWith('.ts')) files.push(full);
      }
    };
    walk(path.join(ROOT, 'server'));
    const packages = new Set<string>();
    for (const file of files) {
      const source = readFileSync(file, 'utf8');
      const specifiers = [
        ...source.matchAll(/^\s*(?:import|export)\s+(?!type\b)[^;]*?\bfrom\s+'([^']+)'/gms),
        ...source.matchAll(/^\s*import\s+'([^']+)'/gm),
        ...source.matchAll(/\brequire\(\s*'([^']+)'\s*\)/g),
        ...source.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g),
      ].map((m) => m[1]);
      for (const s of specifiers) {
        if (s.startsWith('.') || s.startsWith('node:') || builtinModules.includes(s)) continue;
        packages.add(s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0]);
      }
    }
    return packages;
  }

  test('every package the server imports is a dependency, not a devDependency', () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    const imported = [...runtimeImports()].sort();
    expect(imported.length).toBeGreaterThan(5);
    expect(imported.filter((p) => !(p in pkg.dependencies))).toEqual([]);
  });

  test('package.json builds server and SPA for App Engine, and starts the built server', () => {
    const { scripts } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    expect(scripts['gcp-build']).toMatch(/tsc -p tsconfig\.server\.json/);
    expect(scripts['gcp-build']).toMatch(/vite build/);
    expect(scripts.start).toBe('node dist/server/main.js');
    const app = parseYaml(readFileSync(path.join(ROOT, 'app.yaml'), 'utf8'));
    expect(app.runtime).toMatch(/^nodejs(20|22)$/);
    // Production starts node itself, on both platforms: npm would add to every cold start.
    expect(app.entrypoint).toBe('node --max-semi-space-size=4 dist/server/main.js');
    const cmd = /^CMD (\[.*\])$/m.exec(readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8'));
    expect(JSON.parse(cmd![1]).join(' ')).toBe(app.entrypoint);
  });

  test('the builds write the compile cache; the image writes it as the user that runs the service', () => {
    const { scripts } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    for (const build of ['build', 'gcp-build']) expect(scripts[build]).toMatch(/ && node dist\/server\/compile-cache\.js$/);
    // Node files the cache under the id of the user who wrote it (and reads it only as that user).
    const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
    const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    const user = runtime.indexOf('\nUSER node\n');
    expect(user).toBeGreaterThan(0);
    expect(runtime.indexOf('\nRUN node dist/server/compile-cache.js\n')).toBeGreaterThan(user);
    expect(runtime.indexOf('\nCMD ')).toBeGreaterThan(user);
  });
});

describe('app.yaml', () => {
  const text = readFileSync(path.join(ROOT, 'app.yaml'), 'utf8');

  test('names every setting of server/config.ts', () => {
    const config = readFileSync(path.join(ROOT, 'server', 'config.ts'), 'utf8');
    const schema = /const envSchema = z\.object\(\{\n([\s\S]*?)\n\}\);/.exec(config);
    expect(schema).not.toBeNull();
    const settings = [...schema![1].matchAll(/^ {2}([A-Z][A-Z0-9_]+):/gm)].map((m) => m[1]);
    expect(settings.length).toBeGreaterThan(30);
    expect(settings.filter((s) => !new RegExp(`\\b${s}\\b`).test(text))).toEqual([]);
  });

  test('each commented setting shows its true default', () => {
    // App Engine with email on, so that the SMTP defaults take part in the comparison.
    const base = { GAE_SERVICE: 'default', GOOGLE_CLOUD_PROJECT: 'jit-host', RESOURCE_SCOPE: 'organizations/100000000001', SMTP_SENDER_ADDRESS: 'jit@example.com' };
    const defaults = [...text.matchAll(/^ {2}# ([A-Z][A-Z0-9_]+): "([^"]*)"/gm)].map((m) => [m[1], m[2]] as const);
    expect(defaults.length).toBeGreaterThan(20);
    for (const [name, value] of defaults) {
      if (name === 'SMTP_SENDER_ADDRESS') continue; // the switch that turns email on; unset by default
      expect([name, loadConfig({ ...base, [name]: value })]).toEqual([name, loadConfig(base)]);
    }
  });

  test('the settings left uncommented are valid once the placeholder is filled in', () => {
    const app = parseYaml(text);
    const env = Object.fromEntries(Object.entries(app.env_variables as Record<string, string>).map(([k, v]) => [k, v.replace('ORGANIZATION_ID', '100000000001')]));
    expect(() => loadConfig({ ...env, GAE_SERVICE: 'default', GOOGLE_CLOUD_PROJECT: 'jit-host' })).not.toThrow();
  });
});
