// Who is in which group, on every Workspace / Cloud Identity edition. Premium editions answer the
// transitive searches; the others only the direct ones, which are expanded breadth-first here, bounded
// and cycle-safe. Each group's direct memberships are cached for every user; a group the service may not
// read (another organization's, say) is skipped with a warning that names it, never a failure.
import type { GroupResolution } from '../config';
import { AppError } from '../errors';
import { GroupNotReadable, TransitiveSearchRefused, type CloudIdentity, type DirectMembers } from '../google/cloud-identity';
import { LookupCache } from './lookup-cache';
import { readOncePerRequest } from './request-reads';

export interface NestingBounds {
  /** Levels of nesting followed; the first level is the groups a user (or a binding) names directly. */
  maxDepth: number;
  /** Groups whose memberships are read in one expansion. */
  maxGroups: number;
}

export interface Expansion {
  /** Every group reached, including the roots, in breadth-first order. */
  groups: string[];
  /** Users found among the members of the groups read. */
  users: string[];
  /** Groups whose memberships could not be read. */
  unreadable: string[];
  /** True when a bound stopped the expansion before every group reached was read. */
  truncated: boolean;
}

/** Whether the groups reached so far answer the question an expansion was started for. */
export type Enough = (groups: ReadonlySet<string>) => boolean;

/**
 * Breadth-first expansion from `roots`: `next(group)` gives a group's direct neighbours (its parents
 * going up, its members going down) or throws GroupNotReadable. Each group is read once (cycles end
 * there), each level concurrently. With `enough`, no further level is read once it holds for the groups
 * reached (roots included).
 */
export async function expandNested(roots: readonly string[], next: (group: string) => Promise<DirectMembers>, bounds: NestingBounds, enough?: Enough): Promise<Expansion> {
  const reached = new Set(roots.map((g) => g.toLowerCase()));
  const users = new Set<string>();
  const unreadable: string[] = [];
  let frontier = [...reached];
  let read = 0;
  let depth = 1;
  let truncated = false;
  while (frontier.length > 0) {
    if (enough?.(reached)) break;
    if (depth > bounds.maxDepth || read >= bounds.maxGroups) {
      truncated = true;
      break;
    }
    const level = frontier.slice(0, bounds.maxGroups - read);
    if (level.length < frontier.length) truncated = true;
    read += level.length;
    const answers = await Promise.allSettled(level.map((g) => next(g)));
    const following: string[] = [];
    answers.forEach((answer, i) => {
      if (answer.status === 'rejected') {
        if (!(answer.reason instanceof GroupNotReadable)) throw answer.reason;
        unreadable.push(level[i]);
        return;
      }
      for (const u of answer.value.users) users.add(u.toLowerCase());
      for (const g of answer.value.groups.map((x) => x.toLowerCase())) {
        if (reached.has(g)) continue;
        reached.add(g);
        following.push(g);
      }
    });
    frontier = following;
    depth++;
  }
  return { groups: [...reached], users: [...users], unreadable, truncated };
}

export interface GroupSettings extends NestingBounds {
  resolution: GroupResolution;
  cacheSeconds: number;
}

export interface ResolvedMembers {
  /** Group emails (groupsOf) or user emails (usersOf), lower case, sorted. */
  emails: string[];
  warnings: string[];
}

/** What happened when a group was skipped, for the audit log. */
export type SkippedGroupListener = (group: string, reason: string) => void;

type MembersOrUnreadable = DirectMembers | { unreadable: string };

export class GroupMemberships {
  /** Whether the transitive searches are used; undefined until the first answer in `auto` mode. */
  private transitive: boolean | undefined;
  /** The direct groups of a member: a user's own groups, or a group's parents. */
  private readonly parents: LookupCache<string[]>;
  private readonly members: LookupCache<MembersOrUnreadable>;
  private readonly groupsOfUser: LookupCache<ResolvedMembers>;
  private readonly usersOfGroup: LookupCache<ResolvedMembers>;

