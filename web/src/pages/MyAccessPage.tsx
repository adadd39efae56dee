// The user's grants in force on every project, with time left, and the two things one can do about
// them: end one now, or extend it.
import { useEffect, useRef, useState } from 'react';
import type { MeResponse } from '../../../server/api/schemas';
import { api, type ActiveGrant } from '../api';
import { Countdown } from '../components/Countdown';
import { ErrorNotice, Loading, Notice } from '../components/Notice';
import { PageHeading } from '../components/PageHeading';
import { RoleName } from '../components/RoleName';
import { formatTime } from '../format';
import { Link, projectHref } from '../router';
import { useNow } from '../use-now';
import { useResource } from '../use-resource';
import { EndGrantDialog } from './EndGrantDialog';
import { ExtendGrantDialog } from './ExtendGrantDialog';

type Action = { kind: 'end' | 'extend'; grant: ActiveGrant };

export function MyAccessPage({ settings }: { settings: MeResponse['settings'] }) {
  const grants = useResource(() => api.myGrants(), []);
  const [action, setAction] = useState<Action | null>(null);
  // Numbered, so that the same message twice is still news to focus.
  const [done, setDone] = useState<{ message: string; count: number } | null>(null);
  const doneNotice = useRef<HTMLDivElement>(null);

  // The dialog and often the row it was opened from are gone: focus goes to what happened, not to <body>.
  useEffect(() => {
    if (done) doneNotice.current?.focus();
  }, [done]);

  function finish(message: string) {
    setAction(null);
    setDone((previous) => ({ message, count: (previous?.count ?? 0) + 1 }));
    grants.reload();
  }

  return (
    <>
      <PageHeading title="My access" />
      <p className="lead">The roles you hold right now. Each ends by itself when its time is up.</p>
      {done && (
        <div ref={doneNotice} tabIndex={-1} className="focus-target">
          <Notice kind="success">
            <p>{done.message}</p>
          </Notice>
        </div>
      )}
      {grants.state === 'loading' && <Loading>Loading your access…</Loading>}
      {grants.state === 'failed' && <ErrorNotice context="load" title="Your access could not be loaded" error={grants.error} onRetry={grants.reload} />}
      {grants.state === 'ready' && grants.data.warnings.length > 0 && (
        <Notice kind="warning" title="The list may be incomplete">
          <ul>
            {grants.data.warnings.map((w) => (
              <li key={w}>{w}</li>
            ))}
          </ul>
        </Notice>
      )}
      {grants.state === 'ready' && grants.data.grants.length === 0 && (
        <Notice kind="info" title="You hold no temporary access right now">
          <p>
            <Link href="/">Request access</Link> when you need it.
          </p>
        </Notice>
      )}
      {grants.state === 'ready' && grants.data.grants.length > 0 && <GrantTable grants={grants.data.grants} maxDurationMinutes={settings.maxDurationMinutes} onAction={setAction} />}
      {action?.kind === 'end' && (
        <EndGrantDialog grant={action.grant} onClose={() => setAction(null)} onEnded={() => finish(`Your access to ${action.grant.role} on ${action.grant.projectId} was removed. IAM may take a few minutes to stop honouring it everywhere.`)} />
      )}
      {action?.kind === 'extend' && (
        <ExtendGrantDialog
          grant={action.grant}
          settings={settings}
          onClose={() => setAction(null)}
          onExtended={(end) => finish(`Your access to ${action.grant.role} on ${action.grant.projectId} now lasts until ${formatTime(end)}.`)}
        />
      )}
    </>
  );
}

interface GrantTableProps {
  grants: ActiveGrant[];
  maxDurationMinutes: number;
  onAction: (action: Action) => void;
}

function GrantTable({ grants, maxDurationMinutes, onAction }: GrantTableProps) {
  const now = useNow();
  return (
    <table className="table">
      <caption>Active grants</caption>
      <thead>
        <tr>
          <th scope="col">Project</th>
          <th scope="col">Role</th>
          <th scope="col">Until</th>
          <th scope="col">Time left</th>
          <th scope="col">
            <span className="visually-hidden">Actions</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {grants.map((grant) => (
          <tr key={grant.id}>
            <td data-label="Project" className="nowrap">
              {grant.projectId}
            </td>
            <td data-label="Role">
              <RoleName entry={grant} />
              <span className="grant-approval">{approvalText(grant.approval)}</span>
            </td>
            <td data-label="Until" className="nowrap">
              {formatTime(grant.end)}
            </td>
            <td data-label="Time left" className="nowrap">
              <Countdown until={grant.end} />
            </td>
            <td className="row-actions">
              {grant.approval.type === 'peer' || grant.approval.type === 'break-glass' ? (
                // A peer-approved or break-glass grant cannot be extended by its holder: it takes a new request.
                <Link href={projectHref(grant.projectId)} className="button">
                  Request again<span className="visually-hidden"> {grant.role} on {grant.projectId}</span>
                </Link>
              ) : canExtend(grant, now, maxDurationMinutes) ? (
                <button type="button" className="button" onClick={() => onAction({ kind: 'extend', grant })}>
                  Extend<span className="visually-hidden"> {grant.role} on {grant.projectId}</span>
                </button>
              ) : (
                <span className="muted extend-later">Can be extended after {formatTime(new Date(extendableFrom(grant, maxDurationMinutes)).toISOString())}</span>
              )}
              <button type="button" className="button button-danger" onClick={() => onAction({ kind: 'end', grant })}>
                End now<span className="visually-hidden"> {grant.role} on {grant.projectId}</span>
              </button>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/**
 * An extension lasts at most the maximum duration from now, and must end more than a minute later than the
 * grant does now (the extend dialog offers only such durations): before that instant, nothing longer is possible.
 */
function extendableFrom(grant: ActiveGrant, maxDurationMinutes: number): number {
  return Date.parse(grant.end) + 60_000 - maxDurationMinutes * 60_000;
}

function canExtend(grant: ActiveGrant, now: number, maxDurationMinutes: number): boolean {
  return now > extendableFrom(grant, maxDurationMinutes);
}

function approvalText(approval: ActiveGrant['approval']): string {
  if (approval.type === 'self') return `Self-approved: ${approval.justification}`;
  if (approval.type === 'peer') return `Approved by ${approval.approver}: ${approval.justification}`;
  if (approval.type === 'break-glass') return `Break-glass: ${approval.justification}`;
  return approval.description ?? '';
}
