// The worlds the benchmark runs in: the demo world with a crowd of users for the burst, and a generated
// organisation large enough to show what the catalog costs at scale.
import { loadWorld, type World, type WorldBinding } from '../../emulator/world';

const SELF = 'has({}.jitAccessConstraint)';
const PEER = 'has({}.multiPartyApprovalConstraint)';
const SERVICE_ACCOUNT_ROLES = ['roles/resourcemanager.projectIamAdmin', 'roles/cloudasset.viewer', 'roles/browser'];

/** The project, role and group of the burst: every crowd user is eligible to self-activate it. */
export const BURST = { project: 'staging-app', role: 'roles/compute.viewer', group: 'crowd@example.com' } as const;

export const crowdUser = (i: number) => `crowd${String(i).padStart(3, '0')}@example.com`;

/** The demo world plus `crowd` users who may all self-activate the same role on the same project. */
export function burstWorld(demoWorldFile: string, crowd: number): World {
  const world = structuredClone(loadWorld(demoWorldFile));
  const users = Array.from({ length: crowd }, (_, i) => crowdUser(i));
  world.users.push(...users);
  world.groups.push({ email: BURST.group, members: users.map((u) => `user:${u}`) });
  world.iam[`projects/${BURST.project}`].push({
    role: BURST.role,
    members: [`group:${BURST.group}`],
    condition: { title: 'Eligible for JIT access', expression: SELF },
  });
  return world;
}

export interface LargeWorldShape {
  projects: number;
  groups: number;
  bindings: number;
  users: number;
}

export const LARGE_WORLD: LargeWorldShape = { projects: 1000, groups: 200, bindings: 5000, users: 400 };

const ROLES = [
  'roles/compute.admin',
  'roles/storage.admin',
  'roles/bigquery.dataViewer',
  'roles/cloudsql.admin',
  'roles/pubsub.editor',
  'roles/run.admin',
  'roles/container.developer',
  'roles/logging.viewer',
];

export const largeUser = (i: number) => `user${String(i).padStart(3, '0')}@example.com`;
const group = (i: number) => `team${String(i).padStart(3, '0')}@example.com`;

/**
 * An organisation of `projects` projects in 20 folders with two sub-folders each, `groups` groups nested as
 * a binary tree (team000 contains team001 and team002, …), every user in two of the lower groups, and
 * exactly `bindings` role bindings: eligible ones (self and peer approval, some with resource conditions)
 * on folders and projects, and permanent ones beside them.
 */
export function largeWorld(shape: LargeWorldShape = LARGE_WORLD): World {
  const org = '100000000001';
  const serviceAccount = 'jitaccess@jit-host.iam.gserviceaccount.com';
  const folders: World['folders'] = [];
  for (let f = 0; f < 20; f++) {
    const top = String(200000000000 + f * 3);
    folders.push({ id: top, displayName: `division-${f}`, parent: `organizations/${org}` });
    for (const sub of [1, 2]) folders.push({ id: String(Number(top) + sub), displayName: `division-${f}-${sub}`, parent: `folders/${top}` });
  }
  const projects: World['projects'] = [{ id: 'jit-host', number: '300000000000', parent: `organizations/${org}`, state: 'ACTIVE' }];
  for (let p = 0; p < shape.projects; p++) {
    projects.push({ id: `project-${String(p).padStart(4, '0')}`, number: String(310000000000 + p), parent: `folders/${folders[p % folders.length].id}`, state: 'ACTIVE' });
  }
  const users = Array.from({ length: shape.users }, (_, i) => largeUser(i));
  const groups: World['groups'] = Array.from({ length: shape.groups }, (_, i) => ({ email: group(i), members: [] as string[] }));
  for (let i = 1; i < shape.groups; i++) groups[Math.floor((i - 1) / 2)].members.push(`group:${group(i)}`);
  const lower = Math.floor(shape.groups / 2);
  users.forEach((u, j) => {
    groups[lower + (j % lower)].members.push(`user:${u}`);
    groups[lower + ((j * 7 + 3) % lower)].members.push(`user:${u}`);
  });

  const iam: World['iam'] = {
    [`organizations/${org}`]: SERVICE_ACCOUNT_ROLES.map((role) => ({ role, members: [`serviceAccount:${serviceAccount}`] })),
  };
  let count = SERVICE_ACCOUNT_ROLES.length;
  const add = (resource: string, binding: WorldBinding) => {
    (iam[resource] ??= []).push(binding);
    count++;
  };
  // Every folder: one self-activation binding for a group.
  folders.forEach((f, i) => add(`folders/${f.id}`, { role: ROLES[i % ROLES.length], members: [`group:${group((i * 11) % shape.groups)}`], condition: { title: 'Eligible', expression: SELF } }));
  // Projects, round after round, until the binding count is reached.
  const kinds = [
    (p: number): WorldBinding => ({ role: ROLES[p % ROLES.length], members: [`group:${group((p * 13) % shape.groups)}`], condition: { title: 'Eligible', expression: SELF } }),
    (p: number): WorldBinding => ({ role: ROLES[(p + 3) % ROLES.length], members: [`group:${group((p * 17 + 5) % shape.groups)}`], condition: { title: 'Peer approval', expression: PEER } }),
    (p: number): WorldBinding => ({ role: 'roles/viewer', members: [`group:${group((p * 19 + 7) % shape.groups)}`] }),
    (p: number): WorldBinding => ({
      role: 'roles/storage.objectAdmin',
      members: [`user:${largeUser((p * 23) % shape.users)}`],
      condition: { title: 'Eligible for one bucket', expression: `${SELF} && resource.name.startsWith("projects/_/buckets/bucket-${p}")` },
    }),
    (p: number): WorldBinding => ({ role: ROLES[(p + 5) % ROLES.length], members: [`user:${largeUser((p * 29 + 1) % shape.users)}`], condition: { title: 'Eligible', expression: SELF } }),
  ];
  for (let round = 0; count < shape.bindings; round++) {
    for (let p = 0; p < shape.projects && count < shape.bindings; p++) add(`projects/${projects[p + 1].id}`, kinds[round % kinds.length](p + round * shape.projects));
  }
  return {
    // Premium explicitly, as in the demo world: the service does not yet work within the free edition's limits.
    organization: { id: org, domain: 'example.com', displayName: 'example.com', edition: 'premium', securityCommandCenter: 'premium' },
    folders,
    projects,
    users,
    groups,
    serviceAccounts: [serviceAccount],
    callers: {},
    secrets: {},
    topics: [],
    iam,
  };
}

