import { withFaults, type InjectedFault } from './fault-injector';

const RESULT = Object.freeze({ irr: 0.1, moic: 1.5, percentiles: Object.freeze({ p50: 1.4, p95: 2 }), label: 'x' });
const KEYS = ['irr', 'moic', 'percentiles.p95'];

function engine() {
  return {
    calls: 0,
    run: () => RESULT,
    async runAsync() {
      return RESULT;
    },
  };
}

function record(seed: number, calls: number, rate = 1): InjectedFault[] {
  const faults: InjectedFault[] = [];
  const e = withFaults(engine(), { rate, seed, targetKeys: KEYS, onFault: (f) => faults.push(f) });
  for (let i = 0; i < calls; i++) e.run();
  return faults;
}

describe(withFaults.name, () => {
  it('replays exactly the same faults for the same seed and call sequence', () => {
    const seed = 20260101;
    console.info(`fault-injector spec seed=${seed}`);
    expect(record(seed, 200)).toEqual(record(seed, 200));
    expect(record(seed + 1, 200)).not.toEqual(record(seed, 200));
  });

  it('corrupts every call at rate 1 and none at rate 0', () => {
    const faults = record(1, 300, 1);
    expect(new Set(faults.map((f) => f.call)).size).toBe(300);
    expect(record(1, 300, 0)).toEqual([]);
  });

  it('corrupts about rate of the calls', () => {
    const hit = new Set(record(9, 10_000, 0.3).map((f) => f.call)).size;
    expect(hit / 10_000).toBeCloseTo(0.3, 1);
  });

  it('writes NaN, +/-Infinity and +/-1e308, including at deep paths, and hits distinct keys per call', () => {
    const faults = record(3, 500);
    expect(new Set(faults.map((f) => f.kind))).toEqual(
      new Set(['nan', 'inf', 'neg_inf', 'extreme_pos', 'extreme_neg']),
    );
    expect(faults.some((f) => f.path === 'percentiles.p95')).toBe(true);
    const byCall = new Map<number, string[]>();
    for (const f of faults) byCall.set(f.call, [...(byCall.get(f.call) ?? []), f.path]);
    for (const paths of byCall.values()) expect(new Set(paths).size).toBe(paths.length);
  });

  it('returns corrupted copies and never mutates the engine result', () => {
    const seen: InjectedFault[] = [];
    const e = withFaults(engine(), { rate: 1, seed: 5, targetKeys: KEYS, onFault: (f) => seen.push(f) });
    const out = e.run() as unknown as Record<string, unknown>;
    expect(out).not.toBe(RESULT);
    expect(RESULT).toEqual({ irr: 0.1, moic: 1.5, percentiles: { p50: 1.4, p95: 2 }, label: 'x' });
    for (const f of seen) {
      const value = f.path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], out);
      expect(Object.is(value, f.value)).toBe(true);
    }
    expect(out.label).toBe('x');
  });

  it('corrupts promised results, with faults decided in call order', async () => {
    const sync = record(11, 50);
    const faults: InjectedFault[] = [];
    const e = withFaults(engine(), { rate: 1, seed: 11, targetKeys: KEYS, onFault: (f) => faults.push(f) });
    await Promise.all(Array.from({ length: 50 }, () => e.runAsync()));
    expect(faults.sort((a, b) => a.call - b.call)).toEqual(sync);
  });

  it('skips target keys the result does not have', () => {
    const faults: InjectedFault[] = [];
    const e = withFaults(engine(), {
      rate: 1,
      seed: 2,
      targetKeys: ['missing.deep', 'nope'],
      onFault: (f) => faults.push(f),
    });
    expect(e.run()).toBe(RESULT);
    expect(faults).toEqual([]);
  });

  it('refuses a rate outside [0, 1]', () => {
    expect(() => withFaults(engine(), { rate: 1.5, seed: 1, targetKeys: KEYS })).toThrow(RangeError);
  });
});
