// Cloud Identity Groups v1, read side: lookup, get, memberships.list, searchDirectGroups and the transitive
// searches. Google authorizes these with a Workspace admin role (Groups Reader), not IAM: the world's
// `groupsReaders` lists who holds it (every service account of the world when absent). The transitive
// searches exist only on premium editions (`organization.edition`), and no method reads the memberships of a
// group of another organization (`external: true`).
import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';
import type { EmulatorEnv } from '../env';
import { GoogleApiError, invalidArgument, notFound, queryInt, single, strictQuery, type Route } from '../http';
import { lowerMember, type Group } from '../state';
import { pageOf } from './paging';

const DISCUSSION_FORUM = 'cloudidentity.googleapis.com/groups.discussion_forum';

type RelationType = 'DIRECT' | 'INDIRECT' | 'DIRECT_AND_INDIRECT';

/** What a parsed membership query says: `member_key_id == '…' && '…' in labels && parent == '…'`. */
interface MembershipQuery {
  memberKeyId?: string;
  memberKeyNamespace?: string;
  labels: string[];
  parent?: string;
}

/** Stable opaque ids, shaped like Google's (`groups/0` + 14 base-36 characters), from the email. */
export function groupIdOf(email: string): string {
  const n = BigInt('0x' + createHash('sha256').update(`group:${email.toLowerCase()}`).digest('hex').slice(0, 18));
  return '0' + n.toString(36).padStart(14, '0').slice(-14);
}

/** A numeric, Gaia-like id for users and service accounts (21 digits). */
function userIdOf(email: string): string {
  const n = BigInt('0x' + createHash('sha256').update(`user:${email.toLowerCase()}`).digest('hex').slice(0, 16));
  return '1' + n.toString().padStart(20, '0').slice(-20);
}

