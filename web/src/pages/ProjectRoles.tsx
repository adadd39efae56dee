// One project's roles: select, then activate them yourself or ask a peer.
import { useState } from 'react';
import type { MeResponse, Role } from '../../../server/api/schemas';
import { api, type ActivationResponse, type ApprovalRequestCreatedResponse, type BreakGlassResponse, type ScheduledActivationResponse } from '../api';
import { ErrorNotice, Loading, Notice } from '../components/Notice';
import { needsApproval } from '../role-rules';
import { useResource } from '../use-resource';
import { ActivateDialog } from './ActivateDialog';
import { BreakGlassDialog } from './BreakGlassDialog';
import { RequestApprovalDialog } from './RequestApprovalDialog';
import { RoleTable } from './RoleTable';

export type Outcome =
  | { kind: 'activated'; result: ActivationResponse }
  | { kind: 'scheduled'; result: ScheduledActivationResponse }
  | { kind: 'requested'; result: ApprovalRequestCreatedResponse }
  | { kind: 'break-glass'; result: BreakGlassResponse };

interface ProjectRolesProps {
  projectId: string;
  settings: MeResponse['settings'];
  onOutcome: (outcome: Outcome) => void;
}

export function ProjectRoles({ projectId, settings, onOutcome }: ProjectRolesProps) {
  const roles = useResource(() => api.roles(projectId), [projectId]);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [dialogOpen, setDialogOpen] = useState(false);
  const [breakingGlass, setBreakingGlass] = useState<Role | null>(null);

  if (roles.state === 'loading') return <Loading>Loading your roles on {projectId}…</Loading>;
  if (roles.state === 'failed') return <ErrorNotice context="load" title={`Your roles on ${projectId} could not be loaded`} error={roles.error} onRetry={roles.reload} />;

  const { warnings } = roles.data;
  const sorted = [...roles.data.roles].sort((a, b) => a.role.localeCompare(b.role) || (a.resourceCondition ?? '').localeCompare(b.resourceCondition ?? ''));
  const chosen = sorted.filter((r) => selected.has(r.id));
  const problem = selectionProblem(chosen, settings.maxRolesPerRequest);
  const needsPeer = chosen.some(needsApproval);

  function toggle(roleId: string) {
    setSelected((previous) => {
      const next = new Set(previous);
      if (next.has(roleId)) next.delete(roleId);
      else next.add(roleId);
      return next;
    });
  }

  function finish(outcome: Outcome) {
    setDialogOpen(false);
    onOutcome(outcome);
  }

  return (
    <section aria-label={`Roles on ${projectId}`}>
      {warnings.length > 0 && (
        <Notice kind="warning" title="The list may be incomplete">
          <ul>
            {warnings.map((w) => (
              <li key={w}>{w}</li>
            ))}
          </ul>
        </Notice>
      )}
      {sorted.length === 0 ? (
        <Notice kind="info" title={`No eligible roles on ${projectId}`}>
          <p>Choose another project, or ask your administrator to make you eligible here.</p>
        </Notice>
      ) : (
        <>
          <RoleTable projectId={projectId} roles={sorted} selected={selected} onToggle={toggle} onBreakGlass={setBreakingGlass} />
          <div className="actions">
            <button type="button" className="button button-primary" disabled={chosen.length === 0 || problem !== null} aria-describedby="selection-status" onClick={() => setDialogOpen(true)}>
              {needsPeer ? 'Request approval…' : chosen.length > 1 ? `Activate ${chosen.length} roles…` : 'Activate…'}
            </button>
            <p id="selection-status" className={problem ? 'field-problem' : 'muted'} aria-live="polite">
              {problem ?? (chosen.length === 0 ? 'Select the roles you need.' : `${chosen.length} selected.`)}
            </p>
          </div>
        </>
      )}
      {dialogOpen && !needsPeer && (
        <ActivateDialog projectId={projectId} roles={chosen} settings={settings} onClose={() => setDialogOpen(false)} onActivated={(result) => finish({ kind: 'activated', result })}
          onScheduled={(result) => finish({ kind: 'scheduled', result })}
        />
      )}
      {breakingGlass && (
        <BreakGlassDialog
          projectId={projectId}
          role={breakingGlass}
          reasonMaxLength={settings.justificationMaxLength}
          onClose={() => setBreakingGlass(null)}
          onActivated={(result) => {
            setBreakingGlass(null);
            onOutcome({ kind: 'break-glass', result });
          }}
        />
      )}
      {dialogOpen && needsPeer && (
        <RequestApprovalDialog projectId={projectId} role={chosen[0]} settings={settings} onClose={() => setDialogOpen(false)} onRequested={(result) => finish({ kind: 'requested', result })} />
      )}
    </section>
  );
}

/** Why the selection cannot be submitted as one request, in words; null when it can. */
function selectionProblem(chosen: Role[], maxRoles: number): string | null {
  if (chosen.length > 1 && chosen.some(needsApproval)) {
    return 'A role that needs approval must be requested on its own. Select only that role.';
  }
  if (chosen.length > maxRoles) return `You can activate at most ${maxRoles} roles at once. Deselect ${chosen.length - maxRoles}.`;
  return null;
}
