import type { LightMyRequestResponse } from 'fastify';
import { CalcController } from '../../src/calc/calc.controller';
import { createTestApp, type TestApp } from '../utils/create-test-app';

const URL = '/api/calculate';
const NON_FINITE_TOKEN = /(?<![A-Za-z"])-?(NaN|Infinity)(?![A-Za-z"])/;

const FUND = {
  cashFlows: [
    { date: '2008-01-01', amount: -10000 },
    { date: '2008-03-01', amount: 2750 },
    { date: '2008-10-30', amount: 4250 },
    { date: '2009-02-15', amount: 3250 },
    { date: '2009-04-01', amount: 2750 },
  ],
  simulations: 2000,
  seed: 7,
};

function problem(res: LightMyRequestResponse, status: number): { code: string; errors?: Array<{ field: string }> } {
  expect(res.statusCode).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  return res.json();
}

describe(CalcController.name, () => {
  let t: TestApp;
  let clientKey: string;

  beforeAll(async () => {
    t = await createTestApp({ captureLogs: true, env: { CALC_MAX_SIMULATIONS: '50000' } });
    const res = await t.asAdmin({
      method: 'POST',
      url: '/api/admin/api-keys',
      payload: { name: 'calc-client', role: 'client', tenantId: 'calc' },
    });
    expect(res.statusCode).toBe(201);
    clientKey = res.json<{ key: string }>().key;
  });

  afterAll(async () => {
    await t?.close();
  });

  const calculate = (payload: unknown) =>
    t.inject({ method: 'POST', url: URL, payload: payload as object, headers: { 'x-api-key': clientKey } });

  it('returns XIRR, multiples and seeded percentiles for a valid fund, with no guard header', async () => {
    const res = await calculate(FUND);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers['x-engine-guard']).toBeUndefined();
    const body = res.json<Record<string, unknown>>();
    expect(body.irr).toBeCloseTo(0.373362535, 8);
    expect(body).toMatchObject({ irrStatus: 'converged', moic: 1.3, tvpi: 1.3, dpi: 1.3, paidIn: 10000, seed: 7 });
    // No residual value: nothing to simulate, every percentile is the realised multiple.
    expect(body.percentiles).toEqual({ p5: 1.3, p25: 1.3, p50: 1.3, p75: 1.3, p95: 1.3 });
  });

  it('gives the same percentiles for the same seed and different ones for another seed', async () => {
    const withNav = { ...FUND, residualValue: 5000, volatility: 0.3, horizonYears: 2 };
    const a = (await calculate(withNav)).json<{ percentiles: Record<string, number> }>();
    const b = (await calculate(withNav)).json<{ percentiles: Record<string, number> }>();
    const c = (await calculate({ ...withNav, seed: 8 })).json<{ percentiles: Record<string, number> }>();
    expect(a.percentiles).toEqual(b.percentiles);
    expect(c.percentiles.p50).not.toEqual(a.percentiles.p50);
    expect(a.percentiles.p5).toBeLessThan(a.percentiles.p50);
    expect(a.percentiles.p50).toBeLessThan(a.percentiles.p95);
  });

  it('returns the generated seed when none is sent, and that seed replays the run', async () => {
    const withNav = { ...FUND, seed: undefined, residualValue: 5000 };
    const first = (await calculate(withNav)).json<{ seed: number; percentiles: unknown }>();
    expect(Number.isInteger(first.seed)).toBe(true);
    const replay = (await calculate({ ...withNav, seed: first.seed })).json<{ percentiles: unknown }>();
    expect(replay.percentiles).toEqual(first.percentiles);
  });

  it('turns the non-finite results of a fund without contributions into null and says so in a header', async () => {
    const res = await calculate({ cashFlows: [{ date: '2020-01-01', amount: 500 }], simulations: 100, seed: 1 });
    expect(res.statusCode).toBe(200);
    expect(res.body).not.toMatch(NON_FINITE_TOKEN);
    const body = res.json<Record<string, unknown>>();
    expect(body).toMatchObject({ irr: null, irrStatus: 'no_root', moic: null, tvpi: null, dpi: null, paidIn: 0 });
    expect(body.percentiles).toEqual({ p5: null, p25: null, p50: null, p75: null, p95: null });
    // irr (NaN), moic, tvpi, dpi (Infinity) and five percentiles (Infinity).
    expect(res.headers['x-engine-guard']).toBe('sanitized=9');
    const warn = t.logs.find(
      (l) =>
        l.msg === 'engine guard fixed non-finite values in a response' &&
        l.correlationId === res.headers['x-request-id'],
    );
    expect(warn).toMatchObject({ level: 'warn', route: URL, sanitized: 9 });
    expect((warn?.paths as string[]).slice(0, 2)).toEqual(['$.irr', '$.moic']);
  });

  it('answers 0/0 (all flows zero) with nulls, not NaN', async () => {
    const res = await calculate({ cashFlows: [{ date: '2020-01-01', amount: 0 }], simulations: 10, seed: 1 });
    expect(res.statusCode).toBe(200);
    expect(res.body).not.toMatch(NON_FINITE_TOKEN);
    expect(res.json<{ moic: unknown }>().moic).toBeNull();
  });

  it('rejects invalid input with 400 problem+json naming each field', async () => {
    const cases: Array<[unknown, string[]]> = [
      [{ cashFlows: [] }, ['cashFlows']],
      [{ cashFlows: [{ date: '2020-02-30', amount: 1 }] }, ['cashFlows.0.date']],
      [{ cashFlows: [{ date: '01/02/2020', amount: 1 }] }, ['cashFlows.0.date']],
      [{ cashFlows: [{ date: '2020-01-01', amount: '12' }] }, ['cashFlows.0.amount']],
      [{ cashFlows: [{ date: '2020-01-01', amount: 1, note: 'x' }] }, ['cashFlows.0.note']],
      [{ cashFlows: Array.from({ length: 1001 }, () => ({ date: '2020-01-01', amount: -1 })) }, ['cashFlows']],
      [{ ...FUND, volatility: -1, simulations: 1.5, seed: -3 }, ['volatility', 'simulations', 'seed']],
      [{ ...FUND, extra: true }, ['extra']],
    ];
    for (const [payload, fields] of cases) {
      const body = problem(await calculate(payload), 400);
      expect(body.code).toBe('VALIDATION_FAILED');
      expect(new Set(body.errors?.map((e) => e.field))).toEqual(new Set(fields));
    }
  });

  it('rejects more simulations than CALC_MAX_SIMULATIONS with a field error', async () => {
    const body = problem(await calculate({ ...FUND, simulations: 50001 }), 400);
    expect(body.code).toBe('CALC_INVALID_INPUT');
    expect(body.errors).toEqual([{ field: 'simulations', message: expect.stringContaining('50000') }]);
  });

  it('answers 401 without an API key', async () => {
    expect(problem(await t.inject({ method: 'POST', url: URL, payload: FUND }), 401).code).toBe(
      'AUTH_MISSING_CREDENTIALS',
    );
  });
});
