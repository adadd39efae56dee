// A path router in a few lines. Every page has a URL: the start page (`/?projectId=` opens a project, as
// jit-access 1.x's links did), My access, the emailed approval link (`/approve/<token>`, and 1.x's
// `/?activation=<token>&projectId=<p>`), and the result pages, whose content travels in the history
// entry so that Back and reload keep them.
import { useSyncExternalStore, type AnchorHTMLAttributes, type MouseEvent } from 'react';

const NAVIGATED = 'jitaccess:navigated';

function subscribe(onChange: () => void): () => void {
  window.addEventListener('popstate', onChange);
  window.addEventListener(NAVIGATED, onChange);
  return () => {
    window.removeEventListener('popstate', onChange);
    window.removeEventListener(NAVIGATED, onChange);
  };
}

/** The path and query of the current page, e.g. `/?projectId=prod-app`. */
export function useLocation(): URL {
  const href = useSyncExternalStore(subscribe, () => window.location.pathname + window.location.search);
  return new URL(href, window.location.origin);
}

/** What the current history entry carries (a result page's content), or undefined. */
export function pageState<T>(key: string): T | undefined {
  const state: unknown = window.history.state;
  return state && typeof state === 'object' && key in state ? (state as Record<string, T>)[key] : undefined;
}

/** Goes to `href` as a new history entry, with `state` for the page there; `replace` replaces the current one. */
export function navigate(href: string, options: { state?: Record<string, unknown>; replace?: boolean } = {}): void {
  const current = window.location.pathname + window.location.search;
  if (href === current && options.state === undefined) return;
  if (options.replace) window.history.replaceState(options.state ?? null, '', href);
  else window.history.pushState(options.state ?? null, '', href);
  if (!options.replace) window.scrollTo(0, 0);
  window.dispatchEvent(new Event(NAVIGATED));
}

/** The start page, open at a project. */
export const projectHref = (projectId: string) => `/?projectId=${encodeURIComponent(projectId)}`;

/** An ordinary link that the app follows itself; modified clicks (new tab, …) stay the browser's. */
export function Link({ href, onClick, ...props }: AnchorHTMLAttributes<HTMLAnchorElement> & { href: string }) {
  function follow(event: MouseEvent<HTMLAnchorElement>) {
    onClick?.(event);
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(href);
  }
  return <a href={href} onClick={follow} {...props} />;
}