  constructor(
    private readonly identity: CloudIdentity,
    private readonly settings: GroupSettings,
    private readonly onSkipped: SkippedGroupListener = () => {},
  ) {
    const ttl = settings.cacheSeconds * 1000;
    this.parents = new LookupCache(ttl);
    this.members = new LookupCache(ttl);
    this.groupsOfUser = new LookupCache(ttl);
    this.usersOfGroup = new LookupCache(ttl);
    this.transitive = settings.resolution === 'auto' ? undefined : settings.resolution === 'transitive';
  }

  /** The groups a user is in, through nesting. `fresh` reads Google now (for decisions that grant access). */
  groupsOf(userEmail: string, fresh = false): Promise<ResolvedMembers> {
    const user = userEmail.toLowerCase();
    const known = fresh ? this.groupsOfUser.lastLoaded(user)?.then((k) => k.emails) : undefined;
    const load = () => this.resolveGroupsOf(user, fresh, known);
    return fresh ? this.groupsOfUser.fresh(user, user, load) : this.groupsOfUser.get(user, user, load);
  }

  /**
   * The user's groups read now, as far as a decision needs them: every group reached is read fresh, as by
   * groupsOf(…, true), but no further level once `enough` holds for the groups found (it may settle after
   * the reads start: it can depend on a policy read beside them). The answer may lack groups beyond those,
   * so it is not kept as the user's groups. When `likelyEnough` (the same question asked of what was read
   * before) holds for the user's own groups as last read, only they are read at first; otherwise the parents
   * of the groups last resolved are read beside them, as by groupsOf, so that nesting costs no extra round
   * trip. Either way the answer is the same; the guess only decides how soon it comes and what it costs.
   */
  freshGroupsUntil(userEmail: string, enough: Promise<Enough>, likelyEnough?: Enough): Promise<ResolvedMembers> {
    const user = userEmail.toLowerCase();
    const lastGroups = this.groupsOfUser.lastLoaded(user);
    const lastDirect = this.parents.lastLoaded(user);
    const known =
      lastGroups &&
      (async () => {
        const direct = likelyEnough && lastDirect ? await lastDirect : undefined;
        return direct && likelyEnough!(new Set(direct.map((g) => g.toLowerCase()))) ? [] : (await lastGroups).emails;
      })();
    return this.resolveGroupsOf(user, true, known, enough);
  }

  /** The users in a group, through nesting; unreadable groups on the way are skipped with a warning. */
  usersOf(groupEmail: string, fresh = false): Promise<ResolvedMembers> {
    const group = groupEmail.toLowerCase();
    const load = () => this.resolveUsersOf(group, fresh);
    return fresh ? this.usersOfGroup.fresh('', group, load) : this.usersOfGroup.get('', group, load);
  }

  /**
   * `known`: the user's groups as last resolved. A fresh direct expansion reads their parents at once,
   * beside the user's own direct groups, instead of one nesting level after the other: every read still
   * starts now, so the answer is as fresh, and it takes one round trip instead of one per level while the
   * user's groups have not changed. Parents read for a group the user is no longer in are not used.
   */
  private async resolveGroupsOf(user: string, fresh: boolean, known?: Promise<readonly string[]>, until?: Promise<Enough>): Promise<ResolvedMembers> {
    // A premium edition answers in one call and never asks `until`, whose failure is its caller's to report.
    until?.catch(() => undefined);
    if (this.transitive !== false) {
      try {
        const read = () => this.identity.transitiveGroupsOf(user);
        const groups = await (fresh ? readOncePerRequest(`transitive-groups\n${user}`, read) : read());
        this.transitive = true;
        return { emails: sorted(groups), warnings: [] };
      } catch (e) {
        this.fallBackFrom(e);
      }
    }
    const early = new Map<string, Promise<string[]>>();
    const [direct, enough] = await Promise.all([
      this.readParents(user, fresh),
      until,
      known?.then(
        (groups) => {
          for (const group of groups.slice(0, this.settings.maxGroups)) {
            const read = this.readParents(group, fresh);
            read.catch(() => undefined);
            early.set(group, read);
          }
        },
        () => undefined,
      ),
    ]);
    const parentsOf = async (group: string) => ({ users: [], groups: await (early.get(group) ?? this.readParents(group, fresh)) });
    const expansion = await expandNested(direct, parentsOf, this.settings, enough);
    return { emails: sorted(expansion.groups), warnings: this.warningsOf(expansion) };
  }

