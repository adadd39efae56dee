// The user's grants in force on every project, with time left, and the two things one can do about
// them: end one now, or extend it.
import { useState } from 'react';
import type { MeResponse } from '../../../server/api/schemas';
import { api, type ActiveGrant } from '../api';
import { Countdown } from '../components/Countdown';
import { ErrorNotice, Loading, Notice } from '../components/Notice';
import { PageHeading } from '../components/PageHeading';
import { RoleName } from '../components/RoleName';
import { formatTime } from '../format';
import { rememberProject } from '../remembered-project';
import { Link } from '../router';
import { useResource } from '../use-resource';
import { EndGrantDialog } from './EndGrantDialog';
import { ExtendGrantDialog } from './ExtendGrantDialog';

type Action = { kind: 'end' | 'extend'; grant: ActiveGrant };

export function MyAccessPage({ settings }: { settings: MeResponse['settings'] }) {
  const grants = useResource(() => api.myGrants(), []);
  const [action, setAction] = useState<Action | null>(null);
  const [done, setDone] = useState<string | null>(null);

  function finish(message: string) {
    setAction(null);
    setDone(message);
    grants.reload();
  }

  return (
    <>
      <PageHeading title="My access" />
      <p className="lead">The roles you hold right now. Each ends by itself when its time is up.</p>
      {done && (
        <Notice kind="success">
          <p>{done}</p>
        </Notice>
      )}
      {grants.state === 'loading' && <Loading>Loading your access…</Loading>}
      {grants.state === 'failed' && <ErrorNotice title="Your access could not be loaded" error={grants.error} onRetry={grants.reload} />}
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
      {grants.state === 'ready' && grants.data.grants.length > 0 && <GrantTable grants={grants.data.grants} onAction={setAction} />}
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

function GrantTable({ grants, onAction }: { grants: ActiveGrant[]; onAction: (action: Action) => void }) {
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
              <RoleName role={grant.role} resourceCondition={grant.resourceCondition} />
              <span className="grant-approval">{approvalText(grant.approval)}</span>
            </td>
            <td data-label="Until" className="nowrap">
              {formatTime(grant.end)}
            </td>
            <td data-label="Time left" className="nowrap">
              <Countdown until={grant.end} />
            </td>
            <td className="row-actions">
              {grant.approval.type === 'peer' ? (
                // A peer-approved grant cannot be extended by its holder: a peer approves a new request.
                <Link href="/" className="button" onClick={() => rememberProject(grant.projectId)}>
                  Request again<span className="visually-hidden"> {grant.role} on {grant.projectId}</span>
                </Link>
              ) : (
                <button type="button" className="button" onClick={() => onAction({ kind: 'extend', grant })}>
                  Extend<span className="visually-hidden"> {grant.role} on {grant.projectId}</span>
                </button>
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

function approvalText(approval: ActiveGrant['approval']): string {
  if (approval.type === 'self') return `Self-approved: ${approval.justification}`;
  if (approval.type === 'peer') return `Approved by ${approval.approver}: ${approval.justification}`;
  return approval.description ?? '';
}
