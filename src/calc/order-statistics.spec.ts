import fc from 'fast-check';
import { percentileOfSorted, percentilesOf, selectInPlace } from './order-statistics';

const PS = [0.05, 0.25, 0.5, 0.75, 0.95];

describe(percentilesOf.name, () => {
  it('equals PERCENTILE.INC of the sorted values (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.double({ noNaN: true }).map((d) => (Object.is(d, -0) ? 0 : d)),
            fc.integer({ min: -3, max: 3 }),
          ),
          {
            minLength: 1,
            maxLength: 300,
          },
        ),
        async (xs) => {
          const sorted = Float64Array.from(xs).sort();
          const expected = PS.map((p) => percentileOfSorted(sorted, p));
          expect(await percentilesOf(Float64Array.from(xs), PS)).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('interpolates like PERCENTILE.INC and keeps Infinity when neighbours are equal', async () => {
    expect(await percentilesOf(Float64Array.from([4, 1, 3, 2]), [0.25, 0.5, 1])).toEqual([1.75, 2.5, 4]);
    expect(await percentilesOf(new Float64Array(5).fill(Infinity), [0.5])).toEqual([Infinity]);
    expect(await percentilesOf(new Float64Array(0), [0.5])).toEqual([Number.NaN]);
  });

  it('puts NaN last as sort() does', async () => {
    expect(await percentilesOf(Float64Array.from([Number.NaN, 1, 2]), [0, 0.5])).toEqual([1, 2]);
  });
});

describe(selectInPlace.name, () => {
  it('puts the k-th smallest value at k with smaller values before it', () => {
    const a = Float64Array.from({ length: 1000 }, (_, i) => (i * 7919) % 1000);
    selectInPlace(a, 123, 0, a.length - 1);
    expect(a[123]).toBe(123);
    expect(a.slice(0, 123).every((v) => v <= 123)).toBe(true);
    expect(a.slice(124).every((v) => v >= 123)).toBe(true);
  });
});