  private async resolveUsersOf(group: string, fresh: boolean): Promise<ResolvedMembers> {
    if (this.transitive !== false) {
      try {
        const read = () => this.identity.transitiveUsersOf(group);
        const users = await (fresh ? readOncePerRequest(`transitive-users\n${group}`, read) : read());
        this.transitive = true;
        return { emails: sorted(users), warnings: [] };
      } catch (e) {
        if (e instanceof GroupNotReadable) return { emails: [], warnings: [this.skip(group, e.message)] };
        this.fallBackFrom(e);
      }
    }
    const expansion = await expandNested([group], (g) => this.readMembers(g, fresh), this.settings);
    return { emails: sorted(expansion.users), warnings: this.warningsOf(expansion) };
  }

  /**
   * A refused transitive search: the edition's refusal is remembered in `auto` mode (direct expansion
   * from then on) and is an error when the operator forced `transitive`; a refusal because of one group
   * in the graph only sends this lookup to direct expansion, which names that group.
   */
  private fallBackFrom(e: unknown): void {
    if (!(e instanceof TransitiveSearchRefused)) throw e;
    if (e.reason === 'graph') return;
    if (this.settings.resolution === 'transitive') {
      throw new AppError(
        502,
        'GROUP_RESOLUTION_UNAVAILABLE',
        `Cloud Identity refused the transitive group search, which only premium editions offer (${e.message}). Set GROUP_RESOLUTION=auto or direct.`,
      );
    }
    this.transitive = false;
  }

  /** A member's direct groups; read fresh once per request, so that the checks of a request share it. */
  private readParents(member: string, fresh: boolean): Promise<string[]> {
    const load = () => this.identity.directGroupsOf(member);
    return fresh ? readOncePerRequest(`direct-groups\n${member}`, () => this.parents.fresh('', member, load)) : this.parents.get('', member, load);
  }

  private async readMembers(group: string, fresh: boolean): Promise<DirectMembers> {
    const load = async (): Promise<MembersOrUnreadable> => {
      try {
        return await this.identity.directMembersOf(group);
      } catch (e) {
        if (e instanceof GroupNotReadable) return { unreadable: e.message };
        throw e;
      }
    };
    const answer = await (fresh ? readOncePerRequest(`members\n${group}`, () => this.members.fresh('', group, load)) : this.members.get('', group, load));
    if ('unreadable' in answer) throw new GroupNotReadable(group, answer.unreadable);
    return answer;
  }

  private warningsOf(expansion: Expansion): string[] {
    const warnings = expansion.unreadable.map((g) => this.skip(g, 'its memberships cannot be read'));
    if (expansion.truncated) {
      warnings.push(
        `Group nesting deeper than ${this.settings.maxDepth} levels or wider than ${this.settings.maxGroups} groups was not followed (GROUP_NESTING_MAX_DEPTH, GROUP_NESTING_MAX_GROUPS): access through those groups is not shown.`,
      );
    }
    return warnings;
  }

  private skip(group: string, reason: string): string {
    this.onSkipped(group, reason);
    return unreadableGroupWarning(group);
  }
}

export function unreadableGroupWarning(group: string): string {
  return `The members of group ${group} cannot be read by this service (a group of another organization, or the service account lacks the Groups Reader admin role), so access through it is not shown.`;
}

function sorted(emails: string[]): string[] {
  return [...new Set(emails.map((e) => e.toLowerCase()))].sort();
}
