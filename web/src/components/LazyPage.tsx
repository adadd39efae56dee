// Pages most users never open (the Admin area, a reviewer's pages) are loaded when first shown, so that
// every page load downloads less. While a page's code loads, the page says so; if it cannot be loaded —
// typically a tab opened before a new version was deployed, whose files are gone — it says that and
// offers to reload, instead of leaving the page blank.
import { Component, Suspense, lazy, type ComponentType, type ReactNode } from 'react';
import { Loading, Notice } from './Notice';

/** The code of a page did not arrive. */
class PageCodeError extends Error {}

/** A component whose module is imported on first render. */
export function lazyPage<P extends object>(load: () => Promise<ComponentType<P>>): ComponentType<P> {
  return lazy(async () => {
    try {
      return { default: await load() };
    } catch (e) {
      throw new PageCodeError(`The page's code could not be loaded: ${(e as Error).message}`);
    }
  });
}

/** Shows its page, or that the page is loading, or that its code could not be loaded — until `path` changes. */
export function PageLoader({ path, children }: { path: string; children: ReactNode }) {
  return (
    <PageLoadBoundary path={path}>
      <Suspense fallback={<Loading>Loading…</Loading>}>{children}</Suspense>
    </PageLoadBoundary>
  );
}

interface BoundaryState {
  error: Error | null;
  /** The page where it happened: another page may load where this one did not. */
  at: string | null;
}

class PageLoadBoundary extends Component<{ path: string; children: ReactNode }, BoundaryState> {
  state: BoundaryState = { error: null, at: null };

  static getDerivedStateFromError(error: Error): Partial<BoundaryState> {
    return { error };
  }

  componentDidCatch(): void {
    this.setState({ at: this.props.path });
  }

  render() {
    const { error, at } = this.state;
    if (!error || (at !== null && at !== this.props.path)) return this.props.children;
    // Any other error is not this boundary's to explain.
    if (!(error instanceof PageCodeError)) throw error;
    return (
      <Notice kind="error" title="This page could not be loaded">
        <p>Its code did not arrive: the connection failed, or a new version of JIT Access was deployed since this tab was opened.</p>
        <p>
          <button type="button" className="button" onClick={() => window.location.reload()}>
            Reload
          </button>
        </p>
      </Notice>
    );
  }
}
