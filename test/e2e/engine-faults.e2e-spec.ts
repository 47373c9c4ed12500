import { withFaults, type InjectedFault } from '../../src/engine-guard/fault-injector';
import { EngineGuardInterceptor } from '../../src/engine-guard/engine-guard.interceptor';
import { createTestApp, type TestApp } from '../utils/create-test-app';

const URL = '/api/calculate';
const ROUTE = '/api/calculate';
const CALLS = 500;
const SEEDS = [1337, 42, 3_141_592_653];
const TARGET_KEYS = ['irr', 'moic', 'tvpi', 'dpi', 'percentiles.p5', 'percentiles.p50', 'percentiles.p95'];
/** A bare NaN/Infinity token anywhere in the bytes (a quoted "NaN" string is string mode's output). */
const NON_FINITE_TOKEN = /(?<![A-Za-z"])-?(NaN|Infinity)(?![A-Za-z"])/;
const KINDS = ['nan', 'inf', 'neg_inf'] as const;
const NON_FINITE = new Set<string>(KINDS);

const FUND = {
  cashFlows: [
    { date: '2019-01-01', amount: -1000 },
    { date: '2020-06-30', amount: 300 },
    { date: '2022-12-31', amount: 900 },
  ],
  residualValue: 250,
  simulations: 50,
  seed: 11,
};

/** The faults the server must have injected: the same generator, seed and call sequence, replayed here. */
function predictFaults(seed: number, calls: number): InjectedFault[][] {
  const perCall: InjectedFault[][] = Array.from({ length: calls }, () => []);
  const result = { irr: 0, moic: 0, tvpi: 0, dpi: 0, percentiles: { p5: 0, p25: 0, p50: 0, p75: 0, p95: 0 } };
  const engine = withFaults(
    { calculate: () => result },
    { rate: 1, seed, targetKeys: TARGET_KEYS, onFault: (f) => perCall[f.call - 1].push(f) },
  );
  for (let i = 0; i < calls; i++) engine.calculate();
  return perCall;
}

function metric(text: string, name: string, labels: Record<string, string>): number {
  const want = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .sort()
    .join(',');
  for (const line of text.split('\n')) {
    const m = /^(\w+)\{([^}]*)\} (\S+)$/.exec(line);
    if (m && m[1] === name && m[2].split(',').sort().join(',') === want) return Number(m[3]);
  }
  return 0;
}

function allFinite(value: unknown): boolean {
  if (typeof value === 'number') return Number.isFinite(value);
  if (value && typeof value === 'object') return Object.values(value).every(allFinite);
  return true;
}

