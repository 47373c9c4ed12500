import { xirr, xnpv, type DatedFlow } from './xirr';

const day = (iso: string): number => Date.parse(`${iso}T00:00:00Z`) / 86_400_000;
const flows = (...pairs: Array<[string, number]>): DatedFlow[] => pairs.map(([d, amount]) => ({ day: day(d), amount }));

describe(xirr.name, () => {
  it('matches the spreadsheet XIRR of the Microsoft documentation example', () => {
    const result = xirr(
      flows(
        ['2008-01-01', -10000],
        ['2008-03-01', 2750],
        ['2008-10-30', 4250],
        ['2009-02-15', 3250],
        ['2009-04-01', 2750],
      ),
    );
    expect(result.status).toBe('converged');
    expect(result.rate).toBeCloseTo(0.373362535, 8);
  });

  it('uses actual days over 365 (a leap year is 366/365 of a year)', () => {
    const result = xirr(flows(['2020-01-01', -1000], ['2021-01-01', 1100]));
    expect(result.rate).toBeCloseTo(1.1 ** (365 / 366) - 1, 12);
  });

  it('finds negative rates and ignores the order of flows', () => {
    const result = xirr(flows(['2023-01-01', 600], ['2020-01-01', -1000]));
    expect(result.status).toBe('converged');
    expect(result.rate).toBeCloseTo(0.6 ** (365 / 1096) - 1, 10);
  });

  it('solves a multi-year fund to a root of the NPV', () => {
    const f = flows(['2015-03-31', -5e6], ['2016-06-30', -2.5e6], ['2019-09-30', 3e6], ['2022-12-31', 9e6]);
    const result = xirr(f);
    expect(result.status).toBe('converged');
    expect(Math.abs(xnpv(result.rate, f, f[0].day))).toBeLessThan(1e-3);
  });

  it('reports no root (NaN) without both a contribution and a distribution', () => {
    expect(xirr(flows(['2020-01-01', 100], ['2021-01-01', 100]))).toMatchObject({ status: 'no_root' });
    expect(xirr(flows(['2020-01-01', -100]))).toMatchObject({ status: 'no_root' });
    expect(xirr(flows(['2020-01-01', -100])).rate).toBeNaN();
  });

  it('reports non-convergence instead of a number when no bracket holds a root', () => {
    // NPV(r) = -1 + 2.26 v - 1.2769 v^2 = -(1.13 v - 1)^2 <= 0: a double root at 13% that never changes sign.
    const result = xirr(flows(['2020-01-01', -1], ['2020-12-31', 2.26], ['2021-12-31', -1.2769]));
    expect(result.status).toBe('not_converged');
    expect(result.rate).toBeNaN();
  });
});
