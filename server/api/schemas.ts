// The HTTP API's shapes, as zod schemas: requests are parsed with them, responses checked against them,
// and web/ imports their types (`import type`) so the SPA and the server cannot drift apart.
import { z } from 'zod';

/** Emails are compared lower-cased everywhere, as IAM and jit-access do. */
const email = z
  .string()
  .trim()
  .max(254)
  .regex(/^[^\s@<>"'\\,;:]+@[^\s@<>"'\\,;:]+\.[^\s@<>"'\\,;:]+$/, 'must be an email address')
  .transform((e) => e.toLowerCase());

export const projectIdParam = z.string().regex(/^[a-z][-a-z0-9]{4,28}[a-z0-9]$/, 'is not a valid project id');

const instant = z.string().describe('RFC 3339 UTC timestamp');

export const activationTypeSchema = z.enum(['self', 'peer']);

/** `admin` reads and revokes in the Admin area; `auditor` only reads. */
export const adminRoleSchema = z.enum(['admin', 'auditor']);

export const meResponse = z.object({
  user: z.object({ email: z.string() }),
  settings: z.object({
    justificationHint: z.string(),
    justificationPattern: z.string(),
    justificationMaxLength: z.number().int(),
    defaultDurationMinutes: z.number().int(),
    maxDurationMinutes: z.number().int(),
    maxRolesPerRequest: z.number().int(),
    minReviewers: z.number().int(),
    maxReviewers: z.number().int(),
    requestTimeoutMinutes: z.number().int(),
  }),
  version: z.string(),
  /**
   * The caller's role in the Admin area, to show its link (null: none). Decided on cached group memberships,
   * so it may be minutes behind; the admin routes decide on fresh ones.
   */
  adminRole: adminRoleSchema.nullable(),
});

export const projectsResponse = z.object({
  projects: z.array(
    z.object({
      id: z.string(),
      /** The project's name in Resource Manager, when it has one. */
      displayName: z.string().optional(),
    }),
  ),
  /** What could not be read (a group of another organization, an incomplete analysis); the list may lack projects. */
  warnings: z.array(z.string()),
});

/** What the access policy demands of a role (docs/access-policy.md); `rule` null = no rule matched. */
export const rolePolicySchema = z.object({
  rule: z.string().nullable(),
  /** The demands in words, e.g. "2 approvals from db-leads@example.com · up to 4 h · ticket required". */
  summary: z.string(),
  approval: z.object({
    kind: z.enum(['self', 'peers', 'approvers']),
    requiredApprovals: z.number().int(),
    /** Designated approvers (`user:`/`group:`), for kind approvers. */
    approvers: z.array(z.string()),
  }),
  maxDurationMinutes: z.number().int(),
  defaultDurationMinutes: z.number().int().nullable(),
  justification: z.object({ pattern: z.string(), hint: z.string() }),
  ticket: z.object({ pattern: z.string(), hint: z.string().nullable() }).nullable(),
  schedule: z
    .object({ timeZone: z.string(), windows: z.array(z.string()), outside: z.enum(['deny', 'requireApproval']), insideNow: z.boolean() })
    .nullable(),
  maxActiveGrantsPerUser: z.number().int().nullable(),
  breakGlass: z.object({ available: z.boolean(), maxDurationMinutes: z.number().int(), reviewers: z.array(z.string()) }).nullable(),
  /** How far ahead a grant may be asked to start (`scheduling.maxDelay`); null: grants start at once. */
  scheduling: z.object({ maxDelayMinutes: z.number().int() }).nullable(),
  /** Where the rule asked for less than the binding or the schedule demand, and was overruled. */
  notes: z.array(z.string()),
});

export const roleSchema = z.object({
  id: z.string(),
  projectId: z.string(),
  role: z.string(),
  resourceCondition: z.string().nullable(),
  activationType: activationTypeSchema,
  /** The role's title and description in IAM (predefined or custom), when IAM gives them. */
  title: z.string().optional(),
  description: z.string().optional(),
  /** `pending` while a request of the caller for the role waits for its reviewers (and the role is not active). */
  status: z.enum(['eligible', 'active', 'pending']),
  activeUntil: instant.nullable(),
  /** The caller's pending request for the role, as the audit log tells it (see GET /me/requests); null when none. */
  pendingRequest: z
    .object({
      id: z.string(),
      approvals: z.array(z.object({ approver: z.string(), at: instant })),
      requiredApprovals: z.number().int(),
      expiresAt: instant,
    })
    .nullable(),
  /** Present when the service runs with an access policy (ACCESS_POLICY). */
  policy: rolePolicySchema.optional(),
});