describe(`${EngineGuardInterceptor.name} under fault injection`, () => {
  let t: TestApp;
  let clientKey: string;

  beforeAll(async () => {
    t = await createTestApp();
    const res = await t.asAdmin({
      method: 'POST',
      url: '/api/admin/api-keys',
      payload: { name: 'fault-client', role: 'client', tenantId: 'faults' },
    });
    expect(res.statusCode).toBe(201);
    clientKey = res.json<{ key: string }>().key;
  });

  afterAll(async () => {
    await t?.close();
  });

  const configure = async (body: Record<string, unknown>) => {
    const res = await t.asAdmin({ method: 'POST', url: '/api/admin/engine/guard', payload: body });
    expect(res.statusCode).toBe(200);
  };

  beforeEach(async () => {
    await configure({ faultRate: 0, guardEnabled: true, guardMode: 'null', targetKeys: TARGET_KEYS });
  });

  const calculate = () => t.inject({ method: 'POST', url: URL, payload: FUND, headers: { 'x-api-key': clientKey } });
  const scrape = async () => (await t.inject({ method: 'GET', url: '/metrics' })).body;
  const status = async () =>
    (await t.asAdmin({ method: 'GET', url: '/api/admin/engine/status' })).json<{
      counts: { calls: number; faultsInjected: number; valuesSanitized: number };
    }>().counts;

  it.each(SEEDS)('never lets a non-finite value out in %i-seeded runs at fault rate 1.0', async (seed) => {
    console.info(`engine fault e2e: seed=${seed} calls=${CALLS} targetKeys=${TARGET_KEYS.join(',')}`);
    const expected = predictFaults(seed, CALLS);
    const metricsBefore = await scrape();
    const statusBefore = await status();
    await configure({ faultRate: 1, seed });

    let extremes = 0;
    for (let i = 0; i < CALLS; i++) {
      const res = await calculate();
      const context = `seed=${seed} call=${i + 1}`;
      expect({ context, status: res.statusCode }).toEqual({ context, status: 200 });
      expect({ context, body: res.body }).toEqual({ context, body: expect.not.stringMatching(NON_FINITE_TOKEN) });
      expect({ context, finite: allFinite(res.json()) }).toEqual({ context, finite: true });
      const fixed = expected[i].filter((f) => NON_FINITE.has(f.kind)).length;
      expect({ context, header: res.headers['x-engine-guard'] }).toEqual({
        context,
        header: fixed > 0 ? `sanitized=${fixed}` : undefined,
      });
      if (res.body.includes('e+308')) extremes++;
    }

    const metricsAfter = await scrape();
    const statusAfter = await status();
    const all = expected.flat();
    for (const kind of KINDS) {
      const injected = all.filter((f) => f.kind === kind).length;
      const labels = { route: ROUTE, kind };
      const delta =
        metric(metricsAfter, 'calc_guard_bad_values_total', labels) -
        metric(metricsBefore, 'calc_guard_bad_values_total', labels);
      expect({ seed, kind, delta }).toEqual({ seed, kind, delta: injected });
    }
    const eventDelta =
      metric(metricsAfter, 'calc_guard_events_total', { route: ROUTE }) -
      metric(metricsBefore, 'calc_guard_events_total', { route: ROUTE });
    expect(eventDelta).toBe(expected.filter((c) => c.some((f) => NON_FINITE.has(f.kind))).length);
    expect(statusAfter.calls - statusBefore.calls).toBe(CALLS);
    expect(statusAfter.faultsInjected - statusBefore.faultsInjected).toBe(all.length);
    expect(statusAfter.valuesSanitized - statusBefore.valuesSanitized).toBe(
      all.filter((f) => NON_FINITE.has(f.kind)).length,
    );
    // Extreme finite values are faults too; they pass the guard unchanged, as they should.
    expect(extremes).toBe(expected.filter((c) => c.some((f) => !NON_FINITE.has(f.kind))).length);
  });

  it('replays the same faults after the seed is set again', async () => {
    const run = async () => {
      await configure({ faultRate: 0.5, seed: 99 });
      const bodies: string[] = [];
      for (let i = 0; i < 30; i++) bodies.push((await calculate()).body);
      return bodies;
    };
    const first = await run();
    expect(first.some((b) => b.includes('null'))).toBe(true);
    expect(await run()).toEqual(first);
  });

  it('writes the names as strings in string mode', async () => {
    await configure({ faultRate: 1, seed: 5, guardMode: 'string' });
    const bodies = await Promise.all(Array.from({ length: 20 }, () => calculate()));
    for (const res of bodies) expect(res.body).not.toMatch(NON_FINITE_TOKEN);
    expect(bodies.some((r) => /"(NaN|Infinity|-Infinity)"/.test(r.body))).toBe(true);
  });

  it('answers 500 problem+json naming the paths in error mode', async () => {
    await configure({ faultRate: 1, seed: 5, guardMode: 'error', targetKeys: ['percentiles.p95'] });
    let res = await calculate();
    // Seed 5 may pick an extreme finite value first; those pass, so look for the first refused call.
    for (let i = 0; i < 20 && res.statusCode === 200; i++) res = await calculate();
    expect(res.statusCode).toBe(500);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).not.toMatch(NON_FINITE_TOKEN);
    expect(res.json()).toMatchObject({
      code: 'ENGINE_GUARD_NON_FINITE_RESPONSE',
      errors: [{ field: '$.percentiles.p95' }],
    });
  });

  it('leaves the header off when the guard is switched off', async () => {
    await configure({ faultRate: 1, seed: 5, guardEnabled: false, targetKeys: ['irr'] });
    const bodies = await Promise.all(Array.from({ length: 10 }, () => calculate()));
    for (const res of bodies) expect(res.headers['x-engine-guard']).toBeUndefined();
  });
});
