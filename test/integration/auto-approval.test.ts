// A rule that approves some requests itself (autoApprove): a request meeting its conditions is granted at
// once through the decision path, audited with the rule as approver and notified as an approval; one that
// does not stays pending for people to decide.
import { policyOf, startStack, type Stack } from '../support/stack';
import { temporaryAccessPolicy } from '../support/access-policy-file';

// dave and erin hold bigquery.dataViewer on data-warehouse through a self-approval binding (demo world).
const POLICY = `version: 1
rules:
  - name: short-reads
    match: { projects: [data-warehouse], roles: [roles/bigquery.dataViewer] }
    approval: peers
    autoApprove: { maxDuration: 15m, requesters: [user:dave@example.com] }
`;

const READER = 'data-warehouse:roles/bigquery.dataViewer';

describe('auto-approval by a rule', () => {
  let stack: Stack;

  beforeAll(async () => {
    const file = temporaryAccessPolicy(POLICY).path;
    stack = await startStack({ env: { ACCESS_POLICY: file } });
  });
  afterAll(() => stack?.close());

  const request = (email: string, durationMinutes: number, reviewers: string[]) =>
    stack.as(email).post('/api/v1/projects/data-warehouse/approval-requests', { role: READER, justification: 'INC-7 read the logs', durationMinutes, reviewers });
  const auditEntries = async (event: string) => {
    await stack.service.audit.flush();
    return stack.emulator.state.logEntries.filter((e: any) => e.labels?.event === event).map((e: any) => e.jsonPayload);
  };
  const grantsOf = async (email: string) =>
    (await policyOf(stack.emulator, 'data-warehouse')).bindings.filter(
      (b: any) => b.role === 'roles/bigquery.dataViewer' && b.condition?.title === 'JIT access activation' && b.members.includes(`user:${email}`),
    );

  test('a request not meeting a condition stays pending, and the reviewer is asked', async () => {
    const mailsBefore = stack.emulator.state.mail.length;
    const created = await request('dave@example.com', 30, ['erin@example.com']);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ status: 'pending', approvedBy: null, grant: null });
    expect(await grantsOf('dave@example.com')).toEqual([]);
    const asked = stack.emulator.state.mail.slice(mailsBefore);
    expect(asked.some((m: any) => m.to.includes('erin@example.com') && /\/approve\//.test(m.text))).toBe(true);
    const [entry] = (await auditEntries('request.created')).filter((e: any) => e.activationId === created.body.request.id);
    expect(entry.autoApproval).toEqual({ rule: 'short-reads', unmet: ['30 min is longer than 15 min'] });
    expect((await auditEntries('approval.succeeded')).filter((e: any) => e.activationId === created.body.request.id)).toEqual([]);
    // Out of the way of the next test.
    expect((await stack.as('dave@example.com').post(`/api/v1/approval-requests/${created.body.token}/cancel`)).status).toBe(200);
  });

  test('a requester outside the rule\'s requesters is not approved by it', async () => {
    const created = await request('erin@example.com', 10, ['dave@example.com']);
    expect(created.status).toBe(201);
    expect(created.body.status).toBe('pending');
    expect(await grantsOf('erin@example.com')).toEqual([]);
    expect((await stack.as('erin@example.com').post(`/api/v1/approval-requests/${created.body.token}/cancel`)).status).toBe(200);
  });

  test('a request meeting every condition is granted at once, audited with the rule as approver, and notified', async () => {
    const mailsBefore = stack.emulator.state.mail.length;
    const created = await request('dave@example.com', 15, ['erin@example.com']);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ status: 'approved', approvedBy: 'rule:short-reads', grant: { role: 'roles/bigquery.dataViewer', outcome: 'granted' } });

    const [grant] = await grantsOf('dave@example.com');
    expect(grant.condition.description).toBe('Approved by rule:short-reads, justification: INC-7 read the logs');

    const [approval] = (await auditEntries('approval.succeeded')).filter((e: any) => e.activationId === created.body.request.id);
    expect(approval).toMatchObject({ approvedBy: 'rule:short-reads', approvals: ['rule:short-reads'], beneficiary: 'dave@example.com', outcome: 'success' });

    // Nobody is asked to approve; the requester is told it was approved, the reviewer learns of it.
    const sent = stack.emulator.state.mail.slice(mailsBefore);
    expect(sent.some((m: any) => /\/approve\//.test(m.text) && /approve/i.test(m.subject) && m.to.includes('erin@example.com') && !m.to.includes('dave@example.com'))).toBe(false);
    expect(sent.some((m: any) => m.to.includes('dave@example.com') && m.text.includes('rule:short-reads'))).toBe(true);

    // The request reads as approved by the rule, and a reviewer's later click grants nothing more.
    const status = await stack.as('dave@example.com').get(`/api/v1/approval-requests/${created.body.token}`);
    expect(status.body).toMatchObject({ status: 'approved', approvedBy: 'rule:short-reads', approvals: [{ approver: 'rule:short-reads' }] });
    const late = await stack.as('erin@example.com').post(`/api/v1/approval-requests/${created.body.token}/approve`);
    expect(late.body).toMatchObject({ alreadyApproved: true, grant: null });
    expect(await grantsOf('dave@example.com')).toHaveLength(1);
  });

  test("an extension of a grant under the rule meets the same conditions: within them it is approved by the rule at once, beyond them it waits", async () => {
    // The grant of the test before, or a new one: dave's self-approval binding, put under approval by the rule.
    if ((await grantsOf('dave@example.com')).length === 0) expect((await request('dave@example.com', 15, ['erin@example.com'])).body.status).toBe('approved');
    const [grant] = (await stack.as('dave@example.com').get('/api/v1/me/grants')).body.grants.filter((g: any) => g.projectId === 'data-warehouse');
    const extend = (durationMinutes: number) =>
      stack.as('dave@example.com').post(`/api/v1/me/grants/${grant.id}/extension-requests`, { justification: 'INC-7 read more logs', durationMinutes, reviewers: ['erin@example.com'] });

    const long = await extend(30);
    expect(long.status).toBe(201);
    expect(long.body).toMatchObject({ status: 'pending', grant: null });
    const [entry] = (await auditEntries('request.created')).filter((e: any) => e.activationId === long.body.request.id);
    expect(entry.autoApproval).toEqual({ rule: 'short-reads', unmet: ['30 min is longer than 15 min'] });
    expect((await stack.as('dave@example.com').post(`/api/v1/approval-requests/${long.body.token}/cancel`)).status).toBe(200);

    const short = await extend(10);
    expect(short.status).toBe(201);
    const newEnd = new Date(Date.parse(grant.end) + 10 * 60_000).toISOString();
    expect(short.body).toMatchObject({ status: 'approved', approvedBy: 'rule:short-reads', grant: { outcome: 'extended', start: grant.start, end: newEnd, previousEnd: grant.end } });
    const [binding, ...others] = await grantsOf('dave@example.com');
    expect(others).toEqual([]);
    expect(binding.condition.expression).toContain(`timestamp("${grant.start.replace('.000Z', 'Z')}")`);
    expect(binding.condition.expression).toContain(`timestamp("${newEnd.replace('.000Z', 'Z')}")`);
  });
});
