// The emulator's world: organization, folders, projects, principals and IAM policies, loaded from YAML.
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, isNode, type Node as YamlNode } from 'yaml';
import { z } from 'zod';
import { quotaLimitsSchema } from './quota-limits';

const email = z.string().regex(/^[^\s@:]+@[^\s@:]+\.[^\s@:]+$/, 'must be an email address');
const numericId = z.string().regex(/^[0-9]{6,20}$/, 'must be a numeric id (6 to 20 digits, quoted)');
const parentName = z.string().regex(/^(organizations|folders)\/[0-9]+$/, 'must be organizations/N or folders/N');
const member = z
  .string()
  .regex(
    /^(user|group|serviceAccount|domain|deleted:user|deleted:group|deleted:serviceAccount):[^\s]+$|^allUsers$|^allAuthenticatedUsers$|^principal(Set)?:\/\/\S+$/,
    'must be an IAM member such as user:alice@example.com',
  );

export const conditionSchema = z
  .object({ title: z.string().min(1), description: z.string().optional(), expression: z.string().min(1) })
  .strict();

export const bindingSchema = z
  .object({ role: z.string().regex(/^(roles|projects\/[^/]+\/roles|organizations\/[0-9]+\/roles)\/[A-Za-z0-9_.]+$/, 'must be a role such as roles/compute.admin'), members: z.array(member).min(1), condition: conditionSchema.optional() })
  .strict();

const worldSchema = z
  .object({
    organization: z
      .object({
        id: numericId,
        domain: z.string().min(3),
        displayName: z.string().optional(),
        directoryCustomerId: z.string().regex(/^C[0-9a-z]+$/i).optional(),
        // Absent means the strict default (free, none), also for worlds built in code.
        // free: Cloud Identity Free and Workspace editions below Enterprise, which have no transitive group
        // queries; premium: Cloud Identity Premium and Workspace Enterprise. Most customers have free.
        edition: z.enum(['free', 'premium']).optional(),
        // Whether Security Command Center Premium/Enterprise is activated for the organization; without it the
        // Policy Analyzer answers 20 queries per organization and day.
        securityCommandCenter: z.enum(['none', 'premium']).optional(),
      })
      .strict(),
    folders: z.array(z.object({ id: numericId, displayName: z.string().min(1).max(30), parent: parentName }).strict()).default([]),
    projects: z
      .array(
        z
          .object({
            id: z.string().regex(/^[a-z][-a-z0-9]{4,28}[a-z0-9]$/, 'must be a project id (6-30 chars, lower case, digits, hyphens)'),
            number: numericId,
            parent: parentName,
            displayName: z.string().optional(),
            state: z.enum(['ACTIVE', 'DELETE_REQUESTED']).default('ACTIVE'),
            labels: z.record(z.string(), z.string()).optional(),
          })
          .strict(),
      )
      .default([]),
    users: z.array(email).default([]),
    // `external`: a group of another organization; the service account cannot read its memberships.
    groups: z
      .array(z.object({ email, displayName: z.string().optional(), external: z.boolean().optional(), members: z.array(member).default([]) }).strict())
      .default([]),
    // Who holds the Workspace Groups Reader admin role (Cloud Identity authorizes with it, not IAM);
    // absent = every service account of the world.
    groupsReaders: z.array(member).optional(),
    serviceAccounts: z.array(email).min(1, 'needs at least one service account (the one the service runs as)'),
    // Bearer token → principal; a token not listed acts as the first service account.
    callers: z.record(z.string(), member).default({}),
    secrets: z
      .record(z.string().regex(/^projects\/[^/]+\/secrets\/[^/]+$/, 'must be projects/P/secrets/S'), z.array(z.string()).min(1))
      .default({}),
    topics: z.array(z.string().regex(/^projects\/[^/]+\/topics\/[^/]+$/, 'must be projects/P/topics/T')).default([]),
    // Incoming webhooks of the chat sink: Google Chat at /v1/spaces/SPACE/messages?key=KEY&token=TOKEN,
    // Slack at /services/PATH (the three parts of a hooks.slack.com URL), posting to CHANNEL.
    chatWebhooks: z
      .array(
        z.discriminatedUnion('platform', [
          z.object({ platform: z.literal('googleChat'), space: z.string().regex(/^[A-Za-z0-9_-]+$/), key: z.string().min(1), token: z.string().min(1) }).strict(),
          z.object({ platform: z.literal('slack'), path: z.string().regex(/^[A-Za-z0-9]+\/[A-Za-z0-9]+\/[A-Za-z0-9]+$/, 'must be T…/B…/secret'), channel: z.string().min(1) }).strict(),
        ]),
      )
      .optional(),
    // The fake ITSM (/itsm/validate): the tickets it knows, and the world secret (in `secrets`) whose latest
    // version is the HMAC key the service signs its questions with.
    itsm: z
      .object({
        secret: z.string().regex(/^projects\/[^/]+\/secrets\/[^/]+$/, 'must be projects/P/secrets/S, a secret of the world'),
        tickets: z
          .array(
            z
              .object({
                id: z.string().regex(/^[A-Za-z0-9][-_A-Za-z0-9.#/]{0,99}$/, 'must be a ticket id such as CHG-1234'),
                status: z.enum(['open', 'closed']),
                // The project the ticket is for; absent = any project.
                project: z.string().regex(/^[a-z][-a-z0-9]{4,28}[a-z0-9]$/, 'must be a project id').optional(),
              })
              .strict(),
          )
          .default([]),
      })
      .strict()
      .optional(),
    // How Asset Inventory sees IAM: how many seconds behind it is, and whether search indexes condition titles.
    assetInventory: z
      .object({ lagSeconds: z.number().int().min(0).max(86_400).optional(), conditionTitlesIndexed: z.boolean().optional() })
      .strict()
      .optional(),
    // Quota id (emulator/quota-limits.ts) → limit per window, replacing Google's default; null lifts it.
    quotas: quotaLimitsSchema.optional(),
    iam: z.record(z.string().regex(/^(organizations|folders|projects)\/[-a-z0-9]+$/, 'must be organizations/N, folders/N or projects/ID'), z.array(bindingSchema)).default({}),
  })
  .strict();

export type World = z.infer<typeof worldSchema>;
export type WorldBinding = z.infer<typeof bindingSchema>;

export class WorldError extends Error {}

/** Parses a world from YAML text, naming the line of the first problem. */
export function parseWorld(text: string, fileName = 'world'): World {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const line = e.linePos?.[0]?.line ?? '?';
    throw new WorldError(`${fileName}:${line}: ${e.message.split('\n')[0]}`);
  }
  const parsed = worldSchema.safeParse(doc.toJS());
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue.path.map(String);
    const node = doc.getIn(issue.path as (string | number)[], true);
    const line = lineOf(node, lineCounter) ?? lineOf(doc.getIn(issue.path.slice(0, -1) as (string | number)[], true), lineCounter) ?? '?';
    throw new WorldError(`${fileName}:${line}: ${path.join('.') || '(top level)'}: ${issue.message}`);
  }
  checkReferences(parsed.data, fileName);
  return parsed.data;
}

