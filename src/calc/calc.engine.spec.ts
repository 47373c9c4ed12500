import { CalcEngine, type CalcInput } from './calc.engine';

const day = (iso: string): number => Date.parse(`${iso}T00:00:00Z`) / 86_400_000;

const INPUT: CalcInput = {
  flows: [
    { day: day('2018-01-01'), amount: -1000 },
    { day: day('2019-01-01'), amount: -500 },
    { day: day('2021-01-01'), amount: 600 },
  ],
  residualValue: 1200,
  valuationDay: day('2022-01-01'),
  volatility: 0.2,
  expectedReturn: 0,
  horizonYears: 1,
  simulations: 5000,
  seed: 99,
};

describe(CalcEngine.name, () => {
  const engine = new CalcEngine();

  it('computes multiples from paid-in, distributions and residual value', async () => {
    const r = await engine.calculate(INPUT);
    expect(r).toMatchObject({ paidIn: 1500, distributed: 600, residualValue: 1200, seed: 99, simulations: 5000 });
    expect(r.moic).toBeCloseTo(1.2, 12);
    expect(r.tvpi).toBeCloseTo(1.2, 12);
    expect(r.dpi).toBeCloseTo(0.4, 12);
  });

  it('counts the residual value in the IRR as a flow on the valuation date', async () => {
    const r = await engine.calculate(INPUT);
    expect(r.irrStatus).toBe('converged');
    const v = (days: number): number => Math.pow(1 + r.irr, -days / 365);
    const npv = -1000 - 500 * v(365) + 600 * v(1096) + 1200 * v(1461);
    expect(Math.abs(npv)).toBeLessThan(1e-6);
  });

  it('gives a stable p50 for a seed', async () => {
    const a = await engine.calculate(INPUT);
    const b = await engine.calculate(INPUT);
    expect(b.percentiles).toEqual(a.percentiles);
    expect(a.percentiles.p50).toBeCloseTo(1.2 - (1200 * (1 - Math.exp(-0.02))) / 1500, 2);
  });

  it('returns non-finite values as they are for degenerate inputs', async () => {
    const noContributions = await engine.calculate({ ...INPUT, flows: [{ day: day('2020-01-01'), amount: 5 }] });
    expect(noContributions.irr).toBeNaN();
    expect(noContributions.moic).toBe(Number.POSITIVE_INFINITY);
    const allNegative = await engine.calculate({ ...INPUT, residualValue: 0, flows: [{ day: 1, amount: -5 }] });
    expect(allNegative).toMatchObject({ irrStatus: 'no_root', moic: 0, dpi: 0 });
    const nothing = await engine.calculate({ ...INPUT, residualValue: 0, flows: [{ day: 1, amount: 0 }] });
    expect(nothing.moic).toBeNaN();
  });
});
