// The user's grants in force on every project, with time left, and the things one can do about them: end one
// now, extend it (a self-approved one), or ask its approvers to extend it (one that needs approval).
import { useEffect, useRef, useState } from 'react';
import type { MeResponse } from '../../../server/api/schemas';
import { api, type ActiveGrant, type LoggedRequestView, type ScheduledActivationResponse, type ScheduledGrant } from '../api';
import { Countdown } from '../components/Countdown';
import { ErrorNotice, Loading, Notice } from '../components/Notice';
import { PageHeading } from '../components/PageHeading';
import { RoleName } from '../components/RoleName';
import { formatDuration, formatTime } from '../format';
import { Link, pageState, projectHref } from '../router';
import { useNow } from '../use-now';
import { useResource } from '../use-resource';
import { EndGrantDialog } from './EndGrantDialog';
import { ExtendGrantDialog } from './ExtendGrantDialog';
import { RequestExtensionDialog } from './RequestExtensionDialog';
import { openRequest } from '../request-status';

type Action = { kind: 'end' | 'extend' | 'request-extension'; grant: ActiveGrant };

/** The key of a just-scheduled activation in the history entry that leads here from the activation dialog. */
export const SCHEDULED_STATE = 'scheduled';

function scheduledMessage(result: ScheduledActivationResponse): string {
  return `${result.roles.map((r) => r.role).join(', ')} on ${result.projectId} will start at ${formatTime(result.start)} and last until ${formatTime(result.end)}, if you are still eligible then.`;
}

export function MyAccessPage({ settings }: { settings: MeResponse['settings'] }) {
  const grants = useResource(() => api.myGrants(), []);
  // Pending extension requests, shown with the grant they extend (the list comes from the audit log).
  const requests = useResource(() => api.myRequests(), []);
  const pendingExtensions = new Map(
    (requests.state === 'ready' ? requests.data.requests : []).filter((r) => r.status === 'pending' && r.request.extendsGrant).map((r) => [r.request.extendsGrant!.id, r]),
  );
  const [action, setAction] = useState<Action | null>(null);
  // Numbered, so that the same message twice is still news to focus.
  const [done, setDone] = useState<{ message: string; count: number } | null>(() => {
    const scheduled = pageState<ScheduledActivationResponse>(SCHEDULED_STATE);
    return scheduled ? { message: scheduledMessage(scheduled), count: 0 } : null;
  });
  const [cancelling, setCancelling] = useState<string | null>(null);
  const [cancelError, setCancelError] = useState<Error | null>(null);
  const doneNotice = useRef<HTMLDivElement>(null);

  // The dialog and often the row it was opened from are gone: focus goes to what happened, not to <body>.
  useEffect(() => {
    if (done) doneNotice.current?.focus();
  }, [done]);

  function finish(message: string) {
    setAction(null);
    setDone((previous) => ({ message, count: (previous?.count ?? 0) + 1 }));
    grants.reload();
    requests.reload();
  }

  async function cancel(scheduled: ScheduledGrant) {
    setCancelling(scheduled.scheduledId);
    setCancelError(null);
    try {
      await api.cancelScheduled(scheduled.scheduledId);
      finish(`The scheduled access to ${scheduled.roles.map((r) => r.role).join(', ')} on ${scheduled.projectId} was cancelled.`);
    } catch (e) {
      setCancelError(e as Error);
    } finally {
      setCancelling(null);
    }
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
      {cancelError && <ErrorNotice context="form" title="The scheduled access was not cancelled" error={cancelError} />}
      {grants.state === 'ready' && grants.data.grants.length === 0 && (
        <Notice kind="info" title="You hold no temporary access right now">
          <p>
            <Link href="/">Request access</Link> when you need it.
          </p>
        </Notice>
      )}
      {grants.state === 'ready' && grants.data.grants.length > 0 && (
        <GrantTable grants={grants.data.grants} pendingExtensions={pendingExtensions} maxDurationMinutes={settings.maxDurationMinutes} onAction={setAction} />
      )}
      {grants.state === 'ready' && grants.data.scheduled.length > 0 && <ScheduledTable scheduled={grants.data.scheduled} cancelling={cancelling} onCancel={cancel} />}
      {action?.kind === 'end' && (
        <EndGrantDialog grant={action.grant} onClose={() => setAction(null)} onEnded={() => finish(`Your access to ${action.grant.role} on ${action.grant.projectId} was removed. IAM may take a few minutes to stop honouring it everywhere.`)} />
      )}
      {action?.kind === 'extend' && (
        <ExtendGrantDialog
          grant={action.grant}
          settings={settings}
          onClose={() => setAction(null)}
          onExtended={(end) => finish(`Your access to ${action.grant.role} on ${action.grant.projectId} now lasts until ${formatTime(end)}.`)}
          onNeedsApproval={() => setAction({ kind: 'request-extension', grant: action.grant })}
        />
      )}
      {action?.kind === 'request-extension' && (
        <RequestExtensionDialog
          grant={action.grant}
          settings={settings}
          onClose={() => setAction(null)}
          onRequested={(result) =>
            finish(
              result.grant
                ? `The access policy's ${result.approvedBy} approved the extension: your access to ${action.grant.role} on ${action.grant.projectId} now lasts until ${formatTime(result.grant.end)}.`
                : `Your request to extend ${action.grant.role} on ${action.grant.projectId} was sent to ${result.request.reviewers.join(', ')}. Approved before the grant ends, it lasts until ${formatTime(result.request.end)}.`,
            )
          }
        />
      )}
    </>
  );
}