export function cloudIdentityRoutes(env: EmulatorEnv): Route[] {
  const { state } = env;
  const created = state.now().toISOString();

  const customer = () => `customers/${state.organization.directoryCustomerId ?? 'C' + createHash('sha256').update(state.organization.id).digest('hex').slice(0, 8)}`;

  const groupById = (id: string) => [...state.groups.values()].find((g) => groupIdOf(g.email) === id);

  const isReader = (principal: string): boolean => {
    const readers = state.world.groupsReaders?.map(lowerMember) ?? state.serviceAccounts.map((s) => `serviceAccount:${s}`);
    const identities = state.identitiesOf(principal);
    return readers.some((r) => identities.has(r));
  };

  /** Google's denial: the message, and a ResourceInfo detail repeating it. */
  const denial = (message: string, resource: string) =>
    new GoogleApiError('PERMISSION_DENIED', message, [
      {
        '@type': 'type.googleapis.com/google.rpc.ResourceInfo',
        resourceType: 'cloudidentity.googleapis.com/Group',
        resourceName: resource,
        owner: 'domain:cloudidentity.googleapis.com',
        description: message,
      },
    ]);
  const denied = (resource: string) =>
    denial(
      `Error(2028): Permission denied for resource ${resource} (or it may not exist). The caller needs the Groups Reader admin role (emulator: list it in the world's groupsReaders).`,
      resource,
    );
  /** A group of another organization: nobody here may read its memberships. */
  const deniedExternal = (email: string) => {
    const resource = `groups/${groupIdOf(email)}`;
    return denial(`Error(2028): Permission denied for resource ${resource} (or it may not exist).`, resource);
  };

  /**
   * The transitive methods exist only on premium editions; the text is the reference's, under the error code
   * jit-access recognises (3005). Exactly what Google writes besides the code is not documented.
   */
  const requirePremium = () => {
    if (state.organization.edition === 'premium') return;
    throw denial(
      'Error(3005): This feature is only available to Google Workspace Enterprise Standard, Enterprise Plus, and Enterprise for Education; and Cloud Identity Premium accounts.',
      'groups/-',
    );
  };

  /** The group a `groups/{id}` path names, if the caller may read it; unknown groups deny like Google does. */
  const readableGroup = (principal: string, id: string) => {
    const group = groupById(id);
    if (!group || !isReader(principal)) throw denied(`groups/${id}`);
    if (group.external) throw deniedExternal(group.email);
    return group;
  };

  /** A transitive query fails as a whole when its graph reaches a group of another organization. */
  const refuseExternal = (groupEmails: Iterable<string>) => {
    const external = [...groupEmails].sort().find((email) => state.groups.get(email)?.external);
    if (external) throw deniedExternal(external);
  };

  /** The groups nested in a group, at any depth, the group itself included. */
  const nestedGroupsOf = (email: string): Set<string> => {
    const seen = new Set<string>();
    const visit = (e: string) => {
      if (seen.has(e)) return;
      seen.add(e);
      for (const m of state.groups.get(e)?.members ?? []) if (m.startsWith('group:')) visit(m.slice(6));
    };
    visit(email);
    return seen;
  };

  const groupResource = (g: { email: string; displayName?: string }) => ({
    name: `groups/${groupIdOf(g.email)}`,
    groupKey: { id: g.email.toLowerCase() },
    parent: customer(),
    ...(g.displayName ? { displayName: g.displayName } : {}),
    labels: { [DISCUSSION_FORUM]: '' },
    createTime: created,
    updateTime: created,
  });

  /** `user:a@x` → the Cloud Identity member resource name and type. */
  const memberInfo = (member: string) => {
    const [type, email] = [member.slice(0, member.indexOf(':')), member.slice(member.indexOf(':') + 1)];
    if (type === 'group') return { id: groupIdOf(email), resource: `groups/${groupIdOf(email)}`, type: 'GROUP', email };
    return { id: userIdOf(email), resource: `users/${userIdOf(email)}`, type: type === 'serviceAccount' ? 'SERVICE_ACCOUNT' : 'USER', email };
  };

  /** The member (`user:`, `serviceAccount:` or `group:`) a member_key_id names, or undefined when nobody has that email. */
  const memberOfKey = (email: string): string | undefined => {
    const e = email.toLowerCase();
    if (state.groups.has(e)) return `group:${e}`;
    if (state.serviceAccounts.includes(e)) return `serviceAccount:${e}`;
    if (state.users.has(e)) return `user:${e}`;
    return undefined;
  };

  /** How `member` belongs to the group: directly, through nested groups, both, or not at all. */
  const relation = (groupEmail: string, member: string): RelationType | undefined => {
    const direct = state.groups.get(groupEmail)?.members.includes(member) ?? false;
    const indirect = (state.groups.get(groupEmail)?.members ?? []).some((m) => m.startsWith('group:') && containsTransitively(m.slice(6), member, new Set()));
    if (direct && indirect) return 'DIRECT_AND_INDIRECT';
    if (direct) return 'DIRECT';
    return indirect ? 'INDIRECT' : undefined;
  };
  const containsTransitively = (groupEmail: string, member: string, seen: Set<string>): boolean => {
    if (seen.has(groupEmail)) return false;
    seen.add(groupEmail);
    const members = state.groups.get(groupEmail)?.members ?? [];
    return members.includes(member) || members.some((m) => m.startsWith('group:') && containsTransitively(m.slice(6), member, seen));
  };

  const pageSizeOf = (query: Map<string, string[]>, defaultSize: number, max: number) => {
    const size = queryInt(query, 'pageSize') ?? 0;
    if (size < 0) throw invalidArgument(`Invalid value at 'pageSize': ${size}; it must not be negative.`);
    if (size > max) throw invalidArgument(`Invalid value at 'pageSize': ${size}; it must not be greater than ${max}.`);
    return size === 0 ? defaultSize : size;
  };

  const lookup = (req: Request, res: Response) => {
    const query = strictQuery(req, ['groupKey.id', 'groupKey.namespace']);
    const id = single(query, 'groupKey.id');
    if (!id) throw invalidArgument('groupKey.id is required: the email address of the group to look up.');
    const namespace = single(query, 'groupKey.namespace');
    const group = namespace ? undefined : state.groups.get(id.toLowerCase());
    if (!isReader(res.locals.principal)) throw denied(group ? `groups/${groupIdOf(group.email)}` : `groupKey.id=${id}`);
    if (group?.external) throw deniedExternal(group.email);
    if (!group) throw notFound(`Group with groupKey.id '${id}'${namespace ? ` in namespace ${namespace}` : ''} not found.`);
    return { name: `groups/${groupIdOf(group.email)}` };
  };

  const getGroup = (req: Request, res: Response, match: RegExpMatchArray) => {
    strictQuery(req, []);
    return groupResource(readableGroup(res.locals.principal, match[1]));
  };

  const listMemberships = (req: Request, res: Response, match: RegExpMatchArray) => {
    const query = strictQuery(req, ['view', 'pageSize', 'pageToken']);
    const view = single(query, 'view') ?? 'BASIC';
    if (!['BASIC', 'FULL', 'VIEW_UNSPECIFIED'].includes(view)) throw invalidArgument(`Invalid value at 'view' (type.googleapis.com/google.apps.cloudidentity.groups.v1.View), "${view}"`);
    const full = view === 'FULL';
    const pageSize = pageSizeOf(query, full ? 50 : 200, full ? 500 : 1000);
    const group = readableGroup(res.locals.principal, match[1]);
    const memberships = group.members.map((m) => {
      const info = memberInfo(m);
      return {
        name: `groups/${groupIdOf(group.email)}/memberships/${info.id}`,
        preferredMemberKey: { id: info.email },
        roles: [{ name: 'MEMBER' }],
        type: info.type,
        ...(full ? { createTime: created, updateTime: created, deliverySetting: info.type === 'USER' ? 'ALL_MAIL' : 'NONE' } : {}),
      };
    });
    const page = pageOf(memberships, pageSize, single(query, 'pageToken'), `list|${match[1]}|${view}`);
    return { ...(page.items.length > 0 ? { memberships: page.items } : {}), ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}) };
  };

  const searchTransitiveGroups = (req: Request, res: Response, match: RegExpMatchArray) => {
    const query = strictQuery(req, ['query', 'pageSize', 'pageToken']);
    if (match[1] !== '-') throw invalidArgument(`parent must be groups/- for searchTransitiveGroups (got groups/${match[1]}): the search covers every group of the member.`);
    const text = single(query, 'query') ?? '';
    const parsed = parseMembershipQuery(text);
    if (!parsed.memberKeyId || parsed.labels.length === 0) {
      throw invalidArgument(
        `The query must contain a member specification and a label clause, e.g. member_key_id == 'alice@example.com' && '${DISCUSSION_FORUM}' in labels (got "${text}").`,
      );
    }
    const pageSize = pageSizeOf(query, 200, 1000);
    if (!isReader(res.locals.principal)) throw denied('groups/-');
    requirePremium();
    const member = parsed.memberKeyNamespace ? undefined : memberOfKey(parsed.memberKeyId);
    // Every world group is a discussion forum and nothing else, so any other label matches no group.
    const matches = member !== undefined && (parsed.parent === undefined || parsed.parent === customer()) && parsed.labels.every((l) => l === DISCUSSION_FORUM);
    const groups = matches ? [...state.transitiveGroupsOf(member)].sort() : [];
    refuseExternal(groups);
    const relations = groups
      .map((email) => state.groups.get(email)!)
      .map((g) => ({
        group: `groups/${groupIdOf(g.email)}`,
        groupKey: { id: g.email },
        ...(g.displayName ? { displayName: g.displayName } : {}),
        labels: { [DISCUSSION_FORUM]: '' },
        relationType: relation(g.email, member!)!,
        roles: [{ role: 'MEMBER' }],
      }));
    const page = pageOf(relations, pageSize, single(query, 'pageToken'), `groups|${text}`);
    return { ...(page.items.length > 0 ? { memberships: page.items } : {}), ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}) };
  };

  const checkTransitiveMembership = (req: Request, res: Response, match: RegExpMatchArray) => {
    const query = strictQuery(req, ['query']);
    const text = single(query, 'query') ?? '';
    const parsed = parseMembershipQuery(text);
    if (!parsed.memberKeyId) throw invalidArgument(`The query must contain a member specification, e.g. member_key_id == 'alice@example.com' (got "${text}").`);
    const group = readableGroup(res.locals.principal, match[1]);
    requirePremium();
    refuseExternal(nestedGroupsOf(group.email));
    const member = parsed.memberKeyNamespace ? undefined : memberOfKey(parsed.memberKeyId);
    // proto3 JSON omits false: a non-member gets an empty object, as from Google.
    return member && relation(group.email, member) ? { hasMembership: true } : {};
  };

  const searchTransitiveMemberships = (req: Request, res: Response, match: RegExpMatchArray) => {
    const query = strictQuery(req, ['pageSize', 'pageToken']);
    const pageSize = pageSizeOf(query, 200, 1000);
    const group = readableGroup(res.locals.principal, match[1]);
    requirePremium();
    refuseExternal(nestedGroupsOf(group.email));
    // Every direct or indirect member, nested groups included (a nested group is a membership too).
    const members = new Set<string>();
    const visit = (email: string, seen: Set<string>) => {
      if (seen.has(email)) return;
      seen.add(email);
      for (const m of state.groups.get(email)?.members ?? []) {
        members.add(m);
        if (m.startsWith('group:')) visit(m.slice(6), seen);
      }
    };
    visit(group.email, new Set());
    const relations = [...members].sort().map((m) => {
      const info = memberInfo(m);
      return { member: info.resource, preferredMemberKey: [{ id: info.email }], relationType: relation(group.email, m)!, roles: [{ role: 'MEMBER' }] };
    });
    const page = pageOf(relations, pageSize, single(query, 'pageToken'), `members|${match[1]}`);
    return { ...(page.items.length > 0 ? { memberships: page.items } : {}), ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}) };
  };

  /**
   * The groups a member belongs to directly. Every edition has it. Groups the caller may not read (all of
   * them without Groups Reader, and groups of other organizations) are silently left out, as the reference
   * says. The label clause the reference asks for is optional: jit-groups sends `member_key_id == '…'` alone.
   */
  const searchDirectGroups = (req: Request, res: Response, match: RegExpMatchArray) => {
    const query = strictQuery(req, ['query', 'orderBy', 'pageSize', 'pageToken']);
    if (match[1] !== '-') throw invalidArgument(`parent must be groups/- for searchDirectGroups (got groups/${match[1]}): the search covers every group of the member.`);
    const text = single(query, 'query') ?? '';
    const parsed = parseMembershipQuery(text);
    if (!parsed.memberKeyId) throw invalidArgument(`The query must contain a member specification, e.g. member_key_id == 'alice@example.com' (got "${text}").`);
    const orderBy = single(query, 'orderBy') ?? '';
    const order = /^\s*(group_name|group_key)?\s*(asc|desc)?\s*$/i.exec(orderBy);
    if (!order || (order[2] && !order[1])) throw invalidArgument(`orderBy "${orderBy}" is not supported; use group_name or group_key, optionally followed by asc or desc.`);
    const pageSize = pageSizeOf(query, 200, 1000);
    const member = parsed.memberKeyNamespace ? undefined : memberOfKey(parsed.memberKeyId);
    const matches = member !== undefined && isReader(res.locals.principal) && (parsed.parent === undefined || parsed.parent === customer()) && parsed.labels.every((l) => l === DISCUSSION_FORUM);
    const key = order[1]?.toLowerCase() === 'group_name' ? (g: Group) => (g.displayName ?? g.email).toLowerCase() : (g: Group) => g.email.toLowerCase();
    const groups = matches ? [...state.groups.values()].filter((g) => !g.external && g.members.includes(member)) : [];
    groups.sort((a, b) => key(a).localeCompare(key(b)) * (order[2]?.toLowerCase() === 'desc' ? -1 : 1));
    const relations = groups.map((g) => ({
      group: `groups/${groupIdOf(g.email)}`,
      groupKey: { id: g.email },
      ...(g.displayName ? { displayName: g.displayName } : {}),
      labels: { [DISCUSSION_FORUM]: '' },
      membership: `groups/${groupIdOf(g.email)}/memberships/${memberInfo(member!).id}`,
      roles: [{ name: 'MEMBER' }],
    }));
    const page = pageOf(relations, pageSize, single(query, 'pageToken'), `direct|${text}|${orderBy}`);
    return { ...(page.items.length > 0 ? { memberships: page.items } : {}), ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}) };
  };

  const route = (path: RegExp, name: string, handler: Route['handler']): Route => ({ method: 'GET', pattern: path, api: 'cloudidentity', name: `cloudidentity.${name}`, handler });
  return [
    route(/^\/v1\/groups:lookup$/, 'groups.lookup', lookup),
    route(/^\/v1\/groups\/([^/:]+)\/memberships:searchDirectGroups$/, 'groups.memberships.searchDirectGroups', searchDirectGroups),
    route(/^\/v1\/groups\/([^/:]+)\/memberships:searchTransitiveGroups$/, 'groups.memberships.searchTransitiveGroups', searchTransitiveGroups),
    route(/^\/v1\/groups\/([^/:]+)\/memberships:checkTransitiveMembership$/, 'groups.memberships.checkTransitiveMembership', checkTransitiveMembership),
    route(/^\/v1\/groups\/([^/:]+)\/memberships:searchTransitiveMemberships$/, 'groups.memberships.searchTransitiveMemberships', searchTransitiveMemberships),
    route(/^\/v1\/groups\/([^/:]+)\/memberships$/, 'groups.memberships.list', listMemberships),
    route(/^\/v1\/groups\/([^/:]+)$/, 'groups.get', getGroup),
  ];
}

