// The standing-privilege report: every IAM policy on the projects, folders and organization in scope,
// read through Asset search, with the users of the groups they name, computed for all admins at once and
// kept for a while (it changes slowly, and reading it costs calls that grow with the organization).
import { groupsNamedIn, standingReport, type ScopedPolicy, type StandingReport } from '../domain/standing-privilege';
import type { CloudAsset } from '../google/cloud-asset';
import { forEachLimited } from './bounded-concurrency';
import { LookupCache } from './lookup-cache';

export const STANDING_REPORT_CACHE_SECONDS = 600;

const RESOURCE_PREFIX = '//cloudresourcemanager.googleapis.com/';
const CONTAINER_TYPES = ['cloudresourcemanager.googleapis.com/Project', 'cloudresourcemanager.googleapis.com/Folder', 'cloudresourcemanager.googleapis.com/Organization'];

/** Groups expanded at once: Cloud Identity calls overlap without bursting. */
const PARALLEL_GROUPS = 4;

export interface StandingPrivileges extends StandingReport {
  computedAt: Date;
  /** Groups whose members could not be read, so whose members are missing from the report. */
  warnings: string[];
}

export class StandingPrivilegeReport {
  private readonly cache = new LookupCache<StandingPrivileges>(STANDING_REPORT_CACHE_SECONDS * 1000);

  constructor(
    private readonly asset: CloudAsset,
    private readonly usersOfGroup: (group: string) => Promise<string[]>,
    private readonly now: () => Date = () => new Date(),
  ) {}

  report(): Promise<StandingPrivileges> {
    return this.cache.get('admin', 'standing', () => this.compute());
  }

  private async compute(): Promise<StandingPrivileges> {
    const computedAt = this.now();
    const policies: ScopedPolicy[] = [];
    for await (const page of this.asset.iamPolicyPages('', CONTAINER_TYPES)) {
      for (const hit of page) {
        if (!hit.resource.startsWith(RESOURCE_PREFIX)) continue;
        policies.push({ resource: hit.resource.slice(RESOURCE_PREFIX.length), ancestors: [...hit.folders, ...(hit.organization ? [hit.organization] : [])], bindings: hit.bindings });
      }
    }
    const members = new Map<string, string[]>();
    const warnings: string[] = [];
    await forEachLimited(groupsNamedIn(policies), PARALLEL_GROUPS, async (group) => {
      try {
        members.set(group, await this.usersOfGroup(group));
      } catch (e) {
        warnings.push(`The members of group ${group} could not be read (${(e as Error).message}): standing access through it is not shown.`);
      }
    });
    return { ...standingReport(policies, (g) => members.get(g)), computedAt, warnings: warnings.sort() };
  }
}
