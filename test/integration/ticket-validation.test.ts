// Ticket validation through the emulator's fake ITSM, and a rule's extra email recipients (notify.emails):
// activation and requests ask the ITSM with a signed question; an open ticket passes, a closed or unknown
// one is refused with the ITSM's reason, a slow or failing ITSM (or one that cannot check the signature)
// refuses with what went wrong; approval asks again; the rule's recipients get a notice of each event.
import { policyOf, startStack, type Stack } from '../support/stack';
import { temporaryAccessPolicy, type TemporaryAccessPolicy } from '../support/access-policy-file';

const SECRET = 'projects/jit-host/secrets/itsm-signing-key/versions/latest';

function policy(emulatorUrl: string, secret = SECRET): string {
  const validation = `validation: { url: "${emulatorUrl}/itsm/validate", secret: ${secret}, timeoutSeconds: 1 }`;
  return `version: 1
rules:
  - name: prod-databases
    match: { projects: [prod-*], roles: [roles/cloudsql.*] }
    ticket: { pattern: "CHG-[0-9]+", hint: an open change ticket, ${validation} }
    notify: { emails: [security@example.com, dba@example.com] }
  - name: prod-compute
    match: { projects: [prod-app], roles: [roles/compute.admin] }
    ticket: { pattern: "CHG-[0-9]+", ${validation} }
    notify: { emails: [sre-leads@example.com] }
`;
}

