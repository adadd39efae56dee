// The OpenAPI 3.1 description of the HTTP API, generated from the zod schemas of ./schemas (JSON Schema
// 2020-12, which OpenAPI 3.1 uses as is). The routes are listed here once, by the schemas they read and
// answer; nothing else about their shapes is written by hand. Served at /api/openapi.json and committed
// as docs/openapi.json (`npm run openapi` rewrites it; a test fails when the two drift).
import { z } from 'zod';
import * as api from './schemas';

type Method = 'get' | 'post' | 'delete';
type JsonSchema = Record<string, unknown>;

interface Operation {
  method: Method;
  /** OpenAPI template: `/api/v1/projects/{projectId}/roles`. */
  path: string;
  operationId: string;
  summary: string;
  pathParams?: Record<string, z.ZodType>;
  query?: z.ZodType;
  body?: z.ZodType;
  /** Status → name of a component schema (see COMPONENTS), or a text media type. Errors are the `default` answer of every route. */
  responses: Record<number, string>;
  /** `tasks` routes are called by a scheduler, health checks by anyone, both outside IAP; the document itself needs no CSRF header. */
  caller?: 'iap' | 'iap-read-only' | 'scheduler' | 'anyone';
}

/** This document's own shape, as far as a client needs to know it. */
const openApiDocumentSchema = z.looseObject({ openapi: z.string(), info: z.looseObject({ title: z.string(), version: z.string() }), paths: z.record(z.string(), z.unknown()) });

/** Response schemas, by the component name the document gives them. */
const COMPONENTS: Record<string, z.ZodType> = {
  Error: api.errorResponse,
  OpenApiDocument: openApiDocumentSchema,
  Me: api.meResponse,
  Projects: api.projectsResponse,
  Roles: api.rolesResponse,
  Activation: api.activationResponse,
  ScheduledActivation: api.scheduledActivationResponse,
  CancelledScheduledGrant: api.cancelScheduledResponse,
  MyGrants: api.myGrantsResponse,
  EndedGrant: api.endGrantResponse,
  ExtendedGrant: api.extendGrantResponse,
  Reviewers: api.reviewersResponse,
  ApprovalRequestCreated: api.approvalRequestCreatedResponse,
  ApprovalRequestStatus: api.approvalRequestStatusResponse,
  Approval: api.approvalResponse,
  RequestDecision: api.requestDecisionResponse,
  MyReviews: api.myReviewsResponse,
  MyRequests: api.myRequestsResponse,
  RequestToken: api.requestTokenResponse,
  Cleanup: api.cleanupResponse,
  Workflows: api.workflowsResponse,
  AdminMe: api.adminMeResponse,
  AdminElevations: api.adminElevationsResponse,
  Revocation: api.revokeGrantResponse,
  AdminHistory: api.adminHistoryResponse,
  StandingPrivileges: api.standingPrivilegesResponse,
  AdminAlerts: api.adminAlertsResponse,
  AdminCharts: api.adminChartsResponse,
  BreakGlass: api.breakGlassResponse,
  BreakGlassCase: api.breakGlassCaseResponse,
  BreakGlassReview: api.breakGlassReviewResponse,
  Alive: api.aliveResponse,
  Readiness: api.readinessResponse,
};

const projectId = { projectId: api.projectIdParam };
const grantId = { grantId: api.grantIdParam };
const token = { token: api.approvalTokenParam };
const breakGlassId = { activationId: api.breakGlassIdParam };