export const rolesResponse = z.object({ roles: z.array(roleSchema), warnings: z.array(z.string()) });

/** A start in the future, as an RFC 3339 timestamp with a time zone (`2040-01-01T09:00:00Z`, `…+01:00`). */
export const startInstant = z.iso
  .datetime({ offset: true, error: 'must be an RFC 3339 timestamp with a time zone, such as 2040-01-01T09:00:00Z' })
  .describe('When the grant starts, later than now and at most the rule\'s scheduling.maxDelay ahead; absent = at once.');

export const activationRequestBody = z
  .object({
    roles: z.array(z.string().min(1).max(2000)).min(1, 'must name at least one role'),
    justification: z.string().max(10_000),
    durationMinutes: z.number().int('must be a whole number of minutes'),
    start: startInstant.optional(),
  })
  .strict();

/** A role of a scheduled grant; `conditional` when its eligible binding is limited by a resource condition. */
const scheduledRoleSchema = z.object({ role: z.string(), conditional: z.boolean() });

/** An activation with a later start (202): recorded, granting nothing until `start`, when eligibility and the rule are checked again. */
export const scheduledActivationResponse = z.object({
  /** What DELETE /api/v1/me/scheduled/{scheduledId} cancels it by. */
  scheduledId: z.string(),
  activationId: z.string(),
  projectId: z.string(),
  user: z.string(),
  justification: z.string(),
  roles: z.array(scheduledRoleSchema),
  start: instant,
  end: instant,
});

export const grantSchema = z.object({
  id: z.string(),
  role: z.string(),
  resourceCondition: z.string().nullable(),
  /** The grant in force after the request: the new one, or the one kept (outcome `kept`). */
  start: instant,
  end: instant,
  /**
   * `granted`: the user held no grant of the role in force; `extended`: a grant in force ended earlier and
   * was replaced by this one; `kept`: a grant in force already lasted as long or longer, and was left as
   * it is (a request never shortens a grant: end it first to shorten it).
   */
  outcome: z.enum(['granted', 'extended', 'kept']),
  /** When the grant in force before the request ended, or null when there was none. */
  previousEnd: instant.nullable(),
});

export const activationResponse = z.object({
  activationId: z.string(),
  projectId: z.string(),
  user: z.string(),
  justification: z.string(),
  grants: z.array(grantSchema),
  /** Notifications that could not be sent; the grant stands regardless. */
  notificationFailures: z.array(z.string()),
});

export const errorResponse = z.object({ error: z.object({ code: z.string(), message: z.string() }).passthrough() });

// --- My grants (/api/v1/me/grants) ---

export const grantIdParam = z
  .string()
  .max(4000, 'is too long to be a grant id')
  .regex(/^[A-Za-z0-9_-]+$/, 'is not a grant id (use an id from GET /api/v1/me/grants)');

/** Read from the binding's description; `unknown` when someone else wrote it in another form. */
export const grantApprovalSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('self'), justification: z.string() }),
  z.object({ type: z.literal('peer'), approver: z.string(), justification: z.string() }),
  /** Activated through break-glass, without the approval the rule requires; reviewed afterwards. */
  z.object({ type: z.literal('break-glass'), justification: z.string() }),
  z.object({ type: z.literal('unknown'), description: z.string().nullable() }),
]);

export const activeGrantSchema = z.object({
  id: z.string(),
  projectId: z.string(),
  role: z.string(),
  resourceCondition: z.string().nullable(),
  start: instant,
  end: instant,
  approval: grantApprovalSchema,
});

/** A grant that starts later (self-activation, or a peer request approved before its start). */
export const scheduledGrantSchema = z.object({
  scheduledId: z.string(),
  activationId: z.string(),
  projectId: z.string(),
  type: activationTypeSchema,
  justification: z.string(),
  roles: z.array(scheduledRoleSchema),
  start: instant,
  end: instant,
});

export const myGrantsResponse = z.object({
  grants: z.array(activeGrantSchema),
  /** Grants that start later, soonest first; each can be cancelled until it starts. */
  scheduled: z.array(scheduledGrantSchema),
  warnings: z.array(z.string()),
});

export const scheduledIdParam = z
  .string()
  .max(400, 'is too long to be a scheduled grant id')
  .regex(/^[A-Za-z0-9_-]+$/, 'is not a scheduled grant id (use an id from GET /api/v1/me/grants)');

export const cancelScheduledResponse = z.object({ projectId: z.string(), activationId: z.string(), roles: z.array(z.string()) });

export const endGrantBody = z
  .object({
    reason: z
      .string()
      .trim()
      .max(500)
      .regex(/^[^\p{Cc}\p{Zl}\p{Zp}]*$/u, 'must be a single line without control characters')
      .transform((r) => (r === '' ? undefined : r))
      .optional(),
  })
  .strict();

