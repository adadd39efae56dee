// The next step the SPA adds under an error. These were the hints that did not fit their error (issue 13,
// item 21); each row is an error the service answers and the step that fits it, or null when the server's
// message already says what to do.
import { ApiError } from '../../../web/src/api';
import { isTransient, nextStep, type ErrorContext } from '../../../web/src/next-step';

const error = (status: number, code: string) => new ApiError(status, code, 'The server says what went wrong.');

test.each<[string, number, string, ErrorContext, string | null]>([
  // Someone the requester did not name: only the requester can name them, not an administrator.
  ['an outsider opens a request', 403, 'NOT_A_PARTICIPANT', 'approval', 'If you should review this request, ask the requester to send a new one that names you.'],
  ['a reviewer not named approves', 403, 'NOT_A_REVIEWER', 'approval', 'If you should review this request, ask the requester to send a new one that names you.'],
  // A forged or foreign token: the link is the problem.
  ['a token that is not ours', 403, 'INVALID_APPROVAL_TOKEN', 'approval', 'Open the link from the email again, in full. If it still fails, ask the requester to send a new request.'],
  // The message says whom to ask or why; "ask your administrator" would send them the wrong way.
  ['the requester approves', 403, 'SELF_APPROVAL', 'approval', null],
  ['a request no longer valid', 403, 'REQUEST_NO_LONGER_VALID', 'approval', null],
  ['an expired request', 410, 'REQUEST_EXPIRED', 'approval', null],
  ['extending a peer-approved grant', 403, 'APPROVAL_REQUIRED', 'form', null],
  ['the reviewers could not be emailed', 503, 'NOTIFICATION_FAILED', 'form', null],
  // A damaged link is not input the user can correct.
  ['a link cut short', 400, 'INVALID_ARGUMENT', 'approval', 'Open the link from the email again, in full.'],
  ['a form with bad input', 400, 'INVALID_ARGUMENT', 'form', 'Correct the input and try again.'],
  // A grant that ended meanwhile: there is no project to choose.
  ['ending a grant that is gone', 404, 'NOT_FOUND', 'form', 'It may have ended or changed meanwhile: reload the page to see what is current.'],
  ['roles of a project not offered', 404, 'NOT_FOUND', 'load', 'Check the address, or choose another project.'],
  // A missing setting is not Google being busy.
  ['peer approval not configured', 503, 'PEER_APPROVAL_UNAVAILABLE', 'form', 'This is how the service is set up, not something you can fix: tell your administrator the message above.'],
  ['not eligible', 403, 'NOT_ELIGIBLE', 'form', 'If you need this access, ask your administrator to make you eligible.'],
  ['quota', 429, 'QUOTA_EXCEEDED', 'load', 'Wait a minute, then try again.'],
  ['Google refuses the service', 502, 'BACKEND_PERMISSION_DENIED', 'form', 'Google Cloud refused what JIT Access asked of it, so this is not something you can fix. Tell your administrator the message above.'],
  ['Google unavailable', 503, 'BACKEND_UNAVAILABLE', 'load', 'Google Cloud is busy or unreachable. Wait a minute, then try again.'],
  ['sign-in expired', 401, 'UNAUTHENTICATED', 'load', 'Your sign-in has expired or is not valid. Reload the page to sign in again.'],
  ['a concurrent change', 409, 'CONFLICT', 'form', 'Nothing was changed. Try again.'],
  ['the network', 0, 'NETWORK', 'load', 'Check your network connection, then try again.'],
])('%s (%i %s, %s)', (_case, status, code, context, expected) => {
  expect(nextStep(error(status, code), context)).toBe(expected);
});

test('a missing setting offers no "Try again"; Google being busy does', () => {
  expect(isTransient(error(503, 'PEER_APPROVAL_UNAVAILABLE'))).toBe(false);
  expect(isTransient(error(503, 'BACKEND_UNAVAILABLE'))).toBe(true);
  expect(isTransient(error(403, 'NOT_ELIGIBLE'))).toBe(false);
});
