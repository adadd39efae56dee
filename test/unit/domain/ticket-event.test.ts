// The pure parts of ticket write-back: the body of an event (every field, in a fixed order) and which
// answers are worth another attempt.
import { isRetryableStatus, ticketEventBody } from '../../../server/domain/ticket-event';

test('the body is compact JSON with every field in the documented order, nulls included', () => {
  const body = ticketEventBody({
    reason: 'drill over',
    justification: 'CHG-1 drill',
    window: { end: new Date('2026-12-01T10:30:00Z'), start: new Date('2026-12-01T10:00:00Z') },
    time: new Date('2026-12-01T10:05:00Z'),
    actor: 'alice@example.com',
    requester: 'alice@example.com',
    resourceCondition: null,
    role: 'roles/cloudsql.admin',
    project: 'prod-app',
    grantId: 'g1',
    activationId: null,
    ticket: 'CHG-1',
    event: 'ended',
    id: 'evt-1',
  });
  expect(body).toBe(
    '{"id":"evt-1","event":"ended","ticket":"CHG-1","activationId":null,"grantId":"g1","project":"prod-app","role":"roles/cloudsql.admin",' +
      '"resourceCondition":null,"requester":"alice@example.com","actor":"alice@example.com","time":"2026-12-01T10:05:00.000Z",' +
      '"window":{"start":"2026-12-01T10:00:00.000Z","end":"2026-12-01T10:30:00.000Z"},"justification":"CHG-1 drill","reason":"drill over"}',
  );
});

test.each([
  [500, true],
  [503, true],
  [408, true],
  [429, true],
  [400, false],
  [401, false],
  [404, false],
  [307, false],
])('an answer with HTTP %i is tried again: %s', (status, again) => {
  expect(isRetryableStatus(status)).toBe(again);
});
