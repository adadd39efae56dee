// The HTTP API as typed functions. Shapes come from the server's schemas (types only, never code),
// so a change there that the SPA does not follow fails the type-check.
import type {
  AdminAlertsResponse,
  AdminChartsResponse,
  AdminElevation,
  AdminElevationsResponse,
  AdminHistoryResponse,
  RevokeGrantResponse,
  StandingPrivilegesResponse,
  ActivationRequestBody,
  ActivationResponse,
  ActiveGrant,
  ApprovalRequestBody,
  ApprovalRequestCreatedResponse,
  ApprovalRequestStatusResponse,
  ApprovalRequestView,
  ApprovalResponse,
  BreakGlassBody,
  BreakGlassCaseResponse,
  BreakGlassResponse,
  BreakGlassReviewBody,
  BreakGlassReviewItem,
  BreakGlassReviewResponse,
  RequestDecisionResponse,
  EndGrantBody,
  EndGrantResponse,
  ExtendGrantBody,
  ExtendGrantResponse,
  ExtensionRequestBody,
  MeResponse,
  MyGrantsResponse,
  MyRequestsResponse,
  MyReviewsResponse,
  LoggedRequestView,
  ReviewItem,
  RequestTokenResponse,
  ProjectsResponse,
  ReviewersResponse,
  RolesResponse,
  ScheduledActivationResponse,
  ScheduledGrant,
  CancelScheduledResponse,
} from '../../server/api/schemas';

export type { AdminAlertsResponse } from '../../server/api/schemas';
export type { AdminChartsResponse, AdminElevation, AdminElevationsResponse, AdminHistoryResponse, RevokeGrantResponse, StandingPrivilegesResponse };
export type { LoggedRequestView, MyRequestsResponse, MyReviewsResponse, ReviewItem };
export type { ScheduledActivationResponse, ScheduledGrant };
export type { ActivationResponse, ActiveGrant, ApprovalRequestCreatedResponse, ApprovalRequestStatusResponse, ApprovalRequestView, ApprovalResponse, RequestDecisionResponse };
export type { BreakGlassCaseResponse, BreakGlassResponse, BreakGlassReviewItem, BreakGlassReviewResponse };

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
  const response = await send(method, path, body);
  const text = await response.text();
  const parsed = parseJson(text);
  if (!response.ok) throw errorOf(response, parsed);
  return parsed as T;
}

/** A file the API answers (a CSV export), with the name the server gives it. */
async function download(path: string): Promise<{ blob: Blob; filename: string }> {
  const response = await send('GET', path);
  if (!response.ok) throw errorOf(response, parseJson(await response.text()));
  const filename = /filename="([^"]+)"/.exec(response.headers.get('Content-Disposition') ?? '')?.[1] ?? 'download';
  return { blob: await response.blob(), filename };
}

async function send(method: string, path: string, body?: unknown): Promise<Response> {
  try {
    return await fetch(`/api/v1${path}`, {
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
const breakGlass = (id: string) => `/break-glass/${encodeURIComponent(id)}`;

/** Filters as a query string, leaving out the empty ones. */
export function queryOf(filter: Record<string, string | undefined>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(filter)) if (value) params.set(key, value);
  const text = params.toString();
  return text ? `?${text}` : '';
}

export const api = {
  me: () => call<MeResponse>('GET', '/me'),
  projects: () => call<ProjectsResponse>('GET', '/projects'),
  roles: (projectId: string) => call<RolesResponse>('GET', `${project(projectId)}/roles`),
  activate: (projectId: string, body: ActivationRequestBody) => call<ActivationResponse>('POST', `${project(projectId)}/activations`, body),
  /** An activation with a later start (`body.start`): recorded, granted at the start. */
  scheduleActivation: (projectId: string, body: ActivationRequestBody & { start: string }) => call<ScheduledActivationResponse>('POST', `${project(projectId)}/activations`, body),
  cancelScheduled: (scheduledId: string) => call<CancelScheduledResponse>('DELETE', `/me/scheduled/${encodeURIComponent(scheduledId)}`),
  reviewers: (projectId: string, roleId: string) => call<ReviewersResponse>('GET', `${project(projectId)}/reviewers?role=${encodeURIComponent(roleId)}`),
  requestApproval: (projectId: string, body: ApprovalRequestBody) => call<ApprovalRequestCreatedResponse>('POST', `${project(projectId)}/approval-requests`, body),
  approvalRequest: (token: string) => call<ApprovalRequestStatusResponse>('GET', approvalRequest(token)),
  approve: (token: string) => call<ApprovalResponse>('POST', `${approvalRequest(token)}/approve`, {}),
  deny: (token: string, reason: string) => call<RequestDecisionResponse>('POST', `${approvalRequest(token)}/deny`, { reason }),
  cancel: (token: string) => call<RequestDecisionResponse>('POST', `${approvalRequest(token)}/cancel`, {}),
  myGrants: () => call<MyGrantsResponse>('GET', '/me/grants'),
  myReviews: () => call<MyReviewsResponse>('GET', '/me/reviews'),
  myRequests: () => call<MyRequestsResponse>('GET', '/me/requests'),
  /** The token of a pending request, for its requester or a reviewer, without the email. */
  requestToken: (requestId: string) => call<RequestTokenResponse>('POST', '/approval-request-tokens', { requestId }),
  endGrant: (id: string, body: EndGrantBody) => call<EndGrantResponse>('DELETE', grant(id), body),
  extendGrant: (id: string, body: ExtendGrantBody) => call<ExtendGrantResponse>('POST', `${grant(id)}/extend`, body),
  /** Asks the approvers of a grant that needs approval to extend it. */
  requestExtension: (id: string, body: ExtensionRequestBody) => call<ApprovalRequestCreatedResponse>('POST', `${grant(id)}/extension-requests`, body),
  adminElevations: (filter: Record<string, string | undefined>) => call<AdminElevationsResponse>('GET', `/admin/elevations${queryOf(filter)}`),
  revokeGrant: (elevation: AdminElevation, reason: string) => call<RevokeGrantResponse>('POST', '/admin/revocations', { user: elevation.user, grantId: elevation.id, reason }),
  adminHistory: (filter: Record<string, string | undefined>) => call<AdminHistoryResponse>('GET', `/admin/history${queryOf(filter)}`),
  adminHistoryCsv: (filter: Record<string, string | undefined>) => download(`/admin/history.csv${queryOf(filter)}`),
  standingPrivileges: () => call<StandingPrivilegesResponse>('GET', '/admin/standing-privileges'),
  adminAlerts: (days: number) => call<AdminAlertsResponse>('GET', `/admin/alerts?days=${days}`),
  adminCharts: (period: { from?: string; to?: string }) => call<AdminChartsResponse>('GET', `/admin/charts${queryOf(period)}`),
  breakGlass: (projectId: string, body: BreakGlassBody) => call<BreakGlassResponse>('POST', `${project(projectId)}/break-glass`, body),
  breakGlassCase: (id: string) => call<BreakGlassCaseResponse>('GET', breakGlass(id)),
  reviewBreakGlass: (id: string, body: BreakGlassReviewBody) => call<BreakGlassReviewResponse>('POST', `${breakGlass(id)}/review`, body),
};
