// Where to go once access is granted: back to the project's roles, or to My access; a page may add its own.
import type { ReactNode } from 'react';
import { Link, projectHref } from '../router';

export function GrantedActions({ projectId, children }: { projectId: string; children?: ReactNode }) {
  return (
    <div className="actions">
      <Link className="button button-primary" href={projectHref(projectId)}>
        Back to roles
      </Link>
      <Link className="button" href="/my-access">
        My access
      </Link>
      {children}
    </div>
  );
}
