// The emulator's in-memory state: the world's resources, IAM policies, principals, and what was sent to it.
import { writeFileSync, readFileSync, existsSync } from 'node:fs';
import type { World, WorldBinding } from './world';
import { roleGrants } from './permissions';
import { conditionHolds } from './cel';
import { QuotaBook } from './quotas';

export type Binding = WorldBinding;
export interface Policy {
  version: number;
  etag: string;
  bindings: Binding[];
  auditConfigs?: unknown[];
}

export interface Project {
  id: string;
  number: string;
  parent: string;
  displayName?: string;
  state: 'ACTIVE' | 'DELETE_REQUESTED';
  labels?: Record<string, string>;
}
/** The world's organization with the strict defaults filled in: a free edition without Security Command Center. */
export type Organization = World['organization'] & Required<Pick<World['organization'], 'edition' | 'securityCommandCenter'>>;

export interface Group {
  email: string;
  displayName?: string;
  /** Owned by another organization: its memberships cannot be read through Cloud Identity or expanded by Asset. */
  external: boolean;
  /** Direct members: `user:…`, `group:…`, `serviceAccount:…`. */
  members: string[];
}
export interface Folder {
  id: string;
  displayName: string;
  parent: string;
}

export interface LogEntryRecord {
  [field: string]: unknown;
  logName: string;
  timestamp: string;
  receiveTimestamp: string;
  insertId: string;
  severity: string;
}
export interface PublishedMessage {
  topic: string;
  messageId: string;
  data?: string;
  attributes?: Record<string, string>;
  orderingKey?: string;
  publishTime: string;
}
export interface MailMessage {
  id: number;
  receivedAt: string;
  envelope: { from: string; to: string[] };
  from: string;
  to: string;
  cc: string;
  subject: string;
  text: string;
  html: string;
  headers: Record<string, string>;
}

/** A post a chat webhook accepted: `destination` is the Google Chat space or the Slack channel. */
export interface ChatPost {
  id: number;
  platform: 'googleChat' | 'slack';
  destination: string;
  receivedAt: string;
  /** Google Chat: the thread's name, and the key that chose it when the post asked to reply in a thread. */
  thread?: string;
  threadKey?: string;
  body: unknown;
}

/** A ticket of the fake ITSM. */
export interface ItsmTicket {
  id: string;
  status: 'open' | 'closed';
  /** The project it is for; absent = any. */
  project?: string;
}

/** One question the fake ITSM received, and its answer. */
export interface ItsmCall {
  id: number;
  receivedAt: string;
  /** What the signature check found: `valid`, or why the question was refused before it was read. */
  signature: 'valid' | 'missing' | 'malformed' | 'stale' | 'mismatch';
  /** The body as received: the parsed JSON, or null when it was not read. */
  question: unknown;
  status: number;
  answer: { valid: boolean; reason?: string };
}

/** One ticket event the fake ITSM received (ticket write-back), and its answer. */
export interface ItsmEvent {
  id: number;
  receivedAt: string;
  signature: ItsmCall['signature'];
  /** The event as received: the parsed JSON, or null when it was not read. */
  event: unknown;
  /** An event whose `id` was received before (a retry of one that arrived): answered 200 again, not counted twice. */
  duplicate: boolean;
  status: number;
  answer: { received: boolean; reason?: string };
}

export interface Faults {
  /** Added latency in ms, by API family (`cloudresourcemanager`, `cloudasset`, …) or `*` for all. */
  latencyMs: Record<string, number>;
  /** Injected errors, by API family or by method name; `count` limits how many (absent = until cleared). */
  errors: Record<string, { rate: number; status: number; count?: number }>;
  /** The next N setIamPolicy calls fail with an etag conflict, as if someone else had written first. */
  etagConflicts: number;
  /** The status of every etag conflict, forced or real: 409 ABORTED as Google answers, or 412. */
  etagConflictStatus: 409 | 412;
  /** The next N SMTP messages are rejected; -1 rejects all until cleared. */
  smtpRejections: number;
  /** Asset Inventory's lag in seconds, replacing the world's `assetInventory.lagSeconds` until cleared. */
  assetLagSeconds?: number;
}

export const noFaults = (): Faults => ({ latencyMs: {}, errors: {}, etagConflicts: 0, etagConflictStatus: 409, smtpRejections: 0 });

