// A role as people read it: its title and description when the API gives them, next to its IAM name,
// and the resource condition that narrows it, if any.

export interface RoleEntry {
  role: string;
  resourceCondition: string | null;
  title?: string | null;
  description?: string | null;
}

/** `withDescription`: in lists of roles; in a sentence the title and name are enough. */
export function RoleName({ entry, withDescription = false }: { entry: RoleEntry; withDescription?: boolean }) {
  const { role, resourceCondition, title, description } = entry;
  return (
    <>
      {title && <span className="role-title">{title} </span>}
      <code className={title ? 'role-id' : 'role-name'}>{role}</code>
      {withDescription && description && <span className="role-description">{description}</span>}
      {resourceCondition && (
        <span className="role-condition">
          only where <code>{resourceCondition}</code>
        </span>
      )}
    </>
  );
}
