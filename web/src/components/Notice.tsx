// Messages in the page: errors with what to do next, warnings, and confirmations.
import { useEffect, useRef, type ReactNode } from 'react';
import { ApiError } from '../api';
import { isTransient, nextStep, type ErrorContext } from '../next-step';

export function Notice({ kind, title, children }: { kind: 'error' | 'warning' | 'success' | 'info'; title?: string; children?: ReactNode }) {
  return (
    <div className={`notice notice-${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
      {title && <p className="notice-title">{title}</p>}
      {children}
    </div>
  );
}

interface ErrorNoticeProps {
  error: Error;
  title?: string;
  /** Where it failed, which decides the next step offered; see next-step.ts. */
  context: ErrorContext;
  onRetry?: () => void;
}

export function ErrorNotice({ error, title = 'That did not work', context, onRetry }: ErrorNoticeProps) {
  const reload = error instanceof ApiError && error.status === 401;
  const retry = onRetry && isTransient(error) ? onRetry : undefined;
  const next = nextStep(error, context);
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

/**
 * What a row's action did, focused each time `news` changes (numbered, so the same message twice is news too):
 * the dialog and often the row it was done from are gone, so focus goes to what happened, not to <body>.
 */
export function DoneNotice({ news, children }: { news: unknown; children: ReactNode }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    ref.current?.focus();
  }, [news]);
  return (
    <div ref={ref} tabIndex={-1} className="focus-target">
      {children}
    </div>
  );
}

/** What the server could not read while listing: the list may be missing something. */
export function Warnings({ title, warnings }: { title: string; warnings: string[] }) {
  if (warnings.length === 0) return null;
  return (
    <Notice kind="warning" title={title}>
      <ul>
        {warnings.map((warning) => (
          <li key={warning}>{warning}</li>
        ))}
      </ul>
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
