// What breaking the glass granted: the role until when, said plainly to be break-glass, and who reviews it.
// A page of its own (/break-glass-activated), its content kept in the history entry like /activated.
import type { BreakGlassResponse } from '../api';
import { Countdown } from '../components/Countdown';
import { Notice, NotificationFailures } from '../components/Notice';
import { PageHeading } from '../components/PageHeading';
import { RoleName } from '../components/RoleName';
import { formatTime } from '../format';
import { pageState } from '../router';
import { GrantedActions } from './GrantedActions';
import { ResultGone } from './ResultGone';

export const BREAK_GLASS_STATE = 'breakGlass';

export function BreakGlassResultPage() {
  const result = pageState<BreakGlassResponse>(BREAK_GLASS_STATE);
  return result ? <BreakGlassResult result={result} /> : <ResultGone what="a break-glass activation" />;
}

function BreakGlassResult({ result }: { result: BreakGlassResponse }) {
  const { activation, grant } = result;
  const reviewers = activation.reviewers.map((r) => r.replace(/^(user|group):/, '')).join(', ');
  return (
    <section>
      <PageHeading title="Break-glass access granted" />
      <Notice kind="warning" title={`You broke the glass on ${activation.projectId}`}>
        <p>
          You have the role until {formatTime(grant.end)}, without the approval it normally needs. This activation is marked as break-glass in IAM and in the audit log; {reviewers} {activation.reviewers.length === 1 ? 'was' : 'were'} told and
          will review it by {formatTime(activation.reviewBy)}.
        </p>
        {grant.outcome === 'kept' && <p>A grant that already lasted as long or longer was left as it was.</p>}
      </Notice>
      <NotificationFailures failures={result.notificationFailures} consequence="Your access is granted all the same; tell the reviewers yourself." />
      <dl className="details">
        <dt>Role</dt>
        <dd>
          <RoleName entry={grant} />
        </dd>
        <dt>Until</dt>
        <dd>
          {formatTime(grant.end)} (<Countdown until={grant.end} />)
        </dd>
        <dt>Reason</dt>
        <dd>{activation.reason}</dd>
        <dt>Rule</dt>
        <dd>{activation.rule ?? '(policy defaults)'}</dd>
        <dt>Activation id</dt>
        <dd>{activation.activationId}</dd>
      </dl>
      <GrantedActions projectId={activation.projectId} />
    </section>
  );
}
