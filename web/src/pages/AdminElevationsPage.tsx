// Active elevations: every activation grant in force across the scope, filterable by project, user and
// role; admins revoke one with a reason, auditors only read.
import { useState } from 'react';
import { api, queryOf, type AdminElevation, type RevokeGrantResponse } from '../api';
import { Freshness } from '../components/Freshness';
import { Loaded } from '../components/Loaded';
import { DoneNotice, Notice, NotificationFailures, Warnings } from '../components/Notice';
import { PageHeading } from '../components/PageHeading';
import { RecordTable } from '../components/RecordTable';
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

  function finish(result: RevokeGrantResponse) {
    setRevoking(null);
    setGone((previous) => new Set(previous).add(keyOf(result.revoked)));
    setRevoked((previous) => ({ result, count: (previous?.count ?? 0) + 1 }));
    list.reload();
  }

  return (
    <>
      <PageHeading title="Active elevations" />
      <p className="lead">Every temporary grant in force across the organization, ending soonest first.{canRevoke ? '' : ' You are an auditor: you can read but not revoke.'}</p>
      <FilterForm filters={FILTERS} values={filter} label="Filter elevations" onApply={(values) => navigate(`/admin${queryOf(values)}`)} />
      {revoked && (
        <DoneNotice news={revoked}>
          <Notice kind="success" title="Grant revoked">
            <p>
              {revoked.result.revoked.user} no longer holds {revoked.result.revoked.role} on {revoked.result.revoked.projectId} (revoked at {formatTime(revoked.result.revokedAt)}).
              {revoked.result.notificationFailures.length === 0 ? ' They were notified.' : ''}
            </p>
          </Notice>
          <NotificationFailures failures={revoked.result.notificationFailures} consequence="The grant is revoked all the same; tell the user yourself." />
        </DoneNotice>
      )}
      <Loaded resource={list} loading="Loading active elevations…" failed="The active elevations could not be loaded">
        {(data) => {
          const shown = data.elevations.filter((e) => !gone.has(keyOf(e)));
          return (
            <>
              <Freshness text={data.freshness} onReload={list.reload} />
              <Warnings title="The list may be incomplete" warnings={data.warnings} />
              <RecordTable
                caption={`Active elevations (${shown.length})`}
                className="admin-table"
                rows={shown}
                rowKey={keyOf}
                columns={[
                  { header: 'Project', className: 'nowrap', cell: (e) => e.projectId },
                  { header: 'User', cell: (e) => e.user },
                  { header: 'Role', cell: (e) => <RoleName entry={e} /> },
                  { header: 'From', className: 'nowrap', cell: (e) => formatTime(e.start) },
                  { header: 'Until', className: 'nowrap', cell: (e) => formatTime(e.end) },
                  { header: 'Approval', cell: (e) => approvalText(e.approval) },
                ]}
                actions={
                  canRevoke
                    ? (e) => (
                        <button type="button" className="button button-danger" onClick={() => setRevoking(e)}>
                          Revoke<span className="visually-hidden"> {e.role} of {e.user} on {e.projectId}</span>
                        </button>
                      )
                    : undefined
                }
                empty={<Notice kind="info" title={queryOf(filter) ? 'No elevation matches these filters' : 'Nobody holds an elevation right now'} />}
              />
            </>
          );
        }}
      </Loaded>
      {revoking && <RevokeDialog elevation={revoking} onClose={() => setRevoking(null)} onRevoked={finish} />}
    </>
  );
}

const keyOf = (e: AdminElevation) => `${e.user} ${e.id}`;

function approvalText(approval: AdminElevation['approval']): string {
  if (approval.type === 'self') return `Self-approved: ${approval.justification}`;
  if (approval.type === 'peer') return `Approved by ${approval.approver}: ${approval.justification}`;
  if (approval.type === 'break-glass') return `Break-glass: ${approval.justification}`;
  return approval.description ?? 'Unknown (written outside this service)';
}
