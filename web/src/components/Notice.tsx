// Messages in the page: errors with what to do next, warnings, and confirmations.
import type { ReactNode } from 'react';
import { ApiError } from '../api';

export function Notice({ kind, title, children }: { kind: 'error' | 'warning' | 'success' | 'info'; title?: string; children?: ReactNode }) {
  return (
    <div className={`notice notice-${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
      {title && <p className="notice-title">{title}</p>}
      {children}
    </div>
  );
}

/** What a user can do about a failure, by its HTTP status; the server's message says what went wrong. */
function nextStep(error: Error): string | null {
  if (!(error instanceof ApiError)) return 'Reload the page and try again.';
  if (error.status === 0) return 'Check your network connection, then try again.';
  if (error.status === 401) return 'Your sign-in has expired or is not valid. Reload the page to sign in again.';
  if (error.status === 403) return 'If you believe you should be allowed, ask your administrator.';
  if (error.status === 400) return 'Correct the input and try again.';
  if (error.status === 404) return 'Check the address, or choose another project.';
  if (error.status === 409) return 'Nothing was changed. Try again.';
  // An expired approval request: the server's message says whom to ask for a new one.
  if (error.status === 410) return null;
  if (error.status === 502) return 'Google Cloud refused what JIT Access asked of it, so this is not something you can fix. Tell your administrator the message above.';
  if (error.status === 429 || error.status > 502) return 'Google Cloud is busy or unreachable. Wait a minute, then try again.';
  // The server's message for its own failures already says what to do, with a reference to quote.
  if (error.status === 500) return null;
  return 'Try again. If it keeps failing, report the message above to your administrator.';
}

/** Whether the same call can succeed a moment later; a refusal or bad input will not. */
function isTransient(error: Error): boolean {
  if (!(error instanceof ApiError)) return true;
  return error.status === 0 || error.status === 409 || error.status === 429 || error.status >= 500;
}

export function ErrorNotice({ error, title = 'That did not work', onRetry }: { error: Error; title?: string; onRetry?: () => void }) {
  const reload = error instanceof ApiError && error.status === 401;
  const retry = onRetry && isTransient(error) ? onRetry : undefined;
  const next = nextStep(error);
  return (
    <Notice kind="error" title={title}>
      <p>{error.message}</p>
      {next && <p>{next}</p>}
      {(reload || retry) && (
        <p>
          <button type="button" className="button" onClick={reload ? () => window.location.reload() : retry}>
            {reload ? 'Reload' : 'Try again'}
          </button>
        </p>
      )}
    </Notice>
  );
}

/** Notifications that failed do not undo anything; people just were not told. */
export function NotificationFailures({ failures, consequence }: { failures: string[]; consequence: string }) {
  if (failures.length === 0) return null;
  return (
    <Notice kind="warning" title="Some notifications could not be sent">
      <ul>
        {failures.map((failure) => (
          <li key={failure}>{failure}</li>
        ))}
      </ul>
      <p>{consequence}</p>
    </Notice>
  );
}

export function Loading({ children }: { children: ReactNode }) {
  return (
    <p className="loading" role="status">
      <span className="spinner" aria-hidden="true" />
      {children}
    </p>
  );
}
