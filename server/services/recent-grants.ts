// The activation bindings this process has written, remembered until they end. "My access" finds a
// user's grants through Asset Inventory, which lags IAM by minutes: what this process wrote during those
// minutes would be missing from the search, so it is looked up here too.
import { parseActivationBinding } from '../domain/activation-binding';
import type { Policy } from '../domain/iam-policy';
import { parseScheduledBinding } from '../domain/scheduled-activation';

/** Enough for every grant in force of a large organization; beyond it the oldest projects are forgotten. */
const MAX_PROJECTS = 20_000;

export class RecentGrants {
  /** Per project, the users holding an activation in it and when their last one ends (ms since epoch). */
  private readonly byProject = new Map<string, Map<string, number>>();

  constructor(
    private readonly now: () => Date = () => new Date(),
    private readonly maxProjects = MAX_PROJECTS,
  ) {}

  /**
   * Remembers the activations in force in a policy this process just wrote. The whole policy is read, not
   * only what the write added: grants another instance wrote and this write kept are remembered too.
   */
  remember(projectId: string, policy: Policy): void {
    const now = this.now().getTime();
    const holders = new Map<string, number>();
    for (const binding of policy.bindings ?? []) {
      // A grant scheduled to start later is listed with the grants, so it is remembered like one.
      const scheduled = parseScheduledBinding(binding);
      const activation = parseActivationBinding(binding) ?? (scheduled ? { end: scheduled.end, members: [`user:${scheduled.user}`] } : null);
      if (!activation || activation.end.getTime() <= now) continue;
      for (const member of activation.members) {
        const kind = /^(user|serviceAccount):/i.exec(member);
        if (!kind) continue;
        const user = member.slice(kind[0].length).toLowerCase();
        holders.set(user, Math.max(holders.get(user) ?? 0, activation.end.getTime()));
      }
    }
    // Re-inserted, so that the map's order is the order of the last writes and the oldest go first.
    this.byProject.delete(projectId);
    if (holders.size > 0) this.byProject.set(projectId, holders);
    while (this.byProject.size > this.maxProjects) this.byProject.delete(this.byProject.keys().next().value!);
  }

  /** Projects where this process wrote a grant of the user that has not ended yet. */
  projectsOf(userEmail: string): string[] {
    const now = this.now().getTime();
    const user = userEmail.toLowerCase();
    const projects: string[] = [];
    for (const [projectId, holders] of this.byProject) {
      const end = holders.get(user);
      if (end === undefined) continue;
      if (end > now) projects.push(projectId);
      else holders.delete(user);
    }
    return projects;
  }
}