/** The longest Asset Inventory lag the world and the faults accept. */
export const MAX_ASSET_LAG_SECONDS = 86_400;

/** IAM etags are base64 of 8 bytes; Google's usually start with `Bw` (0x07), so ours do too. */
export function etagOf(revision: number): string {
  const buf = Buffer.alloc(8);
  buf.writeBigUInt64BE(BigInt(revision));
  buf[0] = 0x07;
  return buf.toString('base64');
}

export class EmulatorState {
  organization!: Organization;
  folders = new Map<string, Folder>();
  /** Projects by id and by number. */
  projects = new Map<string, Project>();
  users = new Set<string>();
  serviceAccounts: string[] = [];
  /** Group email (lower case) → direct members (`user:…`, `group:…`, `serviceAccount:…`). */
  groups = new Map<string, Group>();
  callers = new Map<string, string>();
  secrets = new Map<string, string[]>();
  topics = new Set<string>();
  /** Keyed by canonical name: `organizations/N`, `folders/N`, `projects/ID`. */
  policies = new Map<string, Policy>();
  /** Every version of each policy with the emulator time it was written (world policies at -Infinity), oldest first. */
  private policyHistory = new Map<string, { at: number; policy: Policy }[]>();
  revision = 1_000;

  /** How Asset Inventory sees IAM (world `assetInventory`, defaults filled in). */
  assetInventory: { lagSeconds: number; conditionTitlesIndexed: boolean } = { lagSeconds: 0, conditionTitlesIndexed: false };

  calls = new Map<string, number>();
  quotas: QuotaBook;
  faults: Faults = noFaults();
  clockOffsetMs = 0;
  logEntries: LogEntryRecord[] = [];
  messages: PublishedMessage[] = [];
  mail: MailMessage[] = [];
  chat: ChatPost[] = [];
  /** The fake ITSM's tickets by id (the world's, changed through /_emulator/itsm/tickets), and what it was asked. */
  itsmTickets = new Map<string, ItsmTicket>();
  itsmCalls: ItsmCall[] = [];
  /** The ticket events the fake ITSM received. */
  itsmEvents: ItsmEvent[] = [];
  /** Every setIamPolicy request reason (`x-goog-request-reason`) received, newest last. */
  requestReasons: { resource: string; reason: string }[] = [];

  constructor(readonly world: World) {
    this.quotas = new QuotaBook(world.quotas);
    this.reset();
  }

  reset(): void {
    const w = this.world;
    this.organization = { edition: 'free', securityCommandCenter: 'none', ...w.organization };
    this.folders = new Map(w.folders.map((f) => [f.id, { ...f }]));
    this.projects = new Map();
    for (const p of w.projects) {
      const project = { ...p };
      this.projects.set(p.id, project);
      this.projects.set(p.number, project);
    }
    this.users = new Set(w.users.map((u) => u.toLowerCase()));
    this.serviceAccounts = w.serviceAccounts.map((s) => s.toLowerCase());
    this.groups = new Map(w.groups.map((g) => [g.email.toLowerCase(), { ...g, external: g.external ?? false, members: g.members.map(lowerMember) }]));
    this.callers = new Map(Object.entries(w.callers).map(([token, m]) => [token, lowerMember(m)]));
    this.secrets = new Map(Object.entries(w.secrets));
    this.topics = new Set(w.topics);
    this.policies = new Map();
    for (const [resource, bindings] of Object.entries(w.iam)) {
      const name = this.canonicalName(resource) ?? resource;
      const conditional = bindings.some((b) => b.condition);
      this.policies.set(name, { version: conditional ? 3 : 1, etag: etagOf(++this.revision), bindings: structuredClone(bindings) });
    }
    this.policyHistory = new Map([...this.policies].map(([name, policy]) => [name, [{ at: -Infinity, policy }]]));
    this.assetInventory = { lagSeconds: 0, conditionTitlesIndexed: false, ...w.assetInventory };
    this.calls = new Map();
    this.quotas.reset();
    this.faults = noFaults();
    this.clockOffsetMs = 0;
    this.logEntries = [];
    this.messages = [];
    this.mail = [];
    this.chat = [];
    this.itsmTickets = new Map((w.itsm?.tickets ?? []).map((t) => [t.id, { ...t }]));
    this.itsmCalls = [];
    this.itsmEvents = [];
    this.requestReasons = [];
  }

