// The application frame: who is signed in, the navigation, and the page the path names.
import { useEffect, useRef } from 'react';
import type { MeResponse } from '../../server/api/schemas';
import { api } from './api';
import { lazyPage, PageLoader } from './components/LazyPage';
import { ErrorNotice, Loading } from './components/Notice';
import { ActivationResultPage } from './pages/ActivationResult';
import { ApprovalRequestedPage } from './pages/ApprovalRequested';
import { BreakGlassResultPage } from './pages/BreakGlassResult';
import { InboxPage } from './pages/InboxPage';
import { MyAccessPage } from './pages/MyAccessPage';
import { MyRequestsPage } from './pages/MyRequestsPage';
import { NotFoundPage } from './pages/NotFoundPage';
import { RolesPage } from './pages/RolesPage';
import { onRequestsChanged } from './request-status';
import { Link, useLocation } from './router';
import { useResource } from './use-resource';

// Loaded when first shown: only admins and auditors open the Admin area, and only reviewers these pages.
const AdminArea = lazyPage(() => import('./pages/AdminArea').then((m) => m.AdminArea));
const ApprovePage = lazyPage(() => import('./pages/ApprovePage').then((m) => m.ApprovePage));
const BreakGlassReviewPage = lazyPage(() => import('./pages/BreakGlassReviewPage').then((m) => m.BreakGlassReviewPage));

export function App() {
  const me = useResource(() => api.me(), []);
  const location = useLocation();
  const path = location.pathname;
  // jit-access 1.x's approval links: /?activation=<token>&projectId=<project>.
  const legacyApproval = path === '/' ? location.searchParams.get('activation') : null;
  useFocusOnNavigation(legacyApproval ? 'approval' : path);
  const counts = useCounts(path);

  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <div className="topbar-inner">
          <Link href="/" className="brand">
            <img src="/favicon.svg" alt="" width="24" height="24" />
            JIT Access
          </Link>
          <nav aria-label="Main">
            <Link href="/" aria-current={path === '/' && !legacyApproval ? 'page' : undefined}>
              Request access
            </Link>
            <Link href="/my-access" aria-current={path === '/my-access' ? 'page' : undefined}>
              My access
            </Link>
            <Link href="/requests" aria-current={path === '/requests' ? 'page' : undefined}>
              My requests
              <Count value={counts.pending} label="pending" />
            </Link>
            <Link href="/inbox" aria-current={path === '/inbox' ? 'page' : undefined}>
              Inbox
              <Count value={counts.waiting} label="waiting for you" />
            </Link>
            {/* Only for admins and auditors; the Admin routes themselves answer 403 to anyone else. */}
            {me.state === 'ready' && me.data.adminRole && (
              <Link href="/admin" aria-current={isAdminPath(path) ? 'page' : undefined}>
                Admin
              </Link>
            )}
          </nav>
        </div>
      </header>
      <main id="main">
        {me.state === 'loading' && <Loading>Loading…</Loading>}
        {me.state === 'failed' && <ErrorNotice context="load" title="JIT Access could not start" error={me.error} onRetry={me.reload} />}
        {me.state === 'ready' && (
          <PageLoader path={path}>
            <Page path={path} query={location.searchParams} legacyApproval={legacyApproval} me={me.data} />
          </PageLoader>
        )}
      </main>
      {me.state === 'ready' && (
        <footer className="footer">
          <div className="footer-inner">
            <span className="footer-user">
              Signed in as <strong>{me.data.user.email}</strong>
            </span>
            {/* IAP's own path: it clears the sign-in cookie and asks who you are again. */}
            <a href="/_gcp_iap/clear_login_cookie">Switch user</a>
            <span>JIT Access {me.data.version}</span>
          </div>
        </footer>
      )}
    </>
  );
}

/**
 * How many requests and break-glass activations wait for my decision or review, and how many of mine are pending,
 * read again on every page change and after every decision or review made here (from memory on the server between
 * its reads of the audit log); nothing is shown while unknown.
 */
function useCounts(path: string): { waiting: number | null; pending: number | null } {
  const reviews = useResource(() => api.myReviews(), [path]);
  const requests = useResource(() => api.myRequests(), [path]);
  const { reload: reloadReviews } = reviews;
  const { reload: reloadRequests } = requests;
  useEffect(
    () =>
      onRequestsChanged(() => {
        reloadReviews();
        reloadRequests();
      }),
    [reloadReviews, reloadRequests],
  );
  return {
    waiting: reviews.state === 'ready' ? reviews.data.waiting.length + reviews.data.breakGlass.length : null,
    pending: requests.state === 'ready' ? requests.data.requests.filter((r) => r.status === 'pending').length : null,
  };
}

function Count({ value, label }: { value: number | null; label: string }) {
  if (!value) return null;
  return (
    <span className="nav-count">
      {value}
      <span className="visually-hidden"> {label}</span>
    </span>
  );
}

interface PageProps {
  path: string;
  query: URLSearchParams;
  legacyApproval: string | null;
  me: MeResponse;
}

function Page({ path, query, legacyApproval, me }: PageProps) {
  const approval = /^\/approve\/([^/]+)\/?$/.exec(path);
  if (legacyApproval) return <ApprovePage token={legacyApproval} />;
  if (path === '/') return <RolesPage settings={me.settings} projectId={query.get('projectId')} />;
  if (path === '/my-access') return <MyAccessPage settings={me.settings} />;
  if (path === '/inbox') return <InboxPage />;
  if (path === '/requests') return <MyRequestsPage />;
  if (path === '/activated') return <ActivationResultPage />;
  if (path === '/requested') return <ApprovalRequestedPage />;
  if (path === '/break-glass-activated') return <BreakGlassResultPage />;
  const breakGlass = /^\/break-glass\/(bg-[A-Za-z0-9_-]+)\/?$/.exec(path);
  if (breakGlass) return <BreakGlassReviewPage activationId={breakGlass[1]} />;
  if (approval) return <ApprovePage token={approval[1]} />;
  if (isAdminPath(path)) return <AdminArea path={path} query={query} role={me.adminRole} />;
  return <NotFoundPage />;
}

const isAdminPath = (path: string) => path === '/admin' || path.startsWith('/admin/');

/**
 * After moving to another page, focus its heading, so screen readers announce it and Tab starts there; a
 * page whose code is still loading gets its heading a moment later, and is focused then.
 */
function useFocusOnNavigation(path: string): void {
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    // The page before may still be in the document, hidden while the new one loads: its heading cannot
    // take focus, and the new one's is awaited.
    const focusHeading = () => {
      const heading = document.getElementById('page-heading');
      heading?.focus();
      return heading !== null && document.activeElement === heading;
    };
    if (focusHeading()) return;
    const main = document.getElementById('main');
    if (!main) return;
    const observer = new MutationObserver(() => {
      if (focusHeading()) observer.disconnect();
    });
    observer.observe(main, { childList: true, subtree: true });
    return () => observer.disconnect();
  }, [path]);
}
