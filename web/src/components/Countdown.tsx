// Time left until an instant, counting down every second.
import { formatRemaining, formatTime } from '../format';
import { useNow } from '../use-now';

export function Countdown({ until }: { until: string }) {
  const now = useNow();
  const left = Date.parse(until) - now;
  if (left <= 0) return <span className="countdown expired">Expired</span>;
  return (
    <time className="countdown" dateTime={until} title={`Until ${formatTime(until)}`}>
      {formatRemaining(left)} left
    </time>
  );
}
