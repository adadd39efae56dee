// A break-glass activation as its reviewers open it from the email or chat link, or from the inbox
// (/break-glass/{id}): what was done and why, and a form to acknowledge it or flag it with a note. Its user sees
// it too, and its review.
import { useId, useState, type FormEvent } from 'react';
import { api, type BreakGlassCaseResponse, type BreakGlassReviewResponse } from '../api';
import { ErrorNotice, Loading, Notice } from '../components/Notice';
import { PageHeading } from '../components/PageHeading';
import { RoleName } from '../components/RoleName';
import { formatTime } from '../format';
import { requestsChanged } from '../request-status';
import { useResource } from '../use-resource';

export function BreakGlassReviewPage({ activationId }: { activationId: string }) {
  const view = useResource(() => api.breakGlassCase(activationId), [activationId]);
  return (
    <section>
      <PageHeading title="Break-glass review" />
      {view.state === 'loading' && <Loading>Loading the break-glass activation…</Loading>}
      {view.state === 'failed' && <ErrorNotice context="load" title="The break-glass activation could not be opened" error={view.error} onRetry={view.reload} />}
      {view.state === 'ready' && <BreakGlassCase view={view.data} />}
    </section>
  );
}

function BreakGlassCase({ view }: { view: BreakGlassCaseResponse }) {
  // The answer to this reviewer's own review: the audit log shows it only after its next read.
  const [own, setOwn] = useState<BreakGlassReviewResponse['review'] | null>(null);
  const { activation } = view;
  const review = own ?? view.review;
  return (
    <>
      {review ? (
        <Notice kind={review.outcome === 'flagged' ? 'warning' : 'success'} title={`${review.outcome === 'flagged' ? 'Flagged' : 'Acknowledged'} by ${review.reviewer}`}>
          <p>
            {formatTime(review.at)}
            {review.note ? `: ${review.note}` : ''}
          </p>
        </Notice>
      ) : (
        <Notice kind={view.overdue ? 'warning' : 'info'} title={view.overdue ? 'Review overdue' : 'Waiting for review'}>
          <p>
            {activation.user} activated this role without the approval it normally needs. Review it by {formatTime(activation.reviewBy)}.
          </p>
        </Notice>
      )}
      <dl className="details">
        <dt>User</dt>
        <dd>{activation.user}</dd>
        <dt>Project</dt>
        <dd>{activation.projectId}</dd>
        <dt>Role</dt>
        <dd>
          <RoleName entry={activation} />
        </dd>
        <dt>Window</dt>
        <dd>
          {formatTime(activation.start)} – {formatTime(activation.end)}
        </dd>
        <dt>Reason</dt>
        <dd>{activation.reason}</dd>
        <dt>Rule</dt>
        <dd>
          {activation.rule ?? '(policy defaults)'}
          {activation.outsideSchedule ? ' · outside its schedule' : ''}
        </dd>
        <dt>Reviewers</dt>
        <dd>{activation.reviewers.map((r) => r.replace(/^(user|group):/, '')).join(', ')}</dd>
      </dl>
      {view.viewer.canReview && !own && <ReviewForm activationId={activation.activationId} onReviewed={(r) => setOwn(r.review)} />}
      {!review && view.viewer.isActivator && <p className="muted">Its reviewers review it; you cannot review your own break-glass activation.</p>}
      {!review && view.viewer.isReviewer && !view.viewer.canReview && (
        <p className="muted">The access policy does not name you a break-glass reviewer of this role now, so you cannot review this activation. An administrator can check it in the Admin area.</p>
      )}
    </>
  );
}

function ReviewForm({ activationId, onReviewed }: { activationId: string; onReviewed: (reviewed: BreakGlassReviewResponse) => void }) {
  const noteId = useId();
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const [flagWithoutNote, setFlagWithoutNote] = useState(false);

  async function decide(event: FormEvent, decision: 'acknowledge' | 'flag') {
    event.preventDefault();
    if (decision === 'flag' && note.trim() === '') return setFlagWithoutNote(true);
    setBusy(true);
    setError(null);
    try {
      onReviewed(await api.reviewBreakGlass(activationId, { decision, ...(note.trim() ? { note: note.trim() } : {}) }));
      requestsChanged();
    } catch (e) {
      setError(e as Error);
      setBusy(false);
    }
  }

  return (
    <form className="review-form" onSubmit={(event) => decide(event, 'acknowledge')} noValidate>
      <div className="field">
        <label htmlFor={noteId}>Note</label>
        <input id={noteId} type="text" value={note} maxLength={500} autoComplete="off" disabled={busy} aria-describedby={`${noteId}-help`} onChange={(event) => setNote(event.target.value)} />
        <p id={`${noteId}-help`} className={flagWithoutNote && note.trim() === '' ? 'field-problem' : 'field-help'}>
          {flagWithoutNote && note.trim() === '' ? 'Say what is wrong to flag it.' : 'Optional to acknowledge; required to flag. It is kept in the audit log.'}
        </p>
      </div>
      {error && <ErrorNotice context="form" title="The review was not recorded" error={error} />}
      <div className="actions">
        <button type="submit" className="button button-primary" disabled={busy}>
          Acknowledge
        </button>
        <button type="button" className="button button-danger" disabled={busy} onClick={(event) => decide(event, 'flag')}>
          Flag
        </button>
      </div>
    </form>
  );
}
