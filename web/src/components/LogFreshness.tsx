// The inbox and "my requests" are read from the audit log, which lags: say how much, so nobody waits on a list.
import { formatRelative, formatTime } from '../format';
import { useNow } from '../use-now';

export function LogFreshness({ readAt }: { readAt: string }) {
  const now = useNow();
  return (
    <p className="muted log-freshness">
      Listed from the audit log, read at {formatTime(readAt)} ({formatRelative(readAt, now)}). A decision made in the last minute may not show here yet; a request&apos;s own page is always current.
    </p>
  );
}
