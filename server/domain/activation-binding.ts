import { principalMember, type Binding } from './iam-policy';
import { activationExpression, parseActivationExpression, type ActivationCondition } from './temporary-condition';

/** The condition title that marks a binding as an activation, shared with jit-access 1.x. */
export const ACTIVATION_TITLE = 'JIT access activation';

/** A binding this service (or jit-access 1.x) added to grant a role for a limited time. */
export interface ActivationBinding extends ActivationCondition {
  readonly role: string;
  readonly members: readonly string[];
}

/**
 * Reads a binding as an activation: its condition title must be exactly {@link ACTIVATION_TITLE} and one
 * top-level clause must be a temporary condition; the other clauses form the resource condition. Returns
 * null for anything else, including conditions CEL reads differently from the textual split, so that
 * nothing acts on (or removes) a binding whose meaning differs from what we would believe.
 */
export function parseActivationBinding(binding: Binding): ActivationBinding | null {
  const condition = binding.condition;
  const expression = condition?.expression;
  if (condition?.title !== ACTIVATION_TITLE || !expression || !binding.role) return null;

  const activation = parseActivationExpression(expression);
  if (activation === null) return null;
  return { role: binding.role, members: [...(binding.members ?? [])], ...activation };
}

/** A role granted to one user for a time window: the input of a policy edit. */
export interface ActivationGrant {
  readonly user: string;
  readonly role: string;
  readonly resourceCondition: string | null;
  readonly start: Date;
  readonly end: Date;
  /** See {@link activationDescription}. */
  readonly description: string;
}

/** The binding that carries a grant, in the format of jit-access 1.x. */
export function activationBindingOf(grant: ActivationGrant): Binding {
  return {
    role: grant.role,
    members: [principalMember(grant.user)],
    condition: {
      title: ACTIVATION_TITLE,
      description: grant.description,
      expression: activationExpression(grant.start, grant.end, grant.resourceCondition),
    },
  };
}

/**
 * Who approved an activation, and why it was requested. `break-glass`: nobody approved; the user activated a
 * role that needs approval at once, as the access policy's rule allowed, and its reviewers review it afterwards.
 */
export type Approval =
  | { readonly type: 'self'; readonly justification: string }
  | { readonly type: 'peer'; readonly approver: string; readonly justification: string }
  | { readonly type: 'break-glass'; readonly justification: string };

/** How a break-glass activation's description begins: the mark that tells it from any other grant. */
export const BREAK_GLASS_MARK = 'Break-glass, reason: ';

/** Control characters and line/paragraph separators, which must not reach a header or a description. */
const CONTROL_CHARACTERS = /[\p{Cc}\p{Zl}\p{Zp}]/gu;

/**
 * The condition description of an activation, as jit-access 1.x writes it. It is also sent as the
 * `x-goog-request-reason` header, so control characters are replaced by spaces (justifications that
 * contain any are rejected earlier; this is the second line of defence).
 */
export function activationDescription(approval: Approval): string {
  const text =
    approval.type === 'self'
      ? `Self-approved, justification: ${approval.justification}`
      : approval.type === 'break-glass'
        ? `${BREAK_GLASS_MARK}${approval.justification}`
        : `Approved by ${approval.approver.toLowerCase()}, justification: ${approval.justification}`;
  return text.replace(CONTROL_CHARACTERS, ' ');
}

/** Whether an activation binding's description marks it as break-glass (see {@link activationDescription}). */
export function isBreakGlassDescription(description: string | null | undefined): boolean {
  return description?.startsWith(BREAK_GLASS_MARK) ?? false;
}
