// The HTTP API as typed functions. Shapes come from the server's schemas (types only, never code),
// so a change there that the SPA does not follow fails the type-check.
import type {
  ActivationRequestBody,
  ActivationResponse,
  ActiveGrant,
  ApprovalRequestBody,
  ApprovalRequestCreatedResponse,
  ApprovalRequestStatusResponse,
  ApprovalRequestView,
  ApprovalResponse,
  RequestDecisionResponse,
  EndGrantBody,
  EndGrantResponse,
  ExtendGrantBody,
  ExtendGrantResponse,
  MeResponse,
  MyGrantsResponse,
  ProjectsResponse,
  ReviewersResponse,
  RolesResponse,
} from '../../server/api/schemas';

export type { ActivationResponse, ActiveGrant, ApprovalRequestCreatedResponse, ApprovalRequestStatusResponse, ApprovalRequestView, ApprovalResponse, RequestDecisionResponse };

/** A failed call, with the server's own explanation when there is one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch(`/api/v1${path}`, {
      method,
      headers: {
        // Without it the server refuses the call (protection against cross-site requests).
        'X-JITACCESS': '1',
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
    });
  } catch {
    throw new ApiError(0, 'NETWORK', 'The service could not be reached. Check your network connection.');
  }
  const text = await response.text();
  const parsed = parseJson(text);
  if (!response.ok) throw errorOf(response, parsed);
  return parsed as T;
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function errorOf(response: Response, body: unknown): ApiError {
  const error = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  if (error && typeof error.message === 'string') {
    return new ApiError(response.status, String(error.code ?? response.status), error.message);
  }
  return new ApiError(response.status, String(response.status), `The service answered HTTP ${response.status} ${response.statusText}`.trim() + '.');
}

const project = (projectId: string) => `/projects/${encodeURIComponent(projectId)}`;
const approvalRequest = (token: string) => `/approval-requests/${encodeURIComponent(token)}`;
const grant = (id: string) => `/me/grants/${encodeURIComponent(id)}`;

export const api = {
  me: () => call<MeResponse>('GET', '/me'),
  projects: () => call<ProjectsResponse>('GET', '/projects'),
  roles: (projectId: string) => call<RolesResponse>('GET', `${project(projectId)}/roles`),
  activate: (projectId: string, body: ActivationRequestBody) => call<ActivationResponse>('POST', `${project(projectId)}/activations`, body),
  reviewers: (projectId: string, roleId: string) => call<ReviewersResponse>('GET', `${project(projectId)}/reviewers?role=${encodeURIComponent(roleId)}`),
  requestApproval: (projectId: string, body: ApprovalRequestBody) => call<ApprovalRequestCreatedResponse>('POST', `${project(projectId)}/approval-requests`, body),
  approvalRequest: (token: string) => call<ApprovalRequestStatusResponse>('GET', approvalRequest(token)),
  approve: (token: string) => call<ApprovalResponse>('POST', `${approvalRequest(token)}/approve`, {}),
  deny: (token: string, reason: string) => call<RequestDecisionResponse>('POST', `${approvalRequest(token)}/deny`, { reason }),
  cancel: (token: string) => call<RequestDecisionResponse>('POST', `${approvalRequest(token)}/cancel`, {}),
  myGrants: () => call<MyGrantsResponse>('GET', '/me/grants'),
  endGrant: (id: string, body: EndGrantBody) => call<EndGrantResponse>('DELETE', grant(id), body),
  extendGrant: (id: string, body: ExtendGrantBody) => call<ExtendGrantResponse>('POST', `${grant(id)}/extend`, body),
};
