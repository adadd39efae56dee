// What a user can do about a failed call. The server's message says what went wrong; this adds the one
// next step that fits the error (by its code first, then its status) and where it happened.
import { ApiError } from './api';

/**
 * Where the call was made: `load` fetches what a page shows, `form` submits what the user entered,
 * `approval` opens or approves an emailed approval link (the user typed nothing).
 */
export type ErrorContext = 'load' | 'form' | 'approval';

/** Null when the server's message already says what to do. */
export function nextStep(error: Error, context: ErrorContext): string | null {
  if (!(error instanceof ApiError)) return 'Reload the page and try again.';
  switch (error.code) {
    case 'NETWORK':
      return 'Check your network connection, then try again.';
    case 'NOT_A_PARTICIPANT':
    case 'NOT_A_REVIEWER':
      return 'If you should review this request, ask the requester to send a new one that names you.';
    case 'INVALID_APPROVAL_TOKEN':
      return 'Open the link from the email again, in full. If it still fails, ask the requester to send a new request.';
    // The message names whom to ask, or says why nobody can do anything about it.
    case 'SELF_APPROVAL':
    case 'REQUEST_NO_LONGER_VALID':
    case 'REQUEST_EXPIRED':
    case 'APPROVAL_REQUIRED':
    case 'NOTIFICATION_FAILED':
    case 'INTERNAL':
      return null;
    case 'NOT_ELIGIBLE':
      return 'If you need this access, ask your administrator to make you eligible.';
    case 'PEER_APPROVAL_UNAVAILABLE':
      return 'This is how the service is set up, not something you can fix: tell your administrator the message above.';
    case 'QUOTA_EXCEEDED':
      return 'Wait a minute, then try again.';
  }
  const { status } = error;
  if (status === 401) return 'Your sign-in has expired or is not valid. Reload the page to sign in again.';
  if (status === 400) {
    if (context === 'form') return 'Correct the input and try again.';
    if (context === 'approval') return 'Open the link from the email again, in full.';
    return 'Reload the page. If it keeps failing, report the message above to your administrator.';
  }
  if (status === 403) return 'If you believe you should be allowed, ask your administrator.';
  if (status === 404) {
    if (context === 'approval') return 'Open the link from the email again, in full.';
    if (context === 'form') return 'It may have ended or changed meanwhile: reload the page to see what is current.';
    return 'Check the address, or choose another project.';
  }
  if (status === 409) return 'Nothing was changed. Try again.';
  if (status === 502) return 'Google Cloud refused what JIT Access asked of it, so this is not something you can fix. Tell your administrator the message above.';
  if (status === 429 || status > 502) return 'Google Cloud is busy or unreachable. Wait a minute, then try again.';
  return 'Try again. If it keeps failing, report the message above to your administrator.';
}

/** Whether the same call can succeed a moment later; a refusal, bad input or a missing setting will not. */
export function isTransient(error: Error): boolean {
  if (!(error instanceof ApiError)) return true;
  if (error.code === 'PEER_APPROVAL_UNAVAILABLE') return false;
  return error.status === 0 || error.status === 409 || error.status === 429 || error.status >= 500;
}