/**
 * Parses the CEL subset Cloud Identity accepts in membership queries: clauses joined by `&&`, each
 * `member_key_id == '…'`, `member_key_namespace == '…'`, `parent == '…'` or `'label' in labels`.
 */
function parseMembershipQuery(text: string): MembershipQuery {
  const result: MembershipQuery = { labels: [] };
  if (text.trim() === '') return result;
  const literal = `(?:'((?:[^'\\\\]|\\\\.)*)'|"((?:[^"\\\\]|\\\\.)*)")`;
  const equality = new RegExp(`^(member_key_id|member_key_namespace|parent)\\s*==\\s*${literal}$`);
  const inLabels = new RegExp(`^${literal}\\s+in\\s+labels$`);
  for (const raw of text.split('&&')) {
    const clause = raw.trim();
    const eq = equality.exec(clause);
    const label = inLabels.exec(clause);
    if (eq) {
      const value = eq[2] ?? eq[3];
      if (eq[1] === 'member_key_id') result.memberKeyId = value;
      else if (eq[1] === 'member_key_namespace') result.memberKeyNamespace = value;
      else result.parent = value;
    } else if (label) {
      result.labels.push(label[1] ?? label[2]);
    } else {
      throw invalidArgument(
        `Invalid query clause "${clause}": supported are member_key_id == '…', member_key_namespace == '…', parent == 'customers/…' and '<label>' in labels, joined with &&.`,
      );
    }
  }
  return result;
}
