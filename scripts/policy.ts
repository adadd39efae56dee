// `npm run policy -- check FILE…`: validates access policy files (exit 1 on a mistake, for CI).
// `npm run policy -- explain FILE --user U --project P --role R [--world W.yaml] [--at ISO-TIME] [--json]`:
//   which rule applies to the user's eligible role, why, and what it demands. Groups, folders and labels
//   come from an emulator world file, or without --world from Google's APIs (Asset Inventory and Cloud
//   Identity, with application default credentials and --scope organizations/N).
// `npm run policy -- schema`: writes docs/access-policy.schema.json from the zod schema.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { AccessPolicyError, accessPolicyJsonSchema, parseAccessPolicy, type AccessPolicyDocument } from '../server/domain/access-policy';
import { demandsOf, describeDemands, explainMatch, scheduleProblem, type Demands, type PolicyTarget } from '../server/domain/access-policy-demands';
import { eligibleRoles, type EligibleRole } from '../server/domain/eligible-roles';
import type { Binding } from '../server/domain/iam-policy';
import { googleCredentials, googleEndpoints } from '../server/google/connection';
import { CloudAsset } from '../server/google/cloud-asset';
import { CloudIdentity } from '../server/google/cloud-identity';
import { loadWorld, WorldError, type World } from '../emulator/world';

const ROOT = path.join(__dirname, '..', '..');
const USAGE = `usage:
  npm run policy -- check FILE...
  npm run policy -- explain FILE --user EMAIL --project PROJECT_ID --role ROLE [--world WORLD.yaml | --scope organizations/N] [--at ISO-TIME] [--json]
  npm run policy -- schema`;

class UsageError extends Error {}

/** What explain needs to know about a user and a project, from a world file or from Google. */
interface Directory {
  /** The project's ancestor folders (numeric ids) and labels. */
  project(projectId: string): Promise<{ folders: string[]; labels: Record<string, string> }>;
  /** The user's eligible roles on the project, from IAM. */
  eligibleRoles(userEmail: string, projectId: string, now: Date): Promise<EligibleRole[]>;
  /** The groups the user belongs to, directly or through other groups. */
  groupsOf(userEmail: string): Promise<string[]>;
}

function readPolicy(file: string): AccessPolicyDocument {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`${file}: cannot read the policy file: ${(e as Error).message}`);
  }
  return parseAccessPolicy(text, file);
}

function check(files: string[]): number {
  if (files.length === 0) throw new UsageError('name at least one policy file to check');
  let failed = 0;
  for (const file of files) {
    try {
      const policy = readPolicy(file);
      console.log(`${file}: valid (${policy.rules.length} rule${policy.rules.length === 1 ? '' : 's'})`);
    } catch (e) {
      if (!(e instanceof AccessPolicyError)) throw e;
      failed++;
      console.error(e.message);
    }
  }
  return failed > 0 ? 1 : 0;
}

/** Resolves from an emulator world file: the same data the demo and the tests run on. */
function worldDirectory(world: World): Directory {
  const folderParent = new Map(world.folders.map((f) => [f.id, f.parent]));
  const groupsOf = (email: string): string[] => {
    const found = new Set<string>();
    let frontier = [`user:${email.toLowerCase()}`];
    while (frontier.length > 0) {
      const next: string[] = [];
      for (const g of world.groups) {
        const name = g.email.toLowerCase();
        if (!found.has(name) && g.members.some((m) => frontier.includes(m.toLowerCase()))) {
          found.add(name);
          next.push(`group:${name}`);
        }
      }
      frontier = next;
    }
    return [...found].sort();
  };
  const projectOf = (projectId: string) => {
    const project = world.projects.find((p) => p.id === projectId);
    if (!project) throw new UsageError(`the world has no project ${projectId}`);
    const folders: string[] = [];
    for (let parent = project.parent; parent.startsWith('folders/'); parent = folderParent.get(parent.slice(8)) ?? '') folders.push(parent.slice(8));
    return { project, folders };
  };
  return {
    project: async (projectId) => {
      const { project, folders } = projectOf(projectId);
      return { folders, labels: project.labels ?? {} };
    },
    groupsOf: async (email) => groupsOf(email),
    eligibleRoles: async (email, projectId, now) => {
      const { folders } = projectOf(projectId);
      const principals = new Set([`user:${email.toLowerCase()}`, ...groupsOf(email).map((g) => `group:${g}`)]);
      const resources = [`projects/${projectId}`, ...folders.map((f) => `folders/${f}`), `organizations/${world.organization.id}`];
      const bindings: Binding[] = resources
        .flatMap((r) => world.iam[r] ?? [])
        .filter((b) => b.members.some((m) => principals.has(m.toLowerCase())))
        .map((b) => ({ role: b.role, members: b.members, condition: b.condition }));
      return eligibleRoles(bindings, email, projectId, now);
    },
  };
}