  now(): Date {
    return new Date(Date.now() + this.clockOffsetMs);
  }

  recordCall(name: string): void {
    this.calls.set(name, (this.calls.get(name) ?? 0) + 1);
  }

  // --- resources ---------------------------------------------------------------------------------

  project(idOrNumber: string): Project | undefined {
    return this.projects.get(idOrNumber);
  }

  allProjects(): Project[] {
    return [...new Set(this.projects.values())];
  }

  /** `projects/300000000001` → `projects/prod-app`; unknown resources → undefined. */
  canonicalName(name: string): string | undefined {
    const [kind, id, ...rest] = name.split('/');
    if (rest.length > 0 || !id) return undefined;
    if (kind === 'projects') {
      const p = this.projects.get(id);
      return p ? `projects/${p.id}` : undefined;
    }
    if (kind === 'folders') return this.folders.has(id) ? name : undefined;
    if (kind === 'organizations') return id === this.organization.id ? name : undefined;
    return undefined;
  }

  parentOf(name: string): string | undefined {
    const [kind, id] = name.split('/');
    if (kind === 'projects') return this.projects.get(id)?.parent;
    if (kind === 'folders') return this.folders.get(id)?.parent;
    return undefined;
  }

  /** The resource itself, then its folders up to the organization. */
  ancestry(name: string): string[] {
    const chain: string[] = [];
    for (let n: string | undefined = this.canonicalName(name); n; n = this.parentOf(n)) chain.push(n);
    return chain;
  }

  /** Projects at or below a container (or the project itself). */
  projectsUnder(name: string): Project[] {
    const canonical = this.canonicalName(name);
    if (!canonical) return [];
    return this.allProjects().filter((p) => this.ancestry(`projects/${p.id}`).includes(canonical));
  }

  /** Full resource name as the Asset API writes it: projects by id, folders and organizations by number. */
  fullResourceName(name: string): string {
    return `//cloudresourcemanager.googleapis.com/${this.canonicalName(name) ?? name}`;
  }

  // --- IAM policies ------------------------------------------------------------------------------

  policyOf(name: string): Policy {
    const canonical = this.canonicalName(name) ?? name;
    let policy = this.policies.get(canonical);
    if (!policy) {
      policy = { version: 1, etag: etagOf(++this.revision), bindings: [] };
      this.policies.set(canonical, policy);
    }
    return policy;
  }

  /** Stores a policy (already validated) and gives it a new etag. */
  storePolicy(name: string, bindings: Binding[], auditConfigs?: unknown[]): Policy {
    const canonical = this.canonicalName(name) ?? name;
    const conditional = bindings.some((b) => b.condition);
    const policy: Policy = { version: conditional ? 3 : 1, etag: etagOf(++this.revision), bindings, ...(auditConfigs ? { auditConfigs } : {}) };
    this.policies.set(canonical, policy);
    const now = this.now().getTime();
    // Versions older than the longest lag allowed (a day) are never seen again, except the newest of them.
    const versions = [...(this.policyHistory.get(canonical) ?? []), { at: now, policy }];
    const firstRecent = versions.findIndex((v) => v.at > now - MAX_ASSET_LAG_SECONDS * 1000);
    this.policyHistory.set(canonical, versions.slice(Math.max(0, firstRecent - 1)));
    return policy;
  }

  /**
   * A policy as Asset Inventory sees it: as of now minus its lag (faults, else the world), so that changes
   * reach search, effective policies and the analyzer late, as they do at Google.
   */
  assetPolicyOf(name: string): Policy | undefined {
    const lagMs = (this.faults.assetLagSeconds ?? this.assetInventory.lagSeconds) * 1000;
    if (lagMs === 0) return this.policies.get(name);
    const asOf = this.now().getTime() - lagMs;
    const visible = (this.policyHistory.get(name) ?? []).filter((version) => version.at <= asOf);
    return visible[visible.length - 1]?.policy;
  }

  // --- principals --------------------------------------------------------------------------------

  principalExists(member: string): boolean {
    const [type, ...rest] = member.split(':');
    const email = rest.join(':').toLowerCase();
    if (type === 'user') return this.users.has(email);
    if (type === 'group') return this.groups.has(email);
    if (type === 'serviceAccount') return this.serviceAccounts.includes(email);
    return true;
  }

