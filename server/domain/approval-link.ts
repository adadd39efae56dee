// How a signed approval request travels in a link. jit-access 1.x's obfuscation (reference §2.5) is
// kept: not for secrecy (the token is signed, not encrypted) but so that mail filters do not flag links
// that carry a JWT. Its alphabet (base64url plus `~`) needs no escaping in a URL path.
import { InvalidInputError } from './invalid-input-error';

const JWT = /^ey[A-Za-z0-9_-]*\.ey[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/;
const OBFUSCATED = /^[A-Za-z0-9_~-]+$/;

/** `eyA.eyB.C` → `A~~B~C`. */
export function obfuscateToken(jwt: string): string {
  if (!JWT.test(jwt)) throw new InvalidInputError('Only a compact JWT can be put into an approval link');
  return jwt.slice(2).replaceAll('.ey', '~~').replaceAll('.', '~');
}

/**
 * The JWT in a link. Accepts the obfuscated form and, for links pasted by hand, the plain JWT.
 * Throws when the text cannot be a token at all (e.g. a link cut short by a mail client).
 */
export function tokenFromLink(text: string): string {
  const jwt = text.includes('.') ? text : OBFUSCATED.test(text) ? `ey${text.replaceAll('~~', '.ey').replaceAll('~', '.')}` : '';
  if (!JWT.test(jwt)) throw new InvalidInputError('The approval link is damaged or incomplete: open the link from the email again, in full');
  return jwt;
}

/** The SPA page where a reviewer opens the request. */
export function approvalLink(publicUrl: string, jwt: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/approve/${obfuscateToken(jwt)}`;
}

/** The site's root URL with jit-access 1.x's trailing slash, as its notifications carry it (`BASE_URL`). */
export function baseUrlOf(publicUrl: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/`;
}

/**
 * The approval link in jit-access 1.x's form, `<base>/?activation=<token>&projectId=<project>`, which
 * its Pub/Sub consumers parse (`ACTION_URL`); the web app opens it like {@link approvalLink}.
 */
export function legacyApprovalLink(publicUrl: string, jwt: string, projectId: string): string {
  return `${baseUrlOf(publicUrl)}?activation=${obfuscateToken(jwt)}&projectId=${encodeURIComponent(projectId)}`;
}