/** Resolves through Google's APIs, as the service does with the Asset Inventory catalog. */
function liveDirectory(scope: string, customerId: string | undefined): Directory {
  const timeouts = { connectMs: 5000, readMs: 30000, writeMs: 5000 };
  const auth = googleCredentials(undefined);
  const endpoints = googleEndpoints(undefined);
  const asset = new CloudAsset(auth, endpoints, timeouts, scope);
  const identity = new CloudIdentity(auth, endpoints, timeouts, customerId);
  return {
    project: async (projectId) => {
      const found = (await asset.searchProjects('state:ACTIVE')).find((p) => p.projectId === projectId);
      if (!found) throw new UsageError(`no active project ${projectId} in ${scope}`);
      return { folders: found.folders.map((f) => f.replace(/^folders\//, '')), labels: found.labels ?? {} };
    },
    groupsOf: (email) => identity.transitiveGroupsOf(email),
    eligibleRoles: async (email, projectId, now) => {
      const [attached, groups] = await Promise.all([asset.effectiveBindings(projectId), identity.transitiveGroupsOf(email)]);
      const principals = new Set([`user:${email.toLowerCase()}`, ...groups.map((g) => `group:${g.toLowerCase()}`)]);
      const bindings = attached.map((a) => a.binding).filter((b) => (b.members ?? []).some((m) => principals.has(m.toLowerCase())));
      return eligibleRoles(bindings, email, projectId, now);
    },
  };
}

interface Explanation {
  entitlement: string;
  type: EligibleRole['type'];
  resourceCondition: string | null;
  skipped: { rule: string; because: string }[];
  demands: Demands;
  summary: string;
  refusalNow: string | null;
  breakGlassForUser: boolean | null;
}

async function explain(file: string, options: { user?: string; project?: string; role?: string; world?: string; scope?: string; 'customer-id'?: string; at?: string }): Promise<{ explanations: Explanation[]; eligible: string[] }> {
  const { user, project, role } = options;
  if (!user || !project || !role) throw new UsageError('explain needs --user, --project and --role');
  const now = options.at ? new Date(options.at) : new Date();
  if (Number.isNaN(now.getTime())) throw new UsageError(`--at ${options.at} is not a time such as 2026-03-02T09:30:00Z`);
  const policy = readPolicy(file);
  let directory: Directory;
  if (options.world) directory = worldDirectory(loadWorld(options.world));
  else if (options.scope) directory = liveDirectory(options.scope, options['customer-id']);
  else throw new UsageError('explain needs --world FILE (an emulator world) or --scope organizations/N (Google APIs)');

  const [facts, roles, groups] = await Promise.all([directory.project(project), directory.eligibleRoles(user, project, now), directory.groupsOf(user)]);
  const principals = new Set([`user:${user.toLowerCase()}`, ...groups.map((g) => `group:${g.toLowerCase()}`)]);
  // The environment's settings are not known here; explain shows the jit-access 1.x defaults where the policy is silent.
  const base = { maxDurationMinutes: 120, justification: { pattern: '.*', hint: 'Bug or case number', maxLength: 100 } };
  const explanations = roles
    .filter((r) => r.role === role)
    .map((r): Explanation => {
      const target: PolicyTarget = { projectId: project, folders: facts.folders, labels: facts.labels, role, type: r.type, resourceCondition: r.resourceCondition };
      const demands = demandsOf(policy, target, base, now);
      const skipped: Explanation['skipped'] = [];
      for (const rule of policy.rules) {
        if (rule.name === demands.rule) break;
        skipped.push({ rule: rule.name, because: explainMatch(rule.match, target).reasons[0] });
      }
      const bg = demands.breakGlass;
      return {
        entitlement: r.id,
        type: r.type,
        resourceCondition: r.resourceCondition,
        skipped,
        demands,
        summary: describeDemands(demands),
        refusalNow: scheduleProblem(demands, now),
        breakGlassForUser: bg ? bg.principals === null || bg.principals.some((p) => principals.has(p.toLowerCase())) : null,
      };
    });
  return { explanations, eligible: roles.map((r) => r.id) };
}

function printExplanation(user: string, { explanations, eligible }: Awaited<ReturnType<typeof explain>>, role: string, project: string): void {
  if (explanations.length === 0) {
    console.log(`${user} is not eligible for ${role} on ${project}: IAM decides eligibility, and the policy never adds any.`);
    console.log(eligible.length ? `Eligible roles there: ${eligible.join(', ')}` : `${user} has no eligible role on ${project}.`);
    return;
  }
  for (const e of explanations) {
    const d = e.demands;
    console.log(`${e.entitlement} (${e.type === 'self' ? 'self-approval' : 'peer-approval'} binding${e.resourceCondition ? `, resource condition ${e.resourceCondition}` : ''})`);
    for (const s of e.skipped) console.log(`  skipped rule ${s.rule}: ${s.because}`);
    console.log(d.rule ? `  rule ${d.rule} applies${d.matchedBecause.length ? `: ${d.matchedBecause.join('; ')}` : ' (it matches every role)'}` : '  no rule matches: the defaults and the service settings apply');
    console.log(`  demands: ${e.summary}`);
    console.log(`  justification: /${d.justification.pattern}/ (${d.justification.hint})`);
    if (d.defaultDurationMinutes !== null) console.log(`  default duration: ${d.defaultDurationMinutes} minutes`);
    if (d.ticket) console.log(`  ticket: /${d.ticket.pattern}/${d.ticket.hint ? ` (${d.ticket.hint})` : ''}${d.ticket.validation ? `, validated at ${d.ticket.validation.url}` : ''}${d.ticket.events ? `, events posted to ${d.ticket.events.url}` : ''}`);
    if (d.schedule) console.log(`  schedule: ${d.schedule.windows.join(', ')} ${d.schedule.timeZone}, ${d.schedule.insideNow ? 'inside now' : `outside now (${d.schedule.outside})`}`);
    if (d.breakGlass) console.log(`  break-glass: ${e.breakGlassForUser ? 'available to' : 'not available to'} ${user}, up to ${d.breakGlass.maxDurationMinutes} minutes, reviewed by ${d.breakGlass.reviewers.join(', ')}`);
    if (d.notify.emails.length || d.notify.chat.length) console.log(`  notifies: ${[...d.notify.emails, ...d.notify.chat.map((c) => `chat:${c}`)].join(', ')}`);
    for (const note of d.notes) console.log(`  note: ${note}`);
    if (e.refusalNow) console.log(`  refused now: ${e.refusalNow}`);
  }
}

/** Runs one command; resolves with the exit code. Exported for tests. */
export async function runPolicyCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      user: { type: 'string' },
      project: { type: 'string' },
      role: { type: 'string' },
      world: { type: 'string' },
      scope: { type: 'string' },
      'customer-id': { type: 'string' },
      at: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  const [command, ...files] = positionals;
  if (command === 'check') return check(files);
  if (command === 'schema') {
    writeFileSync(path.join(ROOT, 'docs', 'access-policy.schema.json'), `${JSON.stringify(accessPolicyJsonSchema(), null, 2)}\n`);
    console.log('wrote docs/access-policy.schema.json');
    return 0;
  }
  if (command === 'explain') {
    if (files.length !== 1) throw new UsageError('explain needs exactly one policy file');
    const result = await explain(files[0], values);
    if (values.json) console.log(JSON.stringify(result, null, 2));
    else printExplanation(values.user!, result, values.role!, values.project!);
    return result.explanations.length > 0 ? 0 : 1;
  }
  throw new UsageError(command ? `unknown command ${command}` : 'name a command');
}

/** Like runPolicyCommand, but a usage mistake or an invalid file prints its message instead of throwing. */
export async function policyCommand(argv: string[]): Promise<number> {
  try {
    return await runPolicyCommand(argv);
  } catch (e) {
    if (e instanceof UsageError || e instanceof AccessPolicyError || e instanceof WorldError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(e instanceof UsageError ? `${e.message}\n${USAGE}` : (e as Error).message);
      return e instanceof AccessPolicyError ? 1 : 2;
    }
    throw e;
  }
}

if (require.main === module) {
  policyCommand(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      console.error(e);
      process.exit(2);
    },
  );
}
