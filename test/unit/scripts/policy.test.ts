import path from 'node:path';
import { policyCommand } from '../../../scripts/policy';
import { temporaryAccessPolicy } from '../../support/access-policy-file';

const ROOT = path.join(__dirname, '../../..');
const EXAMPLE = path.join(ROOT, 'examples/access-policy.yaml');
const WORLD = path.join(ROOT, 'emulator/worlds/demo.yaml');

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = jest.spyOn(console, 'log').mockImplementation((...a) => void out.push(a.join(' ')));
  const error = jest.spyOn(console, 'error').mockImplementation((...a) => void err.push(a.join(' ')));
  try {
    const code = await policyCommand(args);
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

describe('npm run policy -- check', () => {
  it('passes the example policy', async () => {
    expect(await run(['check', EXAMPLE])).toEqual({ code: 0, out: `${EXAMPLE}: valid (6 rules)`, err: '' });
  });

  it('exits 1 naming the file, line and column of each mistake', async () => {
    const bad = temporaryAccessPolicy('version: 1\nrules:\n  - name: db\n    approval: { kind: approvers, principals: [db-leads] }\n    maxDuration: 2d\n').path;
    const result = await run(['check', EXAMPLE, bad]);
    expect(result.code).toBe(1);
    expect(result.err.split('\n')).toEqual([
      `${bad}:4:47: rules.0.approval.principals.0: must be user:EMAIL or group:EMAIL`,
      `${bad}:5:18: rules.0.maxDuration: must be a duration from 1 minute to 24 hours, such as 30m, 4h or 1h30m (a bare number counts minutes)`,
    ]);
  });
});

describe('npm run policy -- explain', () => {
  const explain = (user: string, project: string, role: string, at: string, json = true) =>
    run(['explain', EXAMPLE, '--world', WORLD, '--user', user, '--project', project, '--role', role, '--at', at, ...(json ? ['--json'] : [])]);

  it('says which rule applies, why, which rules were skipped and what it demands', async () => {
    const { code, out } = await explain('bob@example.com', 'prod-app', 'roles/compute.admin', '2026-01-05T12:00:00Z');
    expect(code).toBe(0);
    const [e] = JSON.parse(out).explanations;
    expect(e.skipped).toEqual([
      { rule: 'prod-databases', because: 'role roles/compute.admin matches none of roles/cloudsql.*' },
      { rule: 'prod-log-bucket', because: 'role roles/compute.admin matches none of roles/storage.*' },
    ]);
    expect(e.demands.rule).toBe('prod-compute');
    // The folder is resolved through the world's folder tree and the label from the project.
    expect(e.demands.matchedBecause).toEqual([
      'project prod-app is in folder 200000000003',
      'label env=prod matches prod',
      'role roles/compute.admin matches roles/compute.*',
      'the eligible binding is peer-approval',
    ]);
    expect(e.summary).toBe('1 approval from peers · up to 4 h · break-glass up to 30 min');
  });

  it('resolves groups to say who may break the glass', async () => {
    const bob = JSON.parse((await explain('bob@example.com', 'prod-app', 'roles/cloudsql.admin', '2026-01-05T12:00:00Z')).out);
    expect(bob.explanations).toEqual([]);
    const alice = JSON.parse((await explain('alice@example.com', 'prod-app', 'roles/cloudsql.admin', '2026-01-05T12:00:00Z')).out).explanations[0];
    expect(alice.demands.rule).toBe('prod-databases');
    expect(alice.breakGlassForUser).toBe(false);
  });

  it('says when the schedule refuses now', async () => {
    const { out } = await explain('frank@example.com', 'finance-ledger', 'roles/cloudsql.admin', '2026-01-10T15:00:00Z', false);
    expect(out).toContain('rule finance-ledger applies: project finance-ledger is in folder 200000000002');
    expect(out).toContain("refused now: Rule 'finance-ledger' of the access policy allows activation only Mon-Fri 09:00-17:00 (America/New_York); it is Sat 10:00 there now");
  });

  it('exits 1 when the user is not eligible: the policy never makes anyone eligible', async () => {
    const { code, out } = await explain('mallory@example.com', 'prod-app', 'roles/compute.admin', '2026-01-05T12:00:00Z', false);
    expect(code).toBe(1);
    expect(out).toContain('mallory@example.com is not eligible for roles/compute.admin on prod-app');
  });

  it('explains usage mistakes', async () => {
    const { code, err } = await run(['explain', EXAMPLE, '--user', 'a@example.com']);
    expect(code).toBe(2);
    expect(err).toContain('explain needs --user, --project and --role');
  });
});