export const endGrantResponse = z.object({ ended: activeGrantSchema, endedAt: instant });

export const extendGrantBody = z
  .object({
    durationMinutes: z.number().int('must be a whole number of minutes'),
    /** Absent: the grant's own justification is kept. */
    justification: z.string().max(10_000).optional(),
  })
  .strict();

export const extendGrantResponse = z.object({ grant: activeGrantSchema, previousEnd: instant });

// --- Health (/health/alive, /health/ready), outside IAP ---

export const aliveResponse = z.object({ healthy: z.literal(true) });

/** 200 when every check passed, 503 otherwise; `configuration` is the settings in force, for operators. */
export const readinessResponse = z.object({
  healthy: z.boolean(),
  mode: z.enum(['emulator', 'google']),
  platform: z.string(),
  configuration: z.record(z.string(), z.unknown()),
  checks: z.record(z.string(), z.object({ ok: z.boolean(), detail: z.string() })),
});

// --- Sweeper (/tasks/cleanup) ---

export const cleanupQuery = z.object({ dryRun: z.enum(['true', 'false'], 'must be true or false').optional() }).strict();

export const removedActivationSchema = z.object({
  role: z.string(),
  members: z.array(z.string()),
  resourceCondition: z.string().nullable(),
  start: instant,
  end: instant,
  description: z.string().nullable(),
});

export const cleanupResponse = z.object({
  dryRun: z.boolean(),
  /** This run swept slice `index` (0-based) of `count`, which holds `projects` of the active projects. */
  slice: z.object({ index: z.number().int(), count: z.number().int(), projects: z.number().int() }),
  projectsInScope: z.number().int(),
  projectsScanned: z.number().int(),
  projects: z.array(z.object({ projectId: z.string(), removed: z.array(removedActivationSchema) })),
  /** Projects of the slice not read by this run, and why; the next run of the slice reads them. */
  skipped: z.array(z.object({ projectId: z.string(), reason: z.string() })),
  failures: z.array(z.object({ projectId: z.string(), message: z.string() })),
  /**
   * New alerts sent by this run (ALERT_EMAILS, ALERT_CHAT_CHANNELS): per destination (`email`, `chat:NAME`) the
   * ids sent; null when no destination is set, or in a dry run.
   */
  alerts: z
    .object({
      alerts: z.number().int(),
      sent: z.array(z.object({ destination: z.string(), alertIds: z.array(z.string()) })),
      failures: z.array(z.string()),
    })
    .nullable(),
  /** Break-glass activations past their review deadline, unreviewed: whose reviewers this run reminded (once), and those left for the next run. */
  breakGlassReminders: z.object({
    reminded: z.array(z.string()),
    pending: z.array(z.string()),
    failures: z.array(z.object({ activationId: z.string(), message: z.string() })),
  }),
  /**
   * Notices of pending approval requests: ids of those whose reviewers this run told that they expire soon, of
   * those whose requester it told that they expired undecided, those due but not sent (a dry run), and what
   * failed or was refused (an entry the service did not sign, or whose signed request record does not match it).
   */
  requestExpiryNotices: z.object({
    expiringSoon: z.array(z.string()),
    expired: z.array(z.string()),
    pending: z.array(z.string()),
    failures: z.array(z.object({ activationId: z.string(), message: z.string() })),
  }),
});

export const workflowsQuery = z.object({ dryRun: z.enum(['true', 'false'], 'must be true or false').optional() }).strict();

/**
 * What each pass of the workflow task did, in the order they ran: ids handled (`done`), due but left for a
 * later run (`pending`: a dry run), and what failed or was refused (`id` `*` when the whole pass failed).
 */
export const workflowsResponse = z.object({
  dryRun: z.boolean(),
  passes: z.array(
    z.object({
      name: z.string(),
      done: z.array(z.string()),
      pending: z.array(z.string()),
      failures: z.array(z.object({ id: z.string(), message: z.string() })),
    }),
  ),
});

// --- Peer approval (reviewers, approval requests) ---

export const reviewersQuery = z.object({
  role: z.string('must name the role (its id, as GET /projects/{projectId}/roles lists it)').min(1, 'must name a role').max(2000),
});

export const reviewersResponse = z.object({
  role: z.string(),
  reviewers: z.array(z.string()),
  /** Groups whose members could not be read: reviewers through them are missing from the list. */
  warnings: z.array(z.string()),
});

