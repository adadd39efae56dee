import { policySearchQueries } from '../../../server/google/cloud-asset';

const term = (i: number, pad = 0) => `policy:"group:g${i}${'x'.repeat(pad)}@example.com"`;

describe('policySearchQueries', () => {
  test('at most 10 comparisons per query, in order, nothing lost', () => {
    const terms = Array.from({ length: 23 }, (_, i) => term(i));
    const queries = policySearchQueries(terms);
    expect(queries.map((q) => q.split(' OR ').length)).toEqual([10, 10, 3]);
    expect(queries.flatMap((q) => q.split(' OR '))).toEqual(terms);
  });

  test('at most 2,048 characters per query', () => {
    const terms = Array.from({ length: 9 }, (_, i) => term(i, 480));
    const queries = policySearchQueries(terms);
    for (const q of queries) expect(q.length).toBeLessThanOrEqual(2048);
    expect(queries.length).toBeGreaterThan(1);
    expect(queries.flatMap((q) => q.split(' OR '))).toEqual(terms);
  });

  test('a query filled to exactly the limits is one query', () => {
    const exact = policySearchQueries(['a'.repeat(1022), 'b'.repeat(1022)]);
    expect(exact).toEqual([`${'a'.repeat(1022)} OR ${'b'.repeat(1022)}`]);
    expect(policySearchQueries(['a'.repeat(1023), 'b'.repeat(1022)])).toHaveLength(2);
  });

  test('one principal is one query; none is none; a term no query can hold is refused', () => {
    expect(policySearchQueries([term(1)])).toEqual([term(1)]);
    expect(policySearchQueries([])).toEqual([]);
    expect(() => policySearchQueries(['x'.repeat(2049)])).toThrow(/longer than 2048/);
  });
});
