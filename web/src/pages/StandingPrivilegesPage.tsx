// Standing privileges: permanent bindings that JIT was meant to replace, and privileged roles held
// permanently. Every row says where the binding sits and through which principal, so it can be removed there.
import { api, type HeldBindingView } from '../api';
import { Freshness } from '../components/Freshness';
import { ErrorNotice, Loading, Notice } from '../components/Notice';
import { PageHeading } from '../components/PageHeading';
import { useResource } from '../use-resource';

export function StandingPrivilegesPage() {
  const report = useResource(() => api.standingPrivileges(), []);
  return (
    <>
      <PageHeading title="Standing privileges" />
      <p className="lead">Roles held permanently, without a time condition. Remove each binding where it sits, and let people activate the role when they need it.</p>
      {report.state === 'loading' && <Loading>Computing the report…</Loading>}
      {report.state === 'failed' && <ErrorNotice context="load" title="The report could not be computed" error={report.error} onRetry={report.reload} />}
      {report.state === 'ready' && (
        <>
          <Freshness text={report.data.freshness} onReload={report.reload} />
          {report.data.warnings.length > 0 && (
            <Notice kind="warning" title="The report may be incomplete">
              <ul>
                {report.data.warnings.map((w) => (
                  <li key={w}>{w}</li>
                ))}
              </ul>
            </Notice>
          )}
          <h2>Held permanently while eligible</h2>
          <p>These users could activate the role when needed, yet hold it all the time: the standing binding defeats just-in-time access.</p>
          {report.data.standingWhileEligible.length === 0 ? (
            <Notice kind="success" title="Nobody holds a role permanently that they are also eligible for" />
          ) : (
            <table className="table admin-table">
              <caption>Held permanently while eligible ({report.data.standingWhileEligible.length})</caption>
              <thead>
                <tr>
                  <th scope="col">User</th>
                  <th scope="col">Role</th>
                  <th scope="col">Standing binding on</th>
                  <th scope="col">Through</th>
                  <th scope="col">Eligible on</th>
                </tr>
              </thead>
              <tbody>
                {report.data.standingWhileEligible.map(({ standing, eligible }) => (
                  <tr key={`${standing.user} ${standing.role} ${standing.resource} ${standing.via} ${eligible.resource} ${eligible.via}`}>
                    <td data-label="User">{standing.user}</td>
                    <td data-label="Role">
                      <code className="role-name">{standing.role}</code>
                    </td>
                    <td data-label="Standing binding on">
                      <code>{standing.resource}</code>
                    </td>
                    <td data-label="Through">
                      <code>{standing.via}</code>
                    </td>
                    <td data-label="Eligible on">
                      <code>{eligible.resource}</code> ({eligible.activationType === 'self' ? 'self-approval' : 'peer approval'}, through <code>{eligible.via}</code>)
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <h2>Privileged roles held permanently</h2>
          <p>Owner, Editor and every …Admin role held without a condition by users, directly or through groups.</p>
          {report.data.privileged.length === 0 ? (
            <Notice kind="success" title="Nobody holds a privileged role permanently" />
          ) : (
            <HeldTable caption={`Privileged roles held permanently (${report.data.privileged.length})`} rows={report.data.privileged} />
          )}
        </>
      )}
    </>
  );
}

function HeldTable({ caption, rows }: { caption: string; rows: HeldBindingView[] }) {
  return (
    <table className="table admin-table">
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th scope="col">User</th>
          <th scope="col">Role</th>
          <th scope="col">Binding on</th>
          <th scope="col">Through</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={`${r.user} ${r.role} ${r.resource} ${r.via}`}>
            <td data-label="User">{r.user}</td>
            <td data-label="Role">
              <code className="role-name">{r.role}</code>
            </td>
            <td data-label="Binding on">
              <code>{r.resource}</code>
            </td>
            <td data-label="Through">
              <code>{r.via}</code>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