export function loadWorld(file: string): World {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new WorldError(`${file}: cannot read the world file: ${(e as Error).message}`);
  }
  return parseWorld(text, file);
}

function lineOf(node: unknown, lineCounter: LineCounter): number | undefined {
  if (isNode(node) && (node as YamlNode).range) return lineCounter.linePos((node as YamlNode).range![0]).line;
  return undefined;
}

/** Cross-references the YAML schema cannot express: parents exist, ids are unique, IAM targets exist. */
function checkReferences(world: World, fileName: string): void {
  const fail = (msg: string) => {
    throw new WorldError(`${fileName}: ${msg}`);
  };
  const containers = new Set([`organizations/${world.organization.id}`, ...world.folders.map((f) => `folders/${f.id}`)]);
  for (const f of world.folders) if (!containers.has(f.parent)) fail(`folder ${f.id} has unknown parent ${f.parent}`);
  const ids = new Set<string>();
  for (const p of world.projects) {
    if (!containers.has(p.parent)) fail(`project ${p.id} has unknown parent ${p.parent}`);
    if (ids.has(p.id) || ids.has(p.number)) fail(`project ${p.id} is defined twice`);
    ids.add(p.id);
    ids.add(p.number);
  }
  const groupEmails = new Set(world.groups.map((g) => g.email.toLowerCase()));
  for (const g of world.groups)
    for (const m of g.members)
      if (m.startsWith('group:') && !groupEmails.has(m.slice(6).toLowerCase())) fail(`group ${g.email} has unknown member ${m}`);
  if (world.itsm) {
    if (!world.secrets[world.itsm.secret]) fail(`itsm: the secret ${world.itsm.secret} is not one of the world's secrets`);
    const seen = new Set<string>();
    for (const t of world.itsm.tickets) {
      if (seen.has(t.id)) fail(`itsm: ticket ${t.id} is defined twice`);
      seen.add(t.id);
      if (t.project && !ids.has(t.project)) fail(`itsm: ticket ${t.id} names unknown project ${t.project}`);
    }
  }
  for (const resource of Object.keys(world.iam)) {
    const known = resource.startsWith('projects/') ? ids.has(resource.slice(9)) : containers.has(resource);
    if (!known) fail(`iam: unknown resource ${resource}`);
  }
}
