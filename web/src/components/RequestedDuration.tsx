// How long a request asks for, in a list: a duration (and, for a later start, from when), or for an extension
// the time added after the end of the grant it extends.
import type { ApprovalRequestView } from '../api';
import { formatDuration, formatTime } from '../format';

export function RequestedDuration({ request }: { request: ApprovalRequestView }) {
  if (request.startsLater) {
    return (
      <>
        {formatDuration(request.durationMinutes)}
        <span className="muted request-start">Scheduled: from {formatTime(request.start)} if approved before then</span>
      </>
    );
  }
  if (!request.extendsGrant) return <>{formatDuration(request.durationMinutes)}</>;
  return (
    <>
      {formatDuration(request.durationMinutes)} more
      <span className="muted request-extension">Extension of the grant ending {formatTime(request.extendsGrant.end)}</span>
    </>
  );
}