export const OPERATIONS: Operation[] = [
  { method: 'get', path: '/api/openapi.json', operationId: 'getOpenApiDocument', summary: 'This document', responses: { 200: 'OpenApiDocument' }, caller: 'iap-read-only' },
  { method: 'get', path: '/api/v1/me', operationId: 'getMe', summary: 'The signed-in principal and the settings clients need', responses: { 200: 'Me' } },
  { method: 'get', path: '/api/v1/projects', operationId: 'listProjects', summary: 'Projects where the caller holds an eligible role', responses: { 200: 'Projects' } },
  { method: 'get', path: '/api/v1/projects/{projectId}/roles', operationId: 'listRoles', summary: "The caller's eligible roles on a project and their status", pathParams: projectId, responses: { 200: 'Roles' } },
  {
    method: 'post',
    path: '/api/v1/projects/{projectId}/activations',
    operationId: 'activate',
    summary: 'Activate self-approval roles at once (201), or from a later start where the rule allows it (202: scheduled)',
    pathParams: projectId,
    body: api.activationRequestBody,
    responses: { 201: 'Activation', 202: 'ScheduledActivation' },
  },
  { method: 'get', path: '/api/v1/projects/{projectId}/reviewers', operationId: 'listReviewers', summary: 'Who may approve a role that needs approval (its peers, or its rule\'s designated approvers)', pathParams: projectId, query: api.reviewersQuery, responses: { 200: 'Reviewers' } },
  {
    method: 'post',
    path: '/api/v1/projects/{projectId}/approval-requests',
    operationId: 'requestApproval',
    summary: 'Ask reviewers to approve a role that needs approval',
    pathParams: projectId,
    body: api.approvalRequestBody,
    responses: { 201: 'ApprovalRequestCreated' },
  },
  { method: 'get', path: '/api/v1/approval-requests/{token}', operationId: 'getApprovalRequest', summary: 'An approval request and its status', pathParams: token, responses: { 200: 'ApprovalRequestStatus' } },
  { method: 'post', path: '/api/v1/approval-requests/{token}/approve', operationId: 'approve', summary: 'Approve a request: the grant is written once the required approvals are in', pathParams: token, responses: { 200: 'Approval' } },
  { method: 'post', path: '/api/v1/approval-requests/{token}/deny', operationId: 'deny', summary: 'Deny a request, with a reason (reviewers)', pathParams: token, body: api.denyBody, responses: { 200: 'RequestDecision' } },
  { method: 'post', path: '/api/v1/approval-requests/{token}/cancel', operationId: 'cancel', summary: 'Withdraw a pending request (the requester)', pathParams: token, responses: { 200: 'RequestDecision' } },
  {
    method: 'post',
    path: '/api/v1/projects/{projectId}/break-glass',
    operationId: 'breakGlass',
    summary: 'Activate a role that needs approval at once, where its rule allows break-glass: with a reason, for at most the break-glass duration; reviewed afterwards',
    pathParams: projectId,
    body: api.breakGlassBody,
    responses: { 201: 'BreakGlass' },
  },
  { method: 'get', path: '/api/v1/break-glass/{activationId}', operationId: 'getBreakGlass', summary: 'A break-glass activation and its review (its user and reviewers)', pathParams: breakGlassId, responses: { 200: 'BreakGlassCase' } },
  {
    method: 'post',
    path: '/api/v1/break-glass/{activationId}/review',
    operationId: 'reviewBreakGlass',
    summary: 'Acknowledge or flag a break-glass activation, once (its reviewers)',
    pathParams: breakGlassId,
    body: api.breakGlassReviewBody,
    responses: { 200: 'BreakGlassReview' },
  },
  { method: 'get', path: '/api/v1/me/reviews', operationId: 'listMyReviews', summary: 'Requests waiting for my decision, those I decided in the last 7 days, and break-glass activations waiting for my review (from the audit log)', responses: { 200: 'MyReviews' } },
  { method: 'get', path: '/api/v1/me/requests', operationId: 'listMyRequests', summary: 'My requests of the last 7 days and their status (from the audit log)', responses: { 200: 'MyRequests' } },
  {
    method: 'post',
    path: '/api/v1/approval-request-tokens',
    operationId: 'reissueRequestToken',
    summary: "A pending request's token for its requester or a reviewer, without the email",
    body: api.requestTokenBody,
    responses: { 200: 'RequestToken' },
  },
  { method: 'get', path: '/api/v1/me/grants', operationId: 'listMyGrants', summary: "The caller's grants in force, and those scheduled to start later", responses: { 200: 'MyGrants' } },
  { method: 'delete', path: '/api/v1/me/scheduled/{scheduledId}', operationId: 'cancelScheduledGrant', summary: 'Cancel a grant scheduled to start later', pathParams: { scheduledId: api.scheduledIdParam }, responses: { 200: 'CancelledScheduledGrant' } },
  { method: 'delete', path: '/api/v1/me/grants/{grantId}', operationId: 'endGrant', summary: 'End a grant now', pathParams: grantId, body: api.endGrantBody, responses: { 200: 'EndedGrant' } },
  { method: 'post', path: '/api/v1/me/grants/{grantId}/extend', operationId: 'extendGrant', summary: 'Extend a self-approved grant', pathParams: grantId, body: api.extendGrantBody, responses: { 200: 'ExtendedGrant' } },
  {
    method: 'post',
    path: '/api/v1/me/grants/{grantId}/extension-requests',
    operationId: 'requestExtension',
    summary: "Ask a role's approvers to extend a grant that needs approval: approved, the grant ends the duration later than it does now",
    pathParams: grantId,
    body: api.extensionRequestBody,
    responses: { 201: 'ApprovalRequestCreated' },
  },
  { method: 'get', path: '/api/v1/admin/me', operationId: 'getAdminMe', summary: "The caller's admin role (403 for others)", responses: { 200: 'AdminMe' } },
  { method: 'get', path: '/api/v1/admin/elevations', operationId: 'listElevations', summary: 'Active elevations across the scope, filterable (admins and auditors)', query: api.adminElevationsQuery, responses: { 200: 'AdminElevations' } },
  { method: 'post', path: '/api/v1/admin/revocations', operationId: 'revokeGrant', summary: "Revoke one user's grant with a reason (admins)", body: api.revokeGrantBody, responses: { 200: 'Revocation' } },
  { method: 'get', path: '/api/v1/admin/standing-privileges', operationId: 'standingPrivileges', summary: 'Permanent bindings that shadow eligible ones, and privileged roles held permanently (admins and auditors)', responses: { 200: 'StandingPrivileges' } },
  { method: 'get', path: '/api/v1/admin/history', operationId: 'listHistory', summary: 'The audit history, filterable (admins and auditors)', query: api.adminHistoryQuery, responses: { 200: 'AdminHistory' } },
  { method: 'get', path: '/api/v1/admin/charts', operationId: 'adminCharts', summary: 'Elevations, hours held and time to approval per day, from the audit log (admins and auditors)', query: api.adminChartsQuery, responses: { 200: 'AdminCharts' } },
  { method: 'get', path: '/api/v1/admin/history.csv', operationId: 'exportHistory', summary: 'The same history as CSV', query: api.adminHistoryQuery, responses: { 200: 'text/csv' } },
  { method: 'get', path: '/api/v1/admin/alerts', operationId: 'listAlerts', summary: 'Alerts: frequent activations, break-glass outside change windows or not reviewed in time, activation bindings written outside the service (admins and auditors)', query: api.adminAlertsQuery, responses: { 200: 'AdminAlerts' } },
  { method: 'get', path: '/health/alive', operationId: 'alive', summary: 'Liveness: the process answers', responses: { 200: 'Alive' }, caller: 'anyone' },
  { method: 'get', path: '/health/ready', operationId: 'ready', summary: 'Readiness: the settings in force and whether the Google endpoints answer (503 when one does not)', responses: { 200: 'Readiness', 503: 'Readiness' }, caller: 'anyone' },
  { method: 'get', path: '/tasks/cleanup', operationId: 'runCleanupFromCron', summary: 'Remove expired activations (App Engine cron)', query: api.cleanupQuery, responses: { 200: 'Cleanup' }, caller: 'scheduler' },
  { method: 'post', path: '/tasks/cleanup', operationId: 'runCleanup', summary: 'Remove expired activations (Cloud Scheduler)', query: api.cleanupQuery, responses: { 200: 'Cleanup' }, caller: 'scheduler' },
  { method: 'get', path: '/tasks/workflows', operationId: 'runWorkflowsFromCron', summary: 'Run the workflow passes: escalations, reminders (App Engine cron)', query: api.workflowsQuery, responses: { 200: 'Workflows' }, caller: 'scheduler' },
  { method: 'post', path: '/tasks/workflows', operationId: 'runWorkflows', summary: 'Run the workflow passes: escalations, reminders (Cloud Scheduler)', query: api.workflowsQuery, responses: { 200: 'Workflows' }, caller: 'scheduler' },
];

