import { checkDurationMinutes, endOfActivation, startOfActivation } from '../../../server/domain/activation-request';

describe('checkDurationMinutes (reference §5.3)', () => {
  it('accepts whole minutes from 1 to the maximum', () => {
    expect(checkDurationMinutes(1, 120)).toBeNull();
    expect(checkDurationMinutes(60, 120)).toBeNull();
    expect(checkDurationMinutes(120, 120)).toBeNull();
  });

  it.each([0, -5])('rejects %p minutes as too short', (minutes) => {
    expect(checkDurationMinutes(minutes, 120)).toBe('The activation duration must be no shorter than 1 minutes');
  });

  it('rejects more than the maximum, naming it', () => {
    expect(checkDurationMinutes(121, 120)).toBe('The activation duration must be no longer than 120 minutes');
  });

  it.each([1.5, Number.NaN, Number.POSITIVE_INFINITY])('rejects %p as not a whole number', (minutes) => {
    expect(checkDurationMinutes(minutes, 120)).toBe(
      `The activation duration must be a whole number of minutes, got ${minutes}`,
    );
  });
});

describe('startOfActivation', () => {
  it('truncates to whole seconds', () => {
    expect(startOfActivation(new Date('2040-01-01T00:00:59.999Z'))).toEqual(new Date('2040-01-01T00:00:59Z'));
    expect(startOfActivation(new Date('2040-01-01T00:00:00Z'))).toEqual(new Date('2040-01-01T00:00:00Z'));
  });
});

describe('endOfActivation', () => {
  it('adds the duration in minutes', () => {
    expect(endOfActivation(new Date('2040-01-01T00:00:00Z'), 90)).toEqual(new Date('2040-01-01T01:30:00Z'));
  });
});
