// Active elevations: every activation grant in force across the scope, filterable by project, user and
// role; admins revoke one with a reason, auditors only read.
import { useEffect, useRef, useState } from 'react';
import { api, queryOf, type AdminElevation, type RevokeGrantResponse } from '../api';
import { Freshness } from '../components/Freshness';
import { ErrorNotice, Loading, Notice, NotificationFailures } from '../components/Notice';
import { PageHeading } from '../components/PageHeading';
import { RoleName } from '../components/RoleName';
import { formatTime } from '../format';
import { navigate } from '../router';
import { useResource } from '../use-resource';
import { FilterForm } from './FilterForm';
import { RevokeDialog } from './RevokeDialog';

const FILTERS = [
  { name: 'projectId', label: 'Project' },
  { name: 'user', label: 'User' },
  { name: 'role', label: 'Role contains' },
];

export function AdminElevationsPage({ query, canRevoke }: { query: URLSearchParams; canRevoke: boolean }) {
  const filter = { projectId: query.get('projectId') ?? undefined, user: query.get('user') ?? undefined, role: query.get('role') ?? undefined };
  const list = useResource(() => api.adminElevations(filter), [queryOf(filter)]);
  const [revoking, setRevoking] = useState<AdminElevation | null>(null);
  const [revoked, setRevoked] = useState<{ result: RevokeGrantResponse; count: number } | null>(null);
  // Asset Inventory may list a revoked grant for a few minutes more: this page knows better.
  const [gone, setGone] = useState<Set<string>>(() => new Set());
  const doneNotice = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (revoked) doneNotice.current?.focus();
  }, [revoked]);

  function finish(result: RevokeGrantResponse) {
    setRevoking(null);
    setGone((previous) => new Set(previous).add(keyOf(result.revoked)));
    setRevoked((previous) => ({ result, count: (previous?.count ?? 0) + 1 }));
    list.reload();
  }

  const shown = list.state === 'ready' ? list.data.elevations.filter((e) => !gone.has(keyOf(e))) : [];
  return (
    <>
      <PageHeading title="Active elevations" />
      <p className="lead">Every temporary grant in force across the organization, ending soonest first.{canRevoke ? '' : ' You are an auditor: you can read but not revoke.'}</p>
      <FilterForm filters={FILTERS} values={filter} label="Filter elevations" onApply={(values) => navigate(`/admin${queryOf(values)}`)} />
      {revoked && (
        <div ref={doneNotice} tabIndex={-1} className="focus-target">
          <Notice kind="success" title="Grant revoked">
            <p>
              {revoked.result.revoked.user} no longer holds {revoked.result.revoked.role} on {revoked.result.revoked.projectId} (revoked at {formatTime(revoked.result.revokedAt)}).
              {revoked.result.notificationFailures.length === 0 ? ' They were notified.' : ''}
            </p>
          </Notice>
          <NotificationFailures failures={revoked.result.notificationFailures} consequence="The grant is revoked all the same; tell the user yourself." />
        </div>
      )}
      {list.state === 'loading' && <Loading>Loading active elevations…</Loading>}
      {list.state === 'failed' && <ErrorNotice context="load" title="The active elevations could not be loaded" error={list.error} onRetry={list.reload} />}
      {list.state === 'ready' && (
        <>
          <Freshness text={list.data.freshness} onReload={list.reload} />
          {list.data.warnings.length > 0 && (
            <Notice kind="warning" title="The list may be incomplete">
              <ul>
                {list.data.warnings.map((w) => (
                  <li key={w}>{w}</li>
                ))}
              </ul>
            </Notice>
          )}
          {shown.length === 0 ? (
            <Notice kind="info" title={queryOf(filter) ? 'No elevation matches these filters' : 'Nobody holds an elevation right now'} />
          ) : (
            <ElevationTable elevations={shown} canRevoke={canRevoke} onRevoke={setRevoking} />
          )}
        </>
      )}
      {revoking && <RevokeDialog elevation={revoking} onClose={() => setRevoking(null)} onRevoked={finish} />}
    </>
  );
}

const keyOf = (e: AdminElevation) => `${e.user} ${e.id}`;

function ElevationTable({ elevations, canRevoke, onRevoke }: { elevations: AdminElevation[]; canRevoke: boolean; onRevoke: (e: AdminElevation) => void }) {
  return (
    <table className="table admin-table">
      <caption>Active elevations ({elevations.length})</caption>
      <thead>
        <tr>
          <th scope="col">Project</th>
          <th scope="col">User</th>
          <th scope="col">Role</th>
          <th scope="col">From</th>
          <th scope="col">Until</th>
          <th scope="col">Approval</th>
          {canRevoke && (
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          )}
        </tr>
      </thead>
      <tbody>
        {elevations.map((e) => (
          <tr key={keyOf(e)}>
            <td data-label="Project" className="nowrap">
              {e.projectId}
            </td>
            <td data-label="User">{e.user}</td>
            <td data-label="Role">
              <RoleName entry={e} />
            </td>
            <td data-label="From" className="nowrap">
              {formatTime(e.start)}
            </td>
            <td data-label="Until" className="nowrap">
              {formatTime(e.end)}
            </td>
            <td data-label="Approval">{approvalText(e.approval)}</td>
            {canRevoke && (
              <td className="row-actions">
                <button type="button" className="button button-danger" onClick={() => onRevoke(e)}>
                  Revoke<span className="visually-hidden"> {e.role} of {e.user} on {e.projectId}</span>
                </button>
              </td>
            )}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function approvalText(approval: AdminElevation['approval']): string {
  if (approval.type === 'self') return `Self-approved: ${approval.justification}`;
  if (approval.type === 'peer') return `Approved by ${approval.approver}: ${approval.justification}`;
  if (approval.type === 'break-glass') return `Break-glass: ${approval.justification}`;
  return approval.description ?? 'Unknown (written outside this service)';
}
