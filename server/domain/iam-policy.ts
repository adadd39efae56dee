import { InvalidInputError } from './invalid-input-error';

/**
 * The parts of an IAM policy this service reads and writes. Field for field the JSON of Resource
 * Manager v3 (`Policy`, `Binding`, `Expr`), with the `null`s the Google client types allow, so policies
 * pass between the adapters and the domain without conversion.
 */
export interface IamCondition {
  title?: string | null;
  description?: string | null;
  expression?: string | null;
  location?: string | null;
}

export interface Binding {
  role?: string | null;
  members?: string[] | null;
  condition?: IamCondition | null;
}

export interface Policy {
  version?: number | null;
  etag?: string | null;
  bindings?: Binding[];
}

const EMAIL = /^[^\s@:]+@[^\s@:]+$/;

/** Google's service account addresses: `NAME@PROJECT.iam.gserviceaccount.com`, `…@appspot.gserviceaccount.com`, …. */
const SERVICE_ACCOUNT_EMAIL = /@(?:[a-z0-9-]+\.)*gserviceaccount\.com$/i;

/** Whether the principal who signed in through IAP (programmatic access) is a service account. */
export function isServiceAccountEmail(email: string): boolean {
  return SERVICE_ACCOUNT_EMAIL.test(email);
}

/**
 * IAM's member string for a principal of the service: `serviceAccount:` for a service account (a pipeline
 * that requests access), `user:` for everyone else. Emails are lower-cased, as jit-access 1.x does.
 */
export function principalMember(email: string): string {
  if (!EMAIL.test(email)) throw new InvalidInputError(`${JSON.stringify(email)} is not an email address`);
  return `${isServiceAccountEmail(email) ? 'serviceAccount' : 'user'}:${email.toLowerCase()}`;
}

/** Whether a binding lists `member` (case-insensitive). */
export function hasMember(binding: Binding, member: string): boolean {
  const wanted = member.toLowerCase();
  return (binding.members ?? []).some((m) => m.toLowerCase() === wanted);
}

/** The binding without `member` (every spelling of it), or null when nobody else is left in it. */
export function withoutMember(binding: Binding, member: string): Binding | null {
  const wanted = member.toLowerCase();
  const members = (binding.members ?? []).filter((m) => m.toLowerCase() !== wanted);
  return members.length === 0 ? null : { ...binding, members };
}
