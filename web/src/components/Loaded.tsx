// What a page shows of data it loads: a spinner while it waits, what failed with a way to try again, or the data.
import type { ReactNode } from 'react';
import type { Resource } from '../use-resource';
import { ErrorNotice, Loading } from './Notice';

interface LoadedProps<T> {
  resource: Resource<T>;
  /** While loading, e.g. "Loading your inbox…". */
  loading: string;
  /** The title of the error, e.g. "Your inbox could not be loaded". */
  failed: string;
  children: (data: T) => ReactNode;
}

export function Loaded<T>({ resource, loading, failed, children }: LoadedProps<T>) {
  if (resource.state === 'loading') return <Loading>{loading}</Loading>;
  if (resource.state === 'failed') return <ErrorNotice context="load" title={failed} error={resource.error} onRetry={resource.reload} />;
  return children(resource.data);
}
