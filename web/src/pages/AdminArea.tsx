// The Admin area: its own navigation between the views, and the view the path names. Who may see it is
// decided by the server on every call (403 for anyone else); the role here only shapes what is offered.
import type { AdminRole } from '../../../server/api/schemas';
import { Link } from '../router';
import { AdminAlertsPage } from './AdminAlertsPage';
import { AdminChartsPage } from './AdminChartsPage';
import { AdminElevationsPage } from './AdminElevationsPage';
import { AdminHistoryPage } from './AdminHistoryPage';
import { NotFoundPage } from './NotFoundPage';
import { StandingPrivilegesPage } from './StandingPrivilegesPage';

const VIEWS = [
  { href: '/admin', name: 'Active elevations' },
  { href: '/admin/history', name: 'History' },
  { href: '/admin/standing-privileges', name: 'Standing privileges' },
  { href: '/admin/charts', name: 'Charts' },
  { href: '/admin/alerts', name: 'Alerts' },
];

export function AdminArea({ path, query, role }: { path: string; query: URLSearchParams; role: AdminRole | null }) {
  const view = path.replace(/\/$/, '') || '/admin';
  return (
    <>
      <nav aria-label="Admin" className="subnav">
        {VIEWS.map((v) => (
          <Link key={v.href} href={v.href} aria-current={view === v.href ? 'page' : undefined}>
            {v.name}
          </Link>
        ))}
      </nav>
      {view === '/admin' && <AdminElevationsPage query={query} canRevoke={role === 'admin'} />}
      {view === '/admin/history' && <AdminHistoryPage query={query} />}
      {view === '/admin/standing-privileges' && <StandingPrivilegesPage />}
      {view === '/admin/charts' && <AdminChartsPage query={query} />}
      {view === '/admin/alerts' && <AdminAlertsPage query={query} />}
      {!VIEWS.some((v) => v.href === view) && <NotFoundPage />}
    </>
  );
}