export const approvalRequestBody = z
  .object({
    /** The id of one peer-approval role, as GET /projects/{projectId}/roles lists it. */
    role: z.string().min(1, 'must name a role').max(2000),
    justification: z.string().max(10_000),
    durationMinutes: z.number().int('must be a whole number of minutes'),
    reviewers: z.array(email).max(1000),
    /** A later start: approved before it, the grant is scheduled for `start` + `durationMinutes`; approved after it, it starts at the approval. */
    start: startInstant.optional(),
  })
  .strict();

/** A request to extend a grant that needs approval: the time added after its end, why, and who approves. */
export const extensionRequestBody = approvalRequestBody.omit({ role: true, start: true });

/** The request token as links carry it (jit-access 1.x's obfuscated JWT; a plain JWT is accepted too). */
export const approvalTokenParam = z
  .string()
  .max(8000, 'is too long to be an approval request')
  .regex(/^[A-Za-z0-9_~.-]+$/, 'is not an approval request (open the link from the email, in full)');

export const approvalRequestSchema = z.object({
  /** `mpa-…`, the activation id that audit entries and notifications carry. */
  id: z.string(),
  projectId: z.string(),
  /** The role's id, as in the request body's `role`. */
  roleId: z.string(),
  /** The IAM role, e.g. `roles/compute.admin`. */
  role: z.string(),
  resourceCondition: z.string().nullable(),
  beneficiary: z.string(),
  reviewers: z.array(z.string()),
  justification: z.string(),
  start: instant,
  end: instant,
  durationMinutes: z.number(),
  /**
   * True for requests made by this service: the grant starts when the last required approval lands and lasts
   * `durationMinutes` (`start`/`end` are the window had it been approved at once). False for requests signed by
   * jit-access 1.x, which grant exactly `start`–`end`.
   */
  windowFromApproval: z.boolean(),
  /**
   * True for a request for a later start: `start`–`end` is the requested window. Approved before `start`, the
   * grant is scheduled for exactly that window (and granted then if the requester is still eligible); approved
   * later, it starts at the approval and lasts `durationMinutes`.
   */
  startsLater: z.boolean(),
  /** Distinct reviewers who must approve; the requester never counts. */
  requiredApprovals: z.number().int(),
  /** After this, the request can no longer be approved. */
  expiresAt: instant,
  /**
   * A request to extend a grant in force: the grant (its id, start and end when the request was made). `start`
   * is then the grant's end and `durationMinutes` the time added; approved, the grant runs from its `start` to
   * the request's `end`. The request can be approved only while the grant still ends at `end`. Null for a
   * request for a role.
   */
  extendsGrant: z.object({ id: z.string(), start: instant, end: instant }).nullable(),
});

export const requestStatusSchema = z.enum(['pending', 'approved', 'denied', 'cancelled', 'expired']);

/** A request's decisions, read from the project's IAM policy. */
export const requestStateSchema = z.object({
  /** `approved` once granted; `denied`, `cancelled` and `expired` are final too. */
  status: requestStatusSchema,
  /** Distinct approvals so far, in the order they landed. */
  approvals: z.array(z.object({ approver: z.string(), at: instant })),
  requiredApprovals: z.number().int(),
  deniedBy: z.string().nullable(),
  /** The denial's reason as IAM records it (long reasons shortened, ending in …). */
  reason: z.string().nullable(),
});

/** A denial's reason: required, one line, at most 500 characters. */
export const denyBody = z
  .object({
    reason: z
      .string('must say why the request is denied')
      .trim()
      .min(1, 'must say why the request is denied')
      .max(500, 'must be at most 500 characters')
      .regex(/^[^\p{Cc}\p{Zl}\p{Zp}]*$/u, 'must be one line of text, without line breaks or control characters'),
  })
  .strict();

/** A peer grant scheduled by the approval that completed its request before its later start. */
export const scheduledStartSchema = z.object({
  /** What the requester cancels it by: DELETE /api/v1/me/scheduled/{scheduledId}. */
  scheduledId: z.string(),
  start: instant,
  end: instant,
});

export const approvalRequestCreatedResponse = z.object({
  request: approvalRequestSchema,
  /** For the SPA's page `/approve/{token}`, where the requester can follow the request. */
  token: z.string(),
  /** `approved` when the role's rule approved the request itself (autoApprove) and the grant was written at once. */
  status: z.enum(['pending', 'approved']),
  /** The rule that approved it (`rule:NAME`); null while pending. */
  approvedBy: z.string().nullable(),
  /** The grant written when the rule approved the request itself; null while pending, or when it was scheduled. */
  grant: grantSchema.nullable(),
  /** The grant scheduled when the rule approved a request for a later start itself; else null. */
  scheduled: scheduledStartSchema.nullable(),
  /** Notifications besides the email to the reviewers that could not be sent. */
  notificationFailures: z.array(z.string()),
});

