import { isCurrent, isExpired } from '../../../server/domain/validity';

const validity = { start: new Date('2040-01-01T00:00:00Z'), end: new Date('2040-01-01T00:05:00Z') };
const at = (iso: string) => new Date(iso);

describe('isCurrent (reference §3.5: start <= now <= end)', () => {
  it('includes both ends', () => {
    expect(isCurrent(validity, at('2040-01-01T00:00:00Z'))).toBe(true);
    expect(isCurrent(validity, at('2040-01-01T00:02:00Z'))).toBe(true);
    expect(isCurrent(validity, at('2040-01-01T00:05:00Z'))).toBe(true);
  });

  it('excludes times before the start and after the end', () => {
    expect(isCurrent(validity, at('2039-12-31T23:59:59.999Z'))).toBe(false);
    expect(isCurrent(validity, at('2040-01-01T00:05:00.001Z'))).toBe(false);
  });
});

describe('isExpired', () => {
  it('is true only once the end has passed', () => {
    expect(isExpired(validity, at('2039-12-31T00:00:00Z'))).toBe(false);
    expect(isExpired(validity, at('2040-01-01T00:05:00Z'))).toBe(false);
    expect(isExpired(validity, at('2040-01-01T00:05:00.001Z'))).toBe(true);
  });
});