/** How many bindings a world holds, to check the generator. */
export function bindingCount(world: World): number {
  return Object.values(world.iam).reduce((n, bindings) => n + bindings.length, 0);
}

const activationWindow = (start: Date, end: Date) =>
  `(request.time >= timestamp("${start.toISOString().replace('.000Z', 'Z')}") && request.time < timestamp("${end.toISOString().replace('.000Z', 'Z')}"))`;

/** The user of the "My access" row: eligible directly on `eligible` projects, holding a grant on `grants` of them. */
export const WIDE_USER = 'wide@example.com';

/** A user in no group, eligible on one project: the first to list projects, so that the organization's list is cached. */
export const WARM_USER = 'warm@example.com';

export function withWideUser(world: World, eligible: number, grants: number): World {
  world.users.push(WIDE_USER, WARM_USER);
  (world.iam[`projects/${world.projects[1].id}`] ??= []).push({ role: 'roles/compute.viewer', members: [`user:${WARM_USER}`], condition: { title: 'Eligible', expression: SELF } });
  const projects = world.projects.slice(1, eligible + 1);
  const now = Date.now();
  projects.forEach((p, i) => {
    const bindings = (world.iam[`projects/${p.id}`] ??= []);
    bindings.push({ role: 'roles/storage.admin', members: [`user:${WIDE_USER}`], condition: { title: 'Eligible', expression: SELF } });
    if (i % Math.floor(eligible / grants) === 0 && i / Math.floor(eligible / grants) < grants) {
      bindings.push({
        role: 'roles/storage.admin',
        members: [`user:${WIDE_USER}`],
        condition: { title: 'JIT access activation', description: 'Self-approved, justification: benchmark', expression: activationWindow(new Date(now - 5 * 60_000), new Date(now + 3 * 3_600_000)) },
      });
    }
  });
  return world;
}

/** Adds an expired activation to every `every`-th project: what the sweeper has to remove. */
export function withExpiredActivations(world: World, every: number): number {
  let added = 0;
  world.projects.slice(1).forEach((p, i) => {
    if (i % every !== 0) return;
    (world.iam[`projects/${p.id}`] ??= []).push({
      role: 'roles/compute.viewer',
      members: [`user:${largeUser(i % 400)}`],
      condition: { title: 'JIT access activation', description: 'Self-approved, justification: old', expression: activationWindow(new Date('2024-01-10T09:00:00Z'), new Date('2024-01-10T10:00:00Z')) },
    });
    added++;
  });
  return added;
}

/** The crowd of the quota row: `users` users of one group, eligible to self-activate on every project of a folder. */
export const crowdProject = (i: number) => `crowd-${String(i).padStart(2, '0')}`;

export function crowdWorld(users: number, projects: number): World {
  const world = largeWorld({ projects: 0, groups: 2, bindings: 0, users: 0 });
  const folder = world.folders[0].id;
  for (let i = 0; i < projects; i++) world.projects.push({ id: crowdProject(i), number: String(320000000000 + i), parent: `folders/${folder}`, state: 'ACTIVE' });
  const members = Array.from({ length: users }, (_, i) => crowdUser(i));
  world.users.push(...members);
  world.groups.push({ email: BURST.group, members: members.map((u) => `user:${u}`) });
  (world.iam[`folders/${folder}`] ??= []).push({ role: BURST.role, members: [`group:${BURST.group}`], condition: { title: 'Eligible for JIT access', expression: SELF } });
  return world;
}