export const approvalRequestStatusResponse = requestStateSchema.extend({
  request: approvalRequestSchema,
  /** The approval that granted (the last one); null until granted. */
  approvedBy: z.string().nullable(),
  viewer: z.object({
    email: z.string(),
    isBeneficiary: z.boolean(),
    isReviewer: z.boolean(),
    /** A reviewer who has not approved yet, while the request is pending. */
    canApprove: z.boolean(),
    canDeny: z.boolean(),
    /** The requester, while the request is pending. */
    canCancel: z.boolean(),
  }),
});

export const approvalResponse = requestStateSchema.extend({
  request: approvalRequestSchema,
  /** True when the request had been granted, or this reviewer's approval recorded, before: nothing was changed. */
  alreadyApproved: z.boolean(),
  /** The approval that granted (the last one); null while approvals are missing. */
  approvedBy: z.string().nullable(),
  /** The grant in force after the approval that granted; null while approvals are missing, when it was granted before, or when it was scheduled. */
  grant: grantSchema.nullable(),
  /**
   * Set when the approval that completed a request for a later start landed before it: the grant is scheduled
   * (nothing granted yet) and starts at `start` if the requester is still eligible then; null otherwise.
   */
  scheduled: scheduledStartSchema.nullable(),
  /** Notifications that could not be sent; a decision stands regardless. */
  notificationFailures: z.array(z.string()),
});

/** The answer to a denial or a cancellation. */
export const requestDecisionResponse = requestStateSchema.extend({
  request: approvalRequestSchema,
  /** True when the same person had made the same decision before: nothing was changed. */
  alreadyDecided: z.boolean(),
  notificationFailures: z.array(z.string()),
});

// --- Inbox and my requests (/api/v1/me/reviews, /api/v1/me/requests), read from the audit log ---

/** A request as the audit log tells it; a request's own page reads its state fresh from IAM instead. */
export const loggedRequestSchema = requestStateSchema.extend({
  request: approvalRequestSchema,
  createdAt: instant,
  /** When it was granted, denied or cancelled; null while pending or once expired undecided. */
  decidedAt: instant.nullable(),
});

export const reviewItemSchema = loggedRequestSchema.extend({
  /** What the caller decided, and when; null while the request waits for them. */
  myDecision: z.object({ decision: z.enum(['approved', 'denied']), at: instant }).nullable(),
  /**
   * Since when the request was offered to the caller by escalation (its rule's `escalation.approvers`, after its
   * `escalation.after`); null when the caller is one of its reviewers, or it was not escalated to them.
   */
  escalatedToMe: z.object({ at: instant }).nullable(),
});

const logFreshness = {
  /** When the shared feed last read the audit log: entries written since on other instances may be missing. */
  readAt: instant,
  freshness: z.string(),
};

export const myRequestsResponse = z.object({
  /** The caller's requests of the last 7 days, and any still pending, newest first. */
  requests: z.array(loggedRequestSchema),
  ...logFreshness,
});

export const requestTokenBody = z
  .object({
    requestId: z
      .string('must name the request (its id, as GET /me/reviews or /me/requests lists it)')
      .regex(/^mpa-[A-Za-z0-9+/=_-]{1,64}$/, 'is not a request id (mpa-…, as GET /me/reviews or /me/requests lists it)'),
  })
  .strict();

export const requestTokenResponse = z.object({
  requestId: z.string(),
  /** The request's token, as the email's link carries it: use it with /approval-requests/{token}. */
  token: z.string(),
});

export type LoggedRequestView = z.infer<typeof loggedRequestSchema>;
export type ReviewItem = z.infer<typeof reviewItemSchema>;
export type MyRequestsResponse = z.infer<typeof myRequestsResponse>;
export type RequestTokenResponse = z.infer<typeof requestTokenResponse>;

export { email as emailSchema };