  /**
   * Every group that contains the member, directly or through nested groups. `readableOnly` leaves out
   * external groups and what is reached only through them: what a reader of this organization's directory sees.
   */
  transitiveGroupsOf(member: string, readableOnly = false): Set<string> {
    const found = new Set<string>();
    const queue = [lowerMember(member)];
    while (queue.length > 0) {
      const m = queue.shift()!;
      for (const [email, g] of this.groups) {
        if (readableOnly && g.external) continue;
        if (!found.has(email) && g.members.includes(m)) {
          found.add(email);
          queue.push(`group:${email}`);
        }
      }
    }
    return found;
  }

  /** Users and service accounts in a group, through nested groups. */
  transitiveMembersOf(groupEmail: string): Set<string> {
    const members = new Set<string>();
    const seen = new Set<string>();
    const visit = (email: string) => {
      if (seen.has(email)) return;
      seen.add(email);
      for (const m of this.groups.get(email)?.members ?? []) {
        if (m.startsWith('group:')) visit(m.slice(6));
        else members.add(m);
      }
    };
    visit(groupEmail.toLowerCase());
    return members;
  }

  /** The member strings that stand for a principal in bindings: itself and its groups (see transitiveGroupsOf). */
  identitiesOf(member: string, readableOnly = false): Set<string> {
    return new Set([lowerMember(member), ...[...this.transitiveGroupsOf(member, readableOnly)].map((g) => `group:${g}`)]);
  }

  /** The principal a bearer token acts as: a listed caller, else the service's own account. */
  principalOf(token: string): string {
    return this.callers.get(token) ?? `serviceAccount:${this.serviceAccounts[0]}`;
  }

  /**
   * Whether the principal holds a permission on a resource through the policies of the resource and
   * its ancestors. Conditional bindings count only while their condition holds now.
   */
  hasPermission(principal: string, permission: string, resource: string): boolean {
    const identities = this.identitiesOf(principal);
    const chain = resource.includes('/serviceAccounts/') ? [resource, ...this.ancestry(resource.split('/serviceAccounts/')[0])] : this.ancestry(resource);
    for (const name of chain) {
      const policy = this.policies.get(name);
      if (!policy) continue;
      for (const b of policy.bindings) {
        if (!roleGrants(b.role, permission)) continue;
        if (!b.members.some((m) => identities.has(lowerMember(m)))) continue;
        if (b.condition && !conditionHolds(b.condition.expression, this.now())) continue;
        return true;
      }
    }
    return false;
  }

  // --- persistence -------------------------------------------------------------------------------

  /** Saves what changes at run time (policies, logs, messages, mail) so a demo survives a restart. */
  save(file: string): void {
    const data = {
      revision: this.revision,
      policies: Object.fromEntries(this.policies),
      logEntries: this.logEntries,
      messages: this.messages,
      mail: this.mail,
      chat: this.chat,
      itsmTickets: [...this.itsmTickets.values()],
      itsmCalls: this.itsmCalls,
      itsmEvents: this.itsmEvents,
    };
    writeFileSync(file, JSON.stringify(data));
  }

  restore(file: string): boolean {
    if (!existsSync(file)) return false;
    const data = JSON.parse(readFileSync(file, 'utf8'));
    this.revision = data.revision;
    this.policies = new Map(Object.entries(data.policies));
    this.policyHistory = new Map([...this.policies].map(([name, policy]) => [name, [{ at: -Infinity, policy }]]));
    this.logEntries = data.logEntries ?? [];
    this.messages = data.messages ?? [];
    this.mail = data.mail ?? [];
    this.chat = data.chat ?? [];
    if (data.itsmTickets) this.itsmTickets = new Map((data.itsmTickets as ItsmTicket[]).map((t) => [t.id, t]));
    this.itsmCalls = data.itsmCalls ?? [];
    this.itsmEvents = data.itsmEvents ?? [];
    return true;
  }
}

/** Member type prefixes are case-sensitive in IAM; emails are not. */
export function lowerMember(member: string): string {
  const i = member.indexOf(':');
  return i < 0 ? member : member.slice(0, i + 1) + member.slice(i + 1).toLowerCase();
}
