// The application frame: who is signed in, the navigation, and the page the path names.
import { useEffect, useRef } from 'react';
import type { MeResponse } from '../../server/api/schemas';
import { api } from './api';
import { ErrorNotice, Loading } from './components/Notice';
import { ActivationResultPage } from './pages/ActivationResult';
import { AdminArea } from './pages/AdminArea';
import { ApprovalRequestedPage } from './pages/ApprovalRequested';
import { ApprovePage } from './pages/ApprovePage';
import { BreakGlassResultPage } from './pages/BreakGlassResult';
import { BreakGlassReviewPage } from './pages/BreakGlassReviewPage';
import { MyAccessPage } from './pages/MyAccessPage';
import { NotFoundPage } from './pages/NotFoundPage';
import { RolesPage } from './pages/RolesPage';
import { Link, useLocation } from './router';
import { useResource } from './use-resource';

export function App() {
  const me = useResource(() => api.me(), []);
  const location = useLocation();
  const path = location.pathname;
  // jit-access 1.x's approval links: /?activation=<token>&projectId=<project>.
  const legacyApproval = path === '/' ? location.searchParams.get('activation') : null;
  useFocusOnNavigation(legacyApproval ? 'approval' : path);

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
        {me.state === 'ready' && <Page path={path} query={location.searchParams} legacyApproval={legacyApproval} me={me.data} />}
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

/** After moving to another page, focus its heading, so screen readers announce it and Tab starts there. */
function useFocusOnNavigation(path: string): void {
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    document.getElementById('page-heading')?.focus();
  }, [path]);
}
