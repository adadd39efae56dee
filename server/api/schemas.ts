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
});

export const projectsResponse = z.object({ projects: z.array(z.object({ id: z.string() })) });

export const roleSchema = z.object({
  id: z.string(),
  projectId: z.string(),
  role: z.string(),
  resourceCondition: z.string().nullable(),
  activationType: activationTypeSchema,
  status: z.enum(['eligible', 'active']),
  activeUntil: instant.nullable(),
});

export const rolesResponse = z.object({ roles: z.array(roleSchema), warnings: z.array(z.string()) });

export const activationRequestBody = z
  .object({
    roles: z.array(z.string().min(1).max(2000)).min(1, 'must name at least one role'),
    justification: z.string().max(10_000),
    durationMinutes: z.number().int('must be a whole number of minutes'),
  })
  .strict();

export const grantSchema = z.object({
  id: z.string(),
  role: z.string(),
  resourceCondition: z.string().nullable(),
  start: instant,
  end: instant,
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

export { email as emailSchema };

export type MeResponse = z.infer<typeof meResponse>;
export type ProjectsResponse = z.infer<typeof projectsResponse>;
export type Role = z.infer<typeof roleSchema>;
export type RolesResponse = z.infer<typeof rolesResponse>;
export type ActivationRequestBody = z.infer<typeof activationRequestBody>;
export type ActivationResponse = z.infer<typeof activationResponse>;
export type Grant = z.infer<typeof grantSchema>;
export type ErrorResponse = z.infer<typeof errorResponse>;
