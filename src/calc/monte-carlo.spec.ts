import { simulateOutcomes, SLICE, type OutcomeModel } from './monte-carlo';

const MODEL: OutcomeModel = {
  distributed: 400,
  paidIn: 1000,
  residual: 900,
  expectedReturn: 0.05,
  volatility: 0.25,
  horizonYears: 2,
};

describe(simulateOutcomes.name, () => {
  it('is reproducible for a seed, across slices', async () => {
    const a = await simulateOutcomes(MODEL, SLICE * 2 + 17, 1234);
    expect(await simulateOutcomes(MODEL, SLICE * 2 + 17, 1234)).toEqual(a);
    expect((await simulateOutcomes(MODEL, SLICE * 2 + 17, 1235)).p50).not.toBe(a.p50);
  });

  it('puts p50 at the lognormal median within sampling error', async () => {
    const p = await simulateOutcomes(MODEL, 100_000, 42);
    const { distributed, paidIn, residual, expectedReturn: mu, volatility: s, horizonYears: t } = MODEL;
    const median = (distributed + residual * Math.exp((mu - (s * s) / 2) * t)) / paidIn;
    expect(p.p50).toBeCloseTo(median, 2);
    const p95 = (distributed + residual * Math.exp((mu - (s * s) / 2) * t + 1.6448536 * s * Math.sqrt(t))) / paidIn;
    expect(p.p95).toBeCloseTo(p95, 1);
    expect(p.p5 < p.p25 && p.p25 < p.p50 && p.p50 < p.p75 && p.p75 < p.p95).toBe(true);
  });

  it('collapses to the realised multiple without volatility', async () => {
    const p = await simulateOutcomes({ ...MODEL, volatility: 0, expectedReturn: 0 }, 1000, 1);
    expect(p).toEqual({ p5: 1.3, p25: 1.3, p50: 1.3, p75: 1.3, p95: 1.3 });
  });

  it('returns Infinity when nothing was paid in, as arithmetic gives it', async () => {
    const p = await simulateOutcomes({ ...MODEL, paidIn: 0 }, 100, 1);
    expect(p.p50).toBe(Number.POSITIVE_INFINITY);
  });

  it('keeps the event loop turning during a large run', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    await simulateOutcomes(MODEL, SLICE * 12, 3);
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(0);
  });
});
