// Active elevations across RESOURCE_SCOPE for the Admin area, and their revocation by an admin.
// The list comes from one paged Asset search shared by every admin for a short while; a revocation reads
// the project's policy fresh and removes the grant in an etag-guarded read-modify-write.
import { byEnd, elevationsOf, matchesFilter, type Elevation, type ElevationFilter } from '../domain/admin-elevation';
import { findActiveGrant, grantStateOf, parseGrantId } from '../domain/grant';
import { removeActivation } from '../domain/policy-edit';
import { describeEntitlement } from '../domain/entitlement';
import { PROJECT_ASSET_TYPE, PROJECT_RESOURCE_PREFIX, type CloudAsset } from '../google/cloud-asset';
import type { ResourceManager } from '../google/resource-manager';
import { AppError, conflict, invalidInput, notFound } from '../errors';
import { InvalidInputError } from '../domain/invalid-input-error';
import { LookupCache } from './lookup-cache';
import type { PolicyWriter } from './policy-writer';
import type { AuditLog, AuditUser } from './audit';
import type { NotificationService } from './notification';
import type { TicketEvents } from './ticket-events';

/**
 * Condition titles are not known to be searchable (the emulator does not index them by default), so the
 * search asks for the words every activation's expression has, and activation bindings are told apart here.
 */
export const ACTIVATION_SEARCH = 'policy:"request.time"';

/** How long one search answers every admin: a few calls a minute at most, far inside the 400/min quota. */
export const ELEVATIONS_CACHE_SECONDS = 30;

export interface ElevationList {
  elevations: Elevation[];
  /** When Asset Inventory was searched; Asset Inventory itself lags IAM by minutes. */
  searchedAt: Date;
  warnings: string[];
}

export interface Revocation {
  revoked: Elevation;
  revokedAt: Date;
  notificationFailures: string[];
}

export class AdminElevations {
  private readonly cache = new LookupCache<{ elevations: Elevation[]; searchedAt: Date; warnings: string[] }>(ELEVATIONS_CACHE_SECONDS * 1000);

  constructor(
    private readonly asset: CloudAsset,
    private readonly resourceManager: ResourceManager,
    private readonly writer: PolicyWriter,
    private readonly audit: AuditLog,
    private readonly notifications: NotificationService,
    private readonly now: () => Date = () => new Date(),
    /** Ticket write-back, under an access policy: told of a revocation once the grant is removed. */
    private readonly ticketEvents?: TicketEvents,
  ) {}

  /** Elevations in force, as Asset Inventory last saw them, filtered; still in force at the time of the answer. */
  async list(filter: ElevationFilter): Promise<ElevationList> {
    const all = await this.cache.get('admin', 'elevations', () => this.search());
    const now = this.now().getTime();
    const elevations = all.elevations.filter((e) => e.end.getTime() > now && matchesFilter(e, filter));
    return { elevations, searchedAt: all.searchedAt, warnings: all.warnings };
  }

  private async search(): Promise<{ elevations: Elevation[]; searchedAt: Date; warnings: string[] }> {
    const searchedAt = this.now();
    const elevations: Elevation[] = [];
    const warnings: string[] = [];
    try {
      for await (const page of this.asset.iamPolicyPages(ACTIVATION_SEARCH, [PROJECT_ASSET_TYPE])) {
        for (const hit of page) {
          const projectId = projectIdOf(hit.resource);
          if (projectId) elevations.push(...elevationsOf(projectId, hit.bindings, searchedAt));
        }
      }
    } catch (e) {
      warnings.push(`Asset Inventory could not be searched to the end (${(e as Error).message}): only elevations found before the failure are listed. Reload in a minute.`);
    }
    return { elevations: elevations.sort(byEnd), searchedAt, warnings };
  }

  /**
   * Removes one user's grant now, and only theirs: a binding shared with others keeps them. The grant is
   * checked inside the write, so that racing the user's own end or extension gives one outcome: whichever
   * is written first wins and the other is refused with 409.
   */
  async revoke(admin: AuditUser, target: { user: string; grantId: string }, reason: string, publicUrl: string): Promise<Revocation> {
    try {
      return await this.revokeNow(admin, target, reason, publicUrl);
    } catch (e) {
      const error = e instanceof InvalidInputError ? invalidInput(e.message) : e;
      this.audit.record({
        event: 'grant.revoke.failed',
        severity: 'WARNING',
        outcome: error instanceof AppError && error.httpStatus < 500 ? 'denied' : 'failure',
        message: `Admin ${admin.email} failed to revoke grant ${target.grantId} of ${target.user}: ${(error as Error).message}`,
        user: admin,
        beneficiary: target.user.toLowerCase(),
        reason,
        error: { code: error instanceof AppError ? error.code : 'INTERNAL', message: (error as Error).message },
      });
      throw error;
    }
  }

  private async revokeNow(admin: AuditUser, target: { user: string; grantId: string }, reason: string, publicUrl: string): Promise<Revocation> {
    const user = target.user.toLowerCase();
    const key = parseGrantId(target.grantId);
    const name = describeEntitlement(key);
    const replaced = () => conflict(`${user} extended or re-activated '${name}', so nothing was revoked. Reload the list of elevations and revoke the grant in force now.`);
    const policy = await this.resourceManager.getProjectPolicy(key.projectId);
    const grant = findActiveGrant(policy.bindings ?? [], user, key, this.now());
    if (!grant) {
      if (grantStateOf(policy.bindings ?? [], user, key, this.now()) === 'replaced') throw replaced();
      throw notFound(`${user} holds no grant of '${name}' with this id in force now: it expired, was ended or revoked. Reload the list of elevations.`);
    }
    const description = `Revoked by ${admin.email}: ${reason}`;
    await this.writer.apply(
      key.projectId,
      (current) => {
        const state = grantStateOf(current.bindings ?? [], user, key, this.now());
        if (state === 'replaced') throw replaced();
        if (state === 'gone') throw conflict(`${user}'s grant of '${name}' ended (or was revoked) while you revoked it: there is nothing left to revoke.`);
        return removeActivation(current, { user, role: key.role, resourceCondition: key.resourceCondition }).policy;
      },
      description,
    );
    this.cache.invalidate('admin');
    const revokedAt = this.now();
    const revoked: Elevation = { ...grant, user, breakGlass: grant.approval.type === 'break-glass' };
    this.audit.record({
      event: 'grant.revoked',
      severity: 'NOTICE',
      outcome: 'success',
      message: `Admin ${admin.email} revoked the grant of '${name}' held by ${user} (it would have lasted until ${grant.end.toISOString()}): ${reason}`,
      user: admin,
      beneficiary: user,
      project: key.projectId,
      roles: [{ role: key.role, resourceCondition: key.resourceCondition }],
      start: grant.start.toISOString(),
      end: grant.end.toISOString(),
      revokedAt: revokedAt.toISOString(),
      reason,
      approval: grant.approval,
    });
    const [notificationFailures] = await Promise.all([
      this.notifications.sendRevoked(
        { user, admin: admin.email, projectId: key.projectId, role: key.role, resourceCondition: key.resourceCondition, end: grant.end, reason, revokedAt, publicUrl },
        admin,
      ),
      this.ticketEvents?.ended(grant, user, admin.email, reason),
    ]);
    return { revoked, revokedAt, notificationFailures };
  }
}

function projectIdOf(resource: string): string | undefined {
  if (!resource.startsWith(PROJECT_RESOURCE_PREFIX)) return undefined;
  const projectId = resource.slice(PROJECT_RESOURCE_PREFIX.length);
  return projectId && !projectId.includes('/') ? projectId : undefined;
}