export type MeResponse = z.infer<typeof meResponse>;
export type ProjectsResponse = z.infer<typeof projectsResponse>;
export type Role = z.infer<typeof roleSchema>;
export type RolePolicy = z.infer<typeof rolePolicySchema>;
export type RolesResponse = z.infer<typeof rolesResponse>;
export type ActivationRequestBody = z.infer<typeof activationRequestBody>;
export type ActivationResponse = z.infer<typeof activationResponse>;
export type Grant = z.infer<typeof grantSchema>;
export type ErrorResponse = z.infer<typeof errorResponse>;
export type GrantApproval = z.infer<typeof grantApprovalSchema>;
export type ActiveGrant = z.infer<typeof activeGrantSchema>;
export type MyGrantsResponse = z.infer<typeof myGrantsResponse>;
export type ScheduledGrant = z.infer<typeof scheduledGrantSchema>;
export type ScheduledStart = z.infer<typeof scheduledStartSchema>;
export type ScheduledActivationResponse = z.infer<typeof scheduledActivationResponse>;
export type CancelScheduledResponse = z.infer<typeof cancelScheduledResponse>;
export type EndGrantBody = z.input<typeof endGrantBody>;
export type EndGrantResponse = z.infer<typeof endGrantResponse>;
export type ExtendGrantBody = z.infer<typeof extendGrantBody>;
export type ExtendGrantResponse = z.infer<typeof extendGrantResponse>;
export type CleanupResponse = z.infer<typeof cleanupResponse>;
export type WorkflowsResponse = z.infer<typeof workflowsResponse>;
export type ReviewersResponse = z.infer<typeof reviewersResponse>;
export type ApprovalRequestBody = z.infer<typeof approvalRequestBody>;
export type ExtensionRequestBody = z.infer<typeof extensionRequestBody>;
export type ApprovalRequestView = z.infer<typeof approvalRequestSchema>;
export type ApprovalRequestCreatedResponse = z.infer<typeof approvalRequestCreatedResponse>;
export type ApprovalRequestStatusResponse = z.infer<typeof approvalRequestStatusResponse>;
export type ApprovalResponse = z.infer<typeof approvalResponse>;
export type RequestState = z.infer<typeof requestStateSchema>;
export type RequestDecisionResponse = z.infer<typeof requestDecisionResponse>;

// --- Admin area (/api/v1/admin/…) --------------------------------------------------------------------

export const adminMeResponse = z.object({ user: z.object({ email: z.string() }), role: adminRoleSchema });

const singleLine = (max: number) =>
  z
    .string()
    .trim()
    .max(max, `must be at most ${max} characters`)
    .regex(/^[^\p{Cc}\p{Zl}\p{Zp}]*$/u, 'must be a single line without control characters');

export const adminElevationsQuery = z
  .object({
    user: singleLine(254).optional(),
    projectId: singleLine(30).optional(),
    role: singleLine(200).optional(),
    breakGlass: z.enum(['true', 'false'], 'must be true or false').optional().describe('true: only break-glass grants; false: only the others.'),
  })
  .strict();

/** `breakGlass`: activated through break-glass, without the approval the rule requires (`approval.type` says so too). */
export const adminElevationSchema = activeGrantSchema.extend({ user: z.string(), breakGlass: z.boolean() });

export const adminElevationsResponse = z.object({
  elevations: z.array(adminElevationSchema),
  /** When Asset Inventory was searched for this answer (shared by every admin for up to 30 seconds). */
  searchedAt: instant,
  /** In words: where the list comes from and how far behind IAM it may be. */
  freshness: z.string(),
  warnings: z.array(z.string()),
});

export const revokeGrantBody = z
  .object({
    user: z.string().regex(/^[^\s@]+@[^\s@]+\.[^\s@]+$/, 'must be the email address of the user holding the grant'),
    grantId: grantIdParam,
    reason: singleLine(500).pipe(z.string().min(1, 'is required: say why the grant is revoked (the user reads it)')),
  })
  .strict();

export const revokeGrantResponse = z.object({ revoked: adminElevationSchema, revokedAt: instant, notificationFailures: z.array(z.string()) });

export type AdminRole = z.infer<typeof adminRoleSchema>;
export type AdminMeResponse = z.infer<typeof adminMeResponse>;
export type AdminElevation = z.infer<typeof adminElevationSchema>;
export type AdminElevationsResponse = z.infer<typeof adminElevationsResponse>;
export type RevokeGrantBody = z.input<typeof revokeGrantBody>;
export type RevokeGrantResponse = z.infer<typeof revokeGrantResponse>;

export const adminHistoryQuery = z
  .object({
    from: z.iso.datetime({ offset: true, error: 'must be an RFC 3339 time, e.g. 2040-01-31T00:00:00Z' }).optional(),
    to: z.iso.datetime({ offset: true, error: 'must be an RFC 3339 time, e.g. 2040-01-31T00:00:00Z' }).optional(),
    user: singleLine(254).optional(),
    projectId: singleLine(30).optional(),
    role: singleLine(200).optional(),
    event: singleLine(100).optional(),
  })
  .strict();

export const historyRowSchema = z.object({
  time: instant,
  event: z.string(),
  outcome: z.string(),
  actor: z.string().nullable(),
  beneficiary: z.string().nullable(),
  projectId: z.string().nullable(),
  roles: z.array(z.string()),
  message: z.string(),
});

