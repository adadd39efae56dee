// Standing privileges: permanent bindings that JIT was meant to replace, and privileged roles held
// permanently. Every row says where the binding sits and through which principal, so it can be removed there.
import { api } from '../api';
import { Freshness } from '../components/Freshness';
import { Loaded } from '../components/Loaded';
import { Notice, Warnings } from '../components/Notice';
import { PageHeading } from '../components/PageHeading';
import { RecordTable } from '../components/RecordTable';
import { useResource } from '../use-resource';

export function StandingPrivilegesPage() {
  const report = useResource(() => api.standingPrivileges(), []);
  return (
    <>
      <PageHeading title="Standing privileges" />
      <p className="lead">Roles held permanently, without a time condition. Remove each binding where it sits, and let people activate the role when they need it.</p>
      <Loaded resource={report} loading="Computing the report…" failed="The report could not be computed">
        {(data) => (
          <>
            <Freshness text={data.freshness} onReload={report.reload} />
            <Warnings title="The report may be incomplete" warnings={data.warnings} />
            <h2>Held permanently while eligible</h2>
            <p>These users could activate the role when needed, yet hold it all the time: the standing binding defeats just-in-time access.</p>
            <RecordTable
              caption={`Held permanently while eligible (${data.standingWhileEligible.length})`}
              className="admin-table"
              rows={data.standingWhileEligible}
              rowKey={({ standing, eligible }) => `${standing.user} ${standing.role} ${standing.resource} ${standing.via} ${eligible.resource} ${eligible.via}`}
              columns={[
                { header: 'User', cell: ({ standing }) => standing.user },
                { header: 'Role', cell: ({ standing }) => <code className="role-name">{standing.role}</code> },
                { header: 'Standing binding on', cell: ({ standing }) => <code>{standing.resource}</code> },
                { header: 'Through', cell: ({ standing }) => <code>{standing.via}</code> },
                {
                  header: 'Eligible on',
                  cell: ({ eligible }) => (
                    <>
                      <code>{eligible.resource}</code> ({eligible.activationType === 'self' ? 'self-approval' : 'peer approval'}, through <code>{eligible.via}</code>)
                    </>
                  ),
                },
              ]}
              empty={<Notice kind="success" title="Nobody holds a role permanently that they are also eligible for" />}
            />
            <h2>Privileged roles held permanently</h2>
            <p>Owner, Editor and every …Admin role held without a condition by users, directly or through groups.</p>
            <RecordTable
              caption={`Privileged roles held permanently (${data.privileged.length})`}
              className="admin-table"
              rows={data.privileged}
              rowKey={(r) => `${r.user} ${r.role} ${r.resource} ${r.via}`}
              columns={[
                { header: 'User', cell: (r) => r.user },
                { header: 'Role', cell: (r) => <code className="role-name">{r.role}</code> },
                { header: 'Binding on', cell: (r) => <code>{r.resource}</code> },
                { header: 'Through', cell: (r) => <code>{r.via}</code> },
              ]}
              empty={<Notice kind="success" title="Nobody holds a privileged role permanently" />}
            />
          </>
        )}
      </Loaded>
    </>
  );
}
