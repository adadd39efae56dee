// The user's grants in force on every project, with time left, and the things one can do about them: end one
// now, extend it (a self-approved one), or ask its approvers to extend it (one that needs approval).
import { useState } from 'react';
import type { MeResponse } from '../../../server/api/schemas';
import { api, type ActiveGrant, type LoggedRequestView, type ScheduledActivationResponse, type ScheduledGrant } from '../api';
import { Countdown } from '../components/Countdown';
import { Loaded } from '../components/Loaded';
import { DoneNotice, ErrorNotice, Notice, Warnings } from '../components/Notice';
import { PageHeading } from '../components/PageHeading';
import { RecordTable } from '../components/RecordTable';
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
        <DoneNotice news={done}>
          <Notice kind="success">
            <p>{done.message}</p>
          </Notice>
        </DoneNotice>
      )}
      <Loaded resource={grants} loading="Loading your access…" failed="Your access could not be loaded">
        {(data) => (
          <>
            <Warnings title="The list may be incomplete" warnings={data.warnings} />
            {cancelError && <ErrorNotice context="form" title="The scheduled access was not cancelled" error={cancelError} />}
            <GrantTable grants={data.grants} pendingExtensions={pendingExtensions} maxDurationMinutes={settings.maxDurationMinutes} onAction={setAction} />
            <ScheduledTable scheduled={data.scheduled} cancelling={cancelling} onCancel={cancel} />
          </>
        )}
      </Loaded>
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
    <RecordTable
      caption="Scheduled"
      rows={scheduled}
      rowKey={(s) => s.scheduledId}
      columns={[
        { header: 'Project', className: 'nowrap', cell: (s) => s.projectId },
        {
          header: 'Role',
          cell: (s) => (
            <>
              {s.roles.map((r) => (
                <span key={r.role} className="role-name">
                  {r.role}
                  {r.conditional ? ' (limited by a resource condition)' : ''}
                </span>
              ))}
              <span className="grant-approval">
                Scheduled · starts {formatTime(s.start)} · {s.type === 'peer' ? 'approved' : 'self-approved'}: {s.justification}
              </span>
            </>
          ),
        },
        { header: 'Starts', className: 'nowrap', cell: (s) => formatTime(s.start) },
        { header: 'Until', className: 'nowrap', cell: (s) => formatTime(s.end) },
      ]}
      actions={(s) => (
        <button type="button" className="button button-danger" disabled={cancelling !== null} onClick={() => onCancel(s)}>
          {cancelling === s.scheduledId ? 'Cancelling…' : 'Cancel'}
          <span className="visually-hidden">
            {' '}
            scheduled {s.roles.map((r) => r.role).join(', ')} on {s.projectId}
          </span>
        </button>
      )}
    />
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
    <RecordTable
      caption="Active grants"
      rows={grants}
      rowKey={(grant) => grant.id}
      columns={[
        { header: 'Project', className: 'nowrap', cell: (grant) => grant.projectId },
        { header: 'Role', cell: (grant) => <><RoleName entry={grant} /><span className="grant-approval">{approvalText(grant.approval)}</span></> },
        { header: 'Until', className: 'nowrap', cell: (grant) => formatTime(grant.end) },
        { header: 'Time left', className: 'nowrap', cell: (grant) => <Countdown until={grant.end} /> },
      ]}
      actions={(grant) => (
        <>
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
        </>
      )}
      empty={
        <Notice kind="info" title="You hold no temporary access right now">
          <p>
            <Link href="/">Request access</Link> when you need it.
          </p>
        </Notice>
      }
    />
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