export const adminHistoryResponse = z.object({
  rows: z.array(historyRowSchema),
  from: instant,
  to: instant,
  /** When the shared feed last read the audit log; entries written since may be missing. */
  readAt: instant,
  freshness: z.string(),
  /** Every event name the history shows, for an `event` filter. */
  events: z.array(z.string()),
});

export type AdminHistoryQuery = z.input<typeof adminHistoryQuery>;
export type HistoryRowView = z.infer<typeof historyRowSchema>;
export type AdminHistoryResponse = z.infer<typeof adminHistoryResponse>;

export const heldBindingSchema = z.object({
  user: z.string(),
  role: z.string(),
  /** Where the binding sits (`projects/ID`, `folders/N`, `organizations/N`): remove it there. */
  resource: z.string(),
  /** The principal of the binding: the user, or the group through which the user holds it. */
  via: z.string(),
});

export const standingPrivilegesResponse = z.object({
  standingWhileEligible: z.array(z.object({ standing: heldBindingSchema, eligible: heldBindingSchema.extend({ activationType: activationTypeSchema }) })),
  privileged: z.array(heldBindingSchema),
  computedAt: instant,
  freshness: z.string(),
  warnings: z.array(z.string()),
});

export type HeldBindingView = z.infer<typeof heldBindingSchema>;
export type StandingPrivilegesResponse = z.infer<typeof standingPrivilegesResponse>;

export const adminAlertsQuery = z
  .object({
    days: z
      .string()
      .regex(/^[0-9]{1,2}$/, 'must be a whole number of days from 1 to 30')
      .transform(Number)
      .pipe(z.number().int().min(1, 'must be at least 1').max(30, 'must be at most 30: the audit log is read back 30 days at most'))
      .optional()
      .describe('Alerts that arose in the last this many days (default 7); external activations in force are always listed.'),
  })
  .strict();

export const alertKindSchema = z.enum(['frequent-activations', 'break-glass-outside-schedule', 'break-glass-review-overdue', 'external-activation']);

export const alertSchema = z.object({
  /** Stable: the same cause always has the same id. */
  id: z.string(),
  kind: alertKindSchema,
  severity: z.enum(['high', 'medium']),
  /** When the alert arose: the triggering activation, the review deadline, or the start of the binding. */
  time: instant,
  /** Whose access it is. */
  user: z.string(),
  projectId: z.string(),
  role: z.string(),
  activationId: z.string().nullable(),
  /** One sentence: what happened and what to look at. */
  message: z.string(),
});

export const adminAlertsResponse = z.object({
  /** Newest first. */
  alerts: z.array(alertSchema),
  from: instant,
  to: instant,
  /** When the shared audit feed last read the log, and when Asset Inventory was searched for grants in force. */
  readAt: instant,
  searchedAt: instant,
  /** The frequency rule's threshold (ALERT_FREQUENT_ACTIVATIONS), or null when it is off. */
  frequentActivations: z.object({ count: z.number().int(), periodMinutes: z.number().int() }).nullable(),
  freshness: z.string(),
  warnings: z.array(z.string()),
});

export type AdminAlertsQuery = z.input<typeof adminAlertsQuery>;
export type AlertKind = z.infer<typeof alertKindSchema>;
export type AlertView = z.infer<typeof alertSchema>;
export type AdminAlertsResponse = z.infer<typeof adminAlertsResponse>;

export const adminChartsQuery = z
  .object({
    from: z.iso.datetime({ offset: true, error: 'must be an RFC 3339 time, e.g. 2040-01-31T00:00:00Z' }).optional(),
    to: z.iso.datetime({ offset: true, error: 'must be an RFC 3339 time, e.g. 2040-01-31T00:00:00Z' }).optional(),
  })
  .strict();

/** One line of a chart: a value per day of `days`. */
const dailySeriesSchema = z.object({ key: z.string(), values: z.array(z.number()) });

export const adminChartsResponse = z.object({
  from: instant,
  to: instant,
  /** The UTC days of the period (`YYYY-MM-DD`); every series has one value per day. */
  days: z.array(z.string()),
  /** Roles granted (by self-activation or approval) per day; the smallest series beyond six are summed as `Other`. */
  elevationsByProject: z.array(dailySeriesSchema),
  elevationsByRole: z.array(dailySeriesSchema),
  /** Hours during which activated roles were in force, per project and day, up to now. */
  hoursByProject: z.array(dailySeriesSchema),
  approvals: z.object({
    medianMinutesByDay: z.array(z.number().nullable()),
    countByDay: z.array(z.number().int()),
    medianMinutes: z.number().nullable(),
    count: z.number().int(),
  }),
  readAt: instant,
  freshness: z.string(),
});

