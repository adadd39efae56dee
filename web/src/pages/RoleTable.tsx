// The eligible roles of one project, each with how it is activated and whether it is active, or requested and
// waiting for its reviewers, now.
import type { Role, RolePolicy } from '../../../server/api/schemas';
import { Countdown } from '../components/Countdown';
import { RecordTable } from '../components/RecordTable';
import { RoleName } from '../components/RoleName';
import { Link } from '../router';

interface RoleTableProps {
  projectId: string;
  roles: Role[];
  selected: Set<string>;
  onToggle: (roleId: string) => void;
  /** Opens the break-glass dialog for a role whose rule allows it to the user. */
  onBreakGlass: (role: Role) => void;
}

/** Role ids are unique and free of spaces (`project:role[:condition in base64]`), so they make element ids. */
const checkboxId = (role: Role) => `select-${role.id}`;

export function RoleTable({ projectId, roles, selected, onToggle, onBreakGlass }: RoleTableProps) {
  return (
    <RecordTable
      caption={`Your eligible roles on ${projectId}`}
      className="roles"
      rows={roles}
      rowKey={(role) => role.id}
      rowAttributes={(role) => ({ className: selected.has(role.id) ? 'selected' : undefined })}
      columns={[
        {
          header: 'Select',
          controls: true,
          className: 'select-column',
          cell: (role) => <input id={checkboxId(role)} type="checkbox" checked={selected.has(role.id)} onChange={() => onToggle(role.id)} />,
        },
        {
          header: 'Role',
          cell: (role) => (
            <label htmlFor={checkboxId(role)}>
              <RoleName entry={role} withDescription />
            </label>
          ),
        },
        {
          header: 'Activation',
          cell: (role) => (
            <>
              {role.activationType === 'self' ? <span className="badge">Self-approval</span> : <span className="badge badge-peer">Peer approval</span>}
              {role.policy && <RolePolicyLine policy={role.policy} />}
              {role.policy && breakGlassOffered(role.policy) && (
                <button type="button" className="button button-small button-danger role-break-glass" onClick={() => onBreakGlass(role)}>
                  Break glass…
                </button>
              )}
            </>
          ),
        },
        { header: 'Status', cell: (role) => <RoleStatus role={role} /> },
      ]}
    />
  );
}

/** Active with the time left, requested and waiting for its reviewers, or available. */
function RoleStatus({ role }: { role: Role }) {
  if (role.status === 'active' && role.activeUntil) {
    return (
      <span className="status-active">
        Active · <Countdown until={role.activeUntil} />
      </span>
    );
  }
  if (role.pendingRequest) {
    return (
      <Link href={`/requests#${role.pendingRequest.id}`} className="status-pending">
        Pending · {role.pendingRequest.approvals.length} of {role.pendingRequest.requiredApprovals} approval{role.pendingRequest.requiredApprovals === 1 ? '' : 's'}
      </Link>
    );
  }
  return <span className="status-available">Available</span>;
}

/** What the access policy's rule demands of the role, in words, e.g. "prod-databases: 2 approvals from … · up to 4 h". */
function RolePolicyLine({ policy }: { policy: RolePolicy }) {
  const outside = policy.schedule && !policy.schedule.insideNow;
  return (
    <div className="muted role-policy">
      {policy.rule ? `${policy.rule}: ` : ''}
      {policy.summary}
      {outside && (policy.schedule!.outside === 'deny' ? ' · outside the schedule now: not available' : ' · outside the schedule now: needs approval')}
    </div>
  );
}

/** Break-glass is offered where the rule allows it to the user and the role needs approval now (and is not refused outright). */
function breakGlassOffered(policy: RolePolicy): boolean {
  const refusedNow = policy.schedule !== null && !policy.schedule.insideNow && policy.schedule.outside === 'deny';
  return policy.breakGlass?.available === true && policy.approval.kind !== 'self' && !refusedNow;
}
