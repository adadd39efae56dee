// What an activation granted: each role with its start and end, and what to expect from IAM. A page of
// its own (/activated), its content kept in the history entry, so that reload and Back keep it.
import type { ActivationResponse } from '../api';
import { Countdown } from '../components/Countdown';
import { Notice, NotificationFailures } from '../components/Notice';
import { PageHeading } from '../components/PageHeading';
import { RecordTable } from '../components/RecordTable';
import { RoleName } from '../components/RoleName';
import { formatTime } from '../format';
import { pageState } from '../router';
import { GrantedActions } from './GrantedActions';
import { ResultGone } from './ResultGone';

export const ACTIVATION_STATE = 'activation';

export function ActivationResultPage() {
  const result = pageState<ActivationResponse>(ACTIVATION_STATE);
  return result ? <ActivationResult result={result} /> : <ResultGone what="an activation" />;
}

function ActivationResult({ result }: { result: ActivationResponse }) {
  return (
    <section>
      <PageHeading title="Access granted" />
      <Notice kind="success" title={`You have ${result.grants.length === 1 ? 'the role' : `${result.grants.length} roles`} on ${result.projectId}`}>
        {result.grants.some((g) => g.outcome !== 'kept') && <p>It takes IAM a few minutes to apply the change everywhere: if a command is still refused, wait a minute and try again.</p>}
        {result.grants.some((g) => g.outcome === 'kept') && <p>A grant that already lasted as long or longer was left as it was: activating never shortens access. To shorten it, end it in My access.</p>}
      </Notice>
      <NotificationFailures failures={result.notificationFailures} consequence="Your access is granted all the same." />
      <GrantTable result={result} />
      <dl className="details">
        <dt>Justification</dt>
        <dd>{result.justification}</dd>
      </dl>
      <GrantedActions projectId={result.projectId}>
        <a className="button" href={`https://console.cloud.google.com/home/dashboard?project=${encodeURIComponent(result.projectId)}`} target="_blank" rel="noreferrer">
          Open Cloud Console
        </a>
      </GrantedActions>
    </section>
  );
}

function GrantTable({ result }: { result: ActivationResponse }) {
  return (
    <RecordTable
      caption={`Granted on ${result.projectId}`}
      rows={result.grants}
      rowKey={(grant) => grant.id}
      columns={[
        { header: 'Role', cell: (grant) => <><RoleName entry={grant} /><span className="grant-outcome">{outcomeText(grant)}</span></> },
        { header: 'From', className: 'nowrap', cell: (grant) => formatTime(grant.start) },
        { header: 'Until', className: 'nowrap', cell: (grant) => formatTime(grant.end) },
        { header: 'Time left', cell: (grant) => <Countdown until={grant.end} /> },
      ]}
    />
  );
}

function outcomeText(grant: ActivationResponse['grants'][number]): string {
  const previous = grant.previousEnd ? formatTime(grant.previousEnd) : null;
  if (grant.outcome === 'kept') return 'Already active for as long or longer: unchanged.';
  if (grant.outcome === 'extended') return `Extended: it was to end at ${previous}.`;
  return 'Newly granted.';
}