/** Grants that start later: when, for how long, and Cancel. */
function ScheduledTable({ scheduled, cancelling, onCancel }: { scheduled: ScheduledGrant[]; cancelling: string | null; onCancel: (s: ScheduledGrant) => void }) {
  return (
    <table className="table">
      <caption>Scheduled</caption>
      <thead>
        <tr>
          <th scope="col">Project</th>
          <th scope="col">Role</th>
          <th scope="col">Starts</th>
          <th scope="col">Until</th>
          <th scope="col">
            <span className="visually-hidden">Actions</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {scheduled.map((s) => (
          <tr key={s.scheduledId}>
            <td data-label="Project" className="nowrap">
              {s.projectId}
            </td>
            <td data-label="Role">
              {s.roles.map((r) => (
                <span key={r.role} className="role-name">
                  {r.role}
                  {r.conditional ? ' (limited by a resource condition)' : ''}
                </span>
              ))}
              <span className="grant-approval">
                Scheduled · starts {formatTime(s.start)} · {s.type === 'peer' ? 'approved' : 'self-approved'}: {s.justification}
              </span>
            </td>
            <td data-label="Starts" className="nowrap">
              {formatTime(s.start)}
            </td>
            <td data-label="Until" className="nowrap">
              {formatTime(s.end)}
            </td>
            <td className="row-actions">
              <button type="button" className="button button-danger" disabled={cancelling !== null} onClick={() => onCancel(s)}>
                {cancelling === s.scheduledId ? 'Cancelling…' : 'Cancel'}
                <span className="visually-hidden">
                  {' '}
                  scheduled {s.roles.map((r) => r.role).join(', ')} on {s.projectId}
                </span>
              </button>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

interface GrantTableProps {
  grants: ActiveGrant[];
  /** The pending extension request of a grant, by grant id. */
  pendingExtensions: Map<string, LoggedRequestView>;
  maxDurationMinutes: number;
  onAction: (action: Action) => void;
}

function GrantTable({ grants, pendingExtensions, maxDurationMinutes, onAction }: GrantTableProps) {
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
              {grant.approval.type === 'break-glass' ? (
                // A break-glass grant is reviewed afterwards, not extended: it takes a new request.
                <Link href={projectHref(grant.projectId)} className="button">
                  Request again<span className="visually-hidden"> {grant.role} on {grant.projectId}</span>
                </Link>
              ) : grant.approval.type === 'peer' || pendingExtensions.has(grant.id) ? (
                // Extended by its approvers: a peer-approved grant, or one whose extension was requested already.
                <ExtensionRequest grant={grant} pending={pendingExtensions.get(grant.id)} onRequest={() => onAction({ kind: 'request-extension', grant })} />
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

/** A grant extended by its approvers: its pending extension request, or the button to ask them. */
function ExtensionRequest({ grant, pending, onRequest }: { grant: ActiveGrant; pending: LoggedRequestView | undefined; onRequest: () => void }) {
  const [opening, setOpening] = useState(false);
  if (!pending) {
    return (
      <button type="button" className="button" onClick={onRequest}>
        Request extension<span className="visually-hidden"> of {grant.role} on {grant.projectId}</span>
      </button>
    );
  }
  return (
    <>
      <span className="muted pending-extension">
        Extension by {formatDuration(pending.request.durationMinutes)} pending · {pending.approvals.length} of {pending.requiredApprovals} approval{pending.requiredApprovals === 1 ? '' : 's'}
      </span>
      <button
        type="button"
        className="button"
        disabled={opening}
        onClick={() => {
          setOpening(true);
          void openRequest(pending.request.id).catch(() => setOpening(false));
        }}
      >
        Open request<span className="visually-hidden"> to extend {grant.role} on {grant.projectId}</span>
      </button>
    </>
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
