// A role as people read it: its name, and the resource condition that narrows it, if any.

export function RoleName({ role, resourceCondition }: { role: string; resourceCondition: string | null }) {
  return (
    <>
      <code className="role-name">{role}</code>
      {resourceCondition && (
        <span className="role-condition">
          only where <code>{resourceCondition}</code>
        </span>
      )}
    </>
  );
}