/** One schema as JSON Schema, without the `$schema` line (the document declares its dialect once). */
function jsonSchemaOf(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, target: 'draft-2020-12' }) as JsonSchema;
  return rest;
}

function parametersOf(op: Operation): JsonSchema[] {
  const path = Object.entries(op.pathParams ?? {}).map(([name, schema]) => ({ name, in: 'path', required: true, schema: jsonSchemaOf(schema, 'input') }));
  if (!op.query) return path;
  const query = jsonSchemaOf(op.query, 'input') as { properties: Record<string, JsonSchema>; required?: string[] };
  return [
    ...path,
    ...Object.entries(query.properties).map(([name, schema]) => ({ name, in: 'query', required: (query.required ?? []).includes(name), schema })),
  ];
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: JsonSchema) => ({ 'application/json': { schema } });

function operationObject(op: Operation): JsonSchema {
  const parameters = parametersOf(op);
  return {
    operationId: op.operationId,
    summary: op.summary,
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(op.body ? { requestBody: { required: op.method !== 'delete', content: json(jsonSchemaOf(op.body, 'input')) } } : {}),
    responses: {
      ...Object.fromEntries(
        Object.entries(op.responses).map(([status, name]) => [status, { description: name, content: name.startsWith('text/') ? { [name]: { schema: { type: 'string' } } } : json(ref(name)) }]),
      ),
      default: { description: 'An error: the status and `error.code` say what kind, `error.message` what is wrong and what to do.', content: json(ref('Error')) },
    },
    security: SECURITY[op.caller ?? 'iap'],
  };
}

