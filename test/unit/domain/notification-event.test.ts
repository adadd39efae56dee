import { activationApprovedEvent, requestActivationEvent, requestDecisionEvent, selfApprovedEvent } from '../../../server/domain/notification-event';
import type { ApprovalRequest } from '../../../server/domain/approval-request';

const request: ApprovalRequest = {
  id: 'mpa-AAAAAAAAAAAAAAAA',
  beneficiary: 'alice@example.com',
  reviewers: ['bob@example.com', 'carol@example.com'],
  entitlement: { projectId: 'prod-app', role: 'roles/storage.admin', resourceCondition: 'resource.name.startsWith("projects/_/buckets/logs")' },
  justification: 'INC-1',
  start: new Date('2023-11-28T22:13:44Z'),
  end: new Date('2023-11-28T22:43:44Z'),
  windowFromApproval: false,
  requiredApprovals: 1,
  bindingType: 'peer',
  issuedAt: new Date('2023-11-28T22:13:44Z'),
  expiresAt: new Date('2023-11-28T22:43:44.500Z'),
};

describe('Pub/Sub events of the request lifecycle (this service\'s own types)', () => {
  test('RequestDenied carries who denied, why, and the approvals so far', () => {
    expect(requestDecisionEvent({ ...request, requiredApprovals: 2 }, 'RequestDenied', { actor: 'bob@example.com', approvals: 1, reason: 'freeze' }, 'https://jit.example.com')).toEqual({
      type: 'RequestDenied',
      attributes: expect.objectContaining({
        actor: 'bob@example.com',
        beneficiary: 'alice@example.com',
        request_id: 'mpa-AAAAAAAAAAAAAAAA',
        approvals: '1',
        required_approvals: '2',
        reason: 'freeze',
        base_url: 'https://jit.example.com/',
      }),
    });
    expect(requestDecisionEvent(request, 'RequestCancelled', { actor: 'alice@example.com', approvals: 0 }, 'https://jit.example.com').attributes).not.toHaveProperty('reason');
  });
});

describe('Pub/Sub events (jit-access 1.x format, reference §8.6)', () => {
  test('RequestActivation', () => {
    const jwt = 'eyAAA.eyBBB.CCC';
    expect(requestActivationEvent(request, 'https://jit.example.com', jwt)).toEqual({
      type: 'RequestActivation',
      attributes: {
        beneficiary: 'alice@example.com',
        reviewers: ['bob@example.com', 'carol@example.com'],
        project_id: 'prod-app',
        role: 'roles/storage.admin',
        resource_condition: 'resource.name.startsWith("projects/_/buckets/logs")',
        start_time: '2023-11-28T22:13:44Z',
        end_time: '2023-11-28T22:43:44Z',
        request_expiry_time: '2023-11-28T22:43:44.500Z',
        justification: 'INC-1',
        // jit-access 1.x's forms: the trailing slash, and its link to the app's root (issue 13).
        base_url: 'https://jit.example.com/',
        action_url: 'https://jit.example.com/?activation=AAA~~BBB~CCC&projectId=prod-app',
      },
    });
  });

  test('ActivationApproved names the approver; no resource condition is an empty string', () => {
    const event = activationApprovedEvent({ ...request, entitlement: { ...request.entitlement, resourceCondition: null } }, 'bob@example.com', 'https://jit.example.com');
    expect(event.type).toBe('ActivationApproved');
    expect(event.attributes).toMatchObject({ approver: 'bob@example.com', resource_condition: '', base_url: 'https://jit.example.com/' });
    expect(event.attributes).not.toHaveProperty('action_url');
  });

  test('ActivationSelfApproved joins the roles', () => {
    const event = selfApprovedEvent({
      beneficiary: 'alice@example.com',
      projectId: 'prod-app',
      roles: ['roles/compute.viewer', 'roles/cloudsql.admin'],
      start: request.start,
      end: request.end,
      justification: 'INC-2',
    });
    expect(event).toEqual({
      type: 'ActivationSelfApproved',
      attributes: {
        beneficiary: 'alice@example.com',
        project_id: 'prod-app',
        role: 'roles/compute.viewer, roles/cloudsql.admin',
        start_time: '2023-11-28T22:13:44Z',
        end_time: '2023-11-28T22:43:44Z',
        justification: 'INC-2',
      },
    });
  });
});