describe('ticket validation and notify.emails', () => {
  let stack: Stack;
  let policyFile: TemporaryAccessPolicy;
  let endpoint: string;

  const usePolicy = async (text: string) => {
    policyFile.write(text);
    await stack.service.accessPolicy!.refresh();
  };
  const activate = (justification: string) =>
    stack.as('alice@example.com').post('/api/v1/projects/prod-app/activations', { roles: ['prod-app:roles/cloudsql.admin'], justification, durationMinutes: 30 });
  const requestCompute = (justification: string) =>
    stack.as('alice@example.com').post('/api/v1/projects/prod-app/approval-requests', { role: 'prod-app:roles/compute.admin', justification, durationMinutes: 30, reviewers: ['bob@example.com'] });
  const faults = (body: unknown) => fetch(`${stack.emulator.url}/_emulator/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const setTicket = (id: string, status: 'open' | 'closed', project?: string) =>
    fetch(`${stack.emulator.url}/_emulator/itsm/tickets/${id}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ status, project }) });
  const cloudsqlGrants = async () =>
    (await policyOf(stack.emulator, 'prod-app')).bindings.filter((b) => b.role === 'roles/cloudsql.admin' && b.condition?.title === 'JIT access activation');
  const mailTo = (address: string) => stack.emulator.state.mail.filter((m) => m.envelope.to.includes(address));

  beforeAll(async () => {
    // The ITSM's address is known once the emulator runs: the policy naming it is put in force then.
    policyFile = temporaryAccessPolicy('version: 1\n');
    stack = await startStack({ env: { ACCESS_POLICY: policyFile.path } });
    endpoint = `${stack.emulator.url}/itsm/validate`;
    await usePolicy(policy(stack.emulator.url));
  });
  afterAll(() => stack?.close());
  beforeEach(async () => {
    await fetch(`${stack.emulator.url}/_emulator/faults`, { method: 'DELETE' });
    await fetch(`${stack.emulator.url}/_emulator/itsm`, { method: 'DELETE' });
    stack.emulator.state.mail = [];
  });

  test('an open ticket passes: the ITSM is asked, signed, about the ticket, project, role and requester', async () => {
    const res = await activate('CHG-1234 failover drill');
    expect(res.status).toBe(201);
    const calls = stack.emulator.state.itsmCalls;
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({
      signature: 'valid',
      status: 200,
      question: { ticket: 'CHG-1234', project: 'prod-app', role: 'roles/cloudsql.admin', requester: 'alice@example.com' },
      answer: { valid: true },
    });
  });

  test.each([
    ['CHG-999 cleanup', 'CHG-999', 'ticket CHG-999 is closed'],
    ['CHG-4242 cleanup', 'CHG-4242', 'ticket CHG-4242 does not exist'],
    ['CHG-2001 cleanup', 'CHG-2001', 'ticket CHG-2001 is for project finance-ledger, not prod-app'],
  ])('%s is refused with the ITSM\'s reason, naming the rule; nothing is granted', async (justification, ticket, reason) => {
    const before = await cloudsqlGrants();
    const res = await activate(justification);
    expect(res.status).toBe(403);
    expect(res.body.error).toEqual({
      code: 'TICKET_REFUSED',
      message: `Rule 'prod-databases' of the access policy requires a valid ticket: ${endpoint} refused ${ticket}: ${reason}.`,
    });
    expect(await cloudsqlGrants()).toEqual(before);
  });

  test('an ITSM slower than the rule\'s timeout refuses', async () => {
    await faults({ latencyMs: { itsm: 1500 } });
    const res = await activate('CHG-1234 slow');
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('TICKET_VALIDATION_FAILED');
    expect(res.body.error.message).toBe(
      `Rule 'prod-databases' of the access policy requires a valid ticket, and CHG-1234 could not be validated: ${endpoint} did not answer within 1 second. Nothing was granted; try again later, and if it persists ask your administrator to check the ITSM endpoint.`,
    );
    // The ITSM answers after all, to nobody: wait for it, so that its record does not land in the next test.
    while (stack.emulator.state.itsmCalls.length === 0) await new Promise((r) => setTimeout(r, 50));
  });

  test('an ITSM that answers an error refuses', async () => {
    await faults({ errors: { itsm: { status: 500 } } });
    const res = await activate('CHG-1234 broken');
    expect(res.status).toBe(503);
    expect(res.body.error.message).toContain(`CHG-1234 could not be validated: ${endpoint}: it answered HTTP 500.`);
  });

  test('a question signed with the wrong key is refused by the ITSM, and so is the activation', async () => {
    await usePolicy(policy(stack.emulator.url, 'projects/jit-host/secrets/smtp-password/versions/latest'));
    try {
      const res = await activate('CHG-1234 wrong key');
      expect(res.status).toBe(503);
      expect(res.body.error.message).toContain(`${endpoint}: it answered HTTP 401 (the signature does not match the body)`);
      expect(res.body.error.message).not.toContain('demo-smtp-password');
      expect(stack.emulator.state.itsmCalls.at(-1)).toMatchObject({ signature: 'mismatch', status: 401 });
    } finally {
      await usePolicy(policy(stack.emulator.url));
    }
  });

  test('a request is validated when made, and again when approved', async () => {
    const closed = await requestCompute('CHG-999 resize');
    expect(closed.status).toBe(403);
    expect(closed.body.error.code).toBe('TICKET_REFUSED');

    const requested = await requestCompute('CHG-1234 resize');
    expect(requested.status).toBe(201);
    const token = /\/approve\/([A-Za-z0-9_~-]+)/.exec(mailTo('bob@example.com').at(-1)!.text)![1];
    await setTicket('CHG-1234', 'closed', 'prod-app');
    try {
      const approved = await stack.as('bob@example.com').post(`/api/v1/approval-requests/${token}/approve`);
      expect(approved.status).toBe(403);
      expect(approved.body.error).toEqual({
        code: 'REQUEST_NO_LONGER_VALID',
        message: `This request no longer meets the rules: Rule 'prod-compute' of the access policy requires a valid ticket: ${endpoint} refused CHG-1234: ticket CHG-1234 is closed. Ask alice@example.com to send a new request.`,
      });
    } finally {
      await setTicket('CHG-1234', 'open', 'prod-app');
    }
    const questions = stack.emulator.state.itsmCalls.map((c) => (c.question as { ticket: string; requester: string }));
    expect(questions.map((q) => q.ticket)).toEqual(['CHG-999', 'CHG-1234', 'CHG-1234']);
    // At approval the question is about the requester, not the approver.
    expect(questions.every((q) => q.requester === 'alice@example.com')).toBe(true);
    expect((await stack.as('bob@example.com').post(`/api/v1/approval-requests/${token}/approve`)).status).toBe(200);
  });

  test('the rule\'s extra recipients are told of a self-activation, as literal addresses, without an approval link', async () => {
    expect((await activate('CHG-1234 index rebuild')).status).toBe(201);
    const [notice] = mailTo('security@example.com');
    expect(notice.envelope.to).toEqual(['security@example.com', 'dba@example.com']);
    expect(notice.subject).toBe('alice@example.com activated access to project prod-app');
    expect(notice.text).toContain('alice@example.com activated roles/cloudsql.admin on the Google Cloud project prod-app without approval');
    expect(notice.text).toContain('Justification: CHG-1234 index rebuild');
    expect(notice.text).toContain('notify.emails');
  });

  test('the rule\'s extra recipients are told of a request and of its approval; the request\'s link goes to reviewers only', async () => {
    const requested = await requestCompute('CHG-1234 disk');
    expect(requested.status).toBe(201);
    const [asked] = mailTo('sre-leads@example.com');
    expect(asked.subject).toBe('alice@example.com requests access to project prod-app');
    expect(asked.text).toContain('alice@example.com requested roles/compute.admin on the Google Cloud project prod-app from bob@example.com.');
    expect(asked.text).not.toMatch(/\/approve\//);
    const token = /\/approve\/([A-Za-z0-9_~-]+)/.exec(mailTo('bob@example.com').at(-1)!.text)![1];
    expect((await stack.as('bob@example.com').post(`/api/v1/approval-requests/${token}/approve`)).status).toBe(200);
    const notices = mailTo('sre-leads@example.com');
    expect(notices).toHaveLength(2);
    expect(notices[1].text).toContain('bob@example.com approved the request of alice@example.com for roles/compute.admin on the Google Cloud project prod-app; it is granted.');
    expect(notices[1].headers['in-reply-to']).toBe(notices[0].headers['message-id']);
    // security@ is named by another rule: it hears nothing of compute.
    expect(mailTo('security@example.com')).toEqual([]);
  });

  test('a denial reaches the extra recipients with its reason', async () => {
    expect((await requestCompute('CHG-1234 quota')).status).toBe(201);
    const token = /\/approve\/([A-Za-z0-9_~-]+)/.exec(mailTo('bob@example.com').at(-1)!.text)![1];
    expect((await stack.as('bob@example.com').post(`/api/v1/approval-requests/${token}/deny`, { reason: 'Use the quota tool' })).status).toBe(200);
    const denied = mailTo('sre-leads@example.com').at(-1)!;
    expect(denied.text).toContain('bob@example.com denied the request of alice@example.com');
    expect(denied.text).toContain('Reason: Use the quota tool');
  });
});