const SECURITY = {
  iap: [{ iapIdToken: [], csrfHeader: [] }],
  'iap-read-only': [{ iapIdToken: [] }],
  scheduler: [{ schedulerIdToken: [] }, { appEngineCron: [] }],
  anyone: [],
};

function buildDocument(): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const op of OPERATIONS) (paths[op.path] ??= {})[op.method] = operationObject(op);
  return {
    openapi: '3.1.0',
    info: {
      title: 'JIT Access API',
      version: 'v1',
      description: 'Just-in-time privileged access for Google Cloud. Every /api request passes Identity-Aware Proxy and carries the header X-JITACCESS: 1. See docs/api.md.',
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    paths,
    components: {
      schemas: Object.fromEntries(Object.entries(COMPONENTS).map(([name, schema]) => [name, jsonSchemaOf(schema, 'output')])),
      securitySchemes: {
        iapIdToken: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: "An OpenID Connect ID token whose audience is IAP's OAuth client id (IAP programmatic access); IAP checks it and forwards the request with x-goog-iap-jwt-assertion.",
        },
        csrfHeader: { type: 'apiKey', in: 'header', name: 'X-JITACCESS', description: 'Must be 1: forces a CORS preflight, so other sites cannot call the API from a browser.' },
        schedulerIdToken: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'A Google-signed OIDC ID token of CLEANUP_INVOKER_SERVICE_ACCOUNT (Cloud Scheduler).' },
        appEngineCron: { type: 'apiKey', in: 'header', name: 'X-Appengine-Cron', description: 'Set by App Engine cron; trusted only on App Engine.' },
      },
    },
  };
}

let document: JsonSchema | undefined;

/** Built on first use and kept: the schemas do not change while the process runs. */
export function openApiDocument(): JsonSchema {
  document ??= buildDocument();
  return document;
}

/** The committed form of the document (docs/openapi.json): two-space indents and a final newline. */
export function openApiText(doc: JsonSchema): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}