export type AdminChartsQuery = z.input<typeof adminChartsQuery>;
export type AdminChartsResponse = z.infer<typeof adminChartsResponse>;
export type DailySeriesView = z.infer<typeof dailySeriesSchema>;

// --- Break-glass (/api/v1/projects/{projectId}/break-glass, /api/v1/break-glass/…) ---------------------

export const breakGlassBody = z
  .object({
    /** The id of one eligible role, as GET /projects/{projectId}/roles lists it. */
    role: z.string().min(1, 'must name a role').max(2000),
    /** Why the glass is broken: required, one line; the reviewers read it. */
    reason: z.string().max(10_000),
    durationMinutes: z.number().int('must be a whole number of minutes'),
  })
  .strict();

export const breakGlassIdParam = z.string().regex(/^bg-[A-Za-z0-9_-]{16}$/, 'is not a break-glass activation id (bg-…, as the email or the list names it)');

export const breakGlassReviewBody = z
  .object({
    decision: z.enum(['acknowledge', 'flag'], 'must be acknowledge or flag'),
    /** Required to flag; optional to acknowledge. */
    note: singleLine(500).optional(),
  })
  .strict()
  .refine((b) => b.decision !== 'flag' || (b.note !== undefined && b.note !== ''), { message: 'a note is required to flag an activation: say what is wrong', path: ['note'] });

export const breakGlassActivationSchema = z.object({
  activationId: z.string(),
  user: z.string(),
  projectId: z.string(),
  role: z.string(),
  resourceCondition: z.string().nullable(),
  durationMinutes: z.number().int(),
  start: instant,
  end: instant,
  reason: z.string(),
  /** The rule's reviewers (`user:`/`group:`), notified at once. */
  reviewers: z.array(z.string()),
  /** Reviewers are reminded once if the activation is still unreviewed then. */
  reviewBy: instant,
  /** The activation happened outside the rule's schedule windows (where the rule then requires approval). */
  outsideSchedule: z.boolean(),
  rule: z.string().nullable(),
});

export const breakGlassReviewSchema = z.object({
  outcome: z.enum(['acknowledged', 'flagged']),
  note: z.string().nullable(),
  reviewer: z.string(),
  at: instant,
});

export const breakGlassResponse = z.object({
  activation: breakGlassActivationSchema,
  grant: grantSchema,
  /** Notifications that could not be sent; the grant stands regardless. */
  notificationFailures: z.array(z.string()),
});

export const breakGlassCaseResponse = z.object({
  activation: breakGlassActivationSchema,
  review: breakGlassReviewSchema.nullable(),
  /** When the reviewers were reminded of an overdue review; null if they were not. */
  remindedAt: instant.nullable(),
  overdue: z.boolean(),
  /** `isReviewer`: named by the activation's audit entry; `canReview`: unreviewed, and a break-glass reviewer the access policy names now. */
  viewer: z.object({ email: z.string(), isActivator: z.boolean(), isReviewer: z.boolean(), canReview: z.boolean() }),
  /** When the audit log was last read for this answer. */
  readAt: instant,
});

export const breakGlassReviewResponse = z.object({ activation: breakGlassActivationSchema, review: breakGlassReviewSchema });

export const breakGlassReviewItemSchema = z.object({
  activation: breakGlassActivationSchema,
  /** Its review deadline (`activation.reviewBy`) has passed. */
  overdue: z.boolean(),
});

// --- The approver inbox (/api/v1/me/reviews): every kind of review, in named lists ----------------------

/** Named lists, so that other kinds of review can join without changing these. */
export const myReviewsResponse = z.object({
  /** Pending requests naming the caller as a reviewer who has not approved yet, oldest first. */
  waiting: z.array(reviewItemSchema),
  /** Requests the caller approved or denied in the last 7 days, newest decision first. */
  decided: z.array(reviewItemSchema),
  /** Break-glass activations the caller reviews and nobody reviewed yet, the earliest review deadline first. */
  breakGlass: z.array(breakGlassReviewItemSchema),
  ...logFreshness,
});

export type BreakGlassBody = z.infer<typeof breakGlassBody>;
export type BreakGlassReviewBody = z.input<typeof breakGlassReviewBody>;
export type BreakGlassActivationView = z.infer<typeof breakGlassActivationSchema>;
export type BreakGlassResponse = z.infer<typeof breakGlassResponse>;
export type BreakGlassCaseResponse = z.infer<typeof breakGlassCaseResponse>;
export type BreakGlassReviewResponse = z.infer<typeof breakGlassReviewResponse>;
export type BreakGlassReviewItem = z.infer<typeof breakGlassReviewItemSchema>;
export type MyReviewsResponse = z.infer<typeof myReviewsResponse>;
