import fc from 'fast-check';
import { MAX_REPORTED_PATHS, sanitizeValue, type SanitizeOptions } from './sanitize';

const NULL_MODE: SanitizeOptions = { mode: 'null', maxDepth: 64, maxNodes: 100_000 };
const STRING_MODE: SanitizeOptions = { ...NULL_MODE, mode: 'string' };

/** JSON-like values with NaN and +/-Infinity sprinkled at any depth. */
const { value: dirtyJson } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.double().map((d) => (Object.is(d, -0) ? 0 : d)),
    fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY),
    fc.integer(),
    fc.string(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 6 }),
    fc.dictionary(fc.string({ maxLength: 6 }), tie('value'), { maxKeys: 6 }),
  ),
}));

function nonFiniteCount(v: unknown): number {
  if (typeof v === 'number') return Number.isFinite(v) ? 0 : 1;
  if (v === null || typeof v !== 'object') return 0;
  return Object.values(v).reduce<number>((n, c) => n + nonFiniteCount(c), 0);
}

/** The reference for string mode, written independently of the implementation. */
function named(v: unknown): unknown {
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (Array.isArray(v)) return v.map(named);
  if (v === null || typeof v !== 'object') return v;
  return Object.fromEntries(Object.entries(v).map(([k, c]) => [k, named(c)]));
}

describe(sanitizeValue.name, () => {
  it('leaves no non-finite number, round-trips through JSON and keeps finite values (property)', () => {
    fc.assert(
      fc.property(dirtyJson, (input) => {
        const before = structuredClone(input);
        const { value, report } = sanitizeValue(input, NULL_MODE);
        expect(nonFiniteCount(value)).toBe(0);
        expect(JSON.parse(JSON.stringify(value))).toEqual(value);
        // Null mode is exactly what JSON.stringify writes, so the text is identical.
        expect(JSON.stringify(value)).toBe(JSON.stringify(input));
        expect(report.count).toBe(nonFiniteCount(input));
        expect(report.paths.length).toBe(Math.min(report.count, MAX_REPORTED_PATHS));
        expect(input).toEqual(before);
        if (report.count === 0) expect(value).toBe(input);
      }),
      { numRuns: 500 },
    );
  });

  it('writes the names in string mode and changes nothing else (property)', () => {
    fc.assert(
      fc.property(dirtyJson, (input) => {
        const { value } = sanitizeValue(input, STRING_MODE);
        expect(nonFiniteCount(value)).toBe(0);
        expect(JSON.parse(JSON.stringify(value))).toEqual(named(input));
      }),
      { numRuns: 300 },
    );
  });

  it('reports kinds and JSON paths of what it fixed', () => {
    const { value, report } = sanitizeValue(
      { a: [1, Number.NaN], b: { 'odd key': Number.POSITIVE_INFINITY }, c: Number.NEGATIVE_INFINITY },
      NULL_MODE,
    );
    expect(value).toEqual({ a: [1, null], b: { 'odd key': null }, c: null });
    expect(report).toEqual({
      count: 3,
      kinds: { nan: 1, inf: 1, neg_inf: 1 },
      paths: ['$.a[1]', '$.b["odd key"]', '$.c'],
      limitExceeded: null,
    });
  });

  it('copies only the paths it fixes and never mutates a shared object', () => {
    const shared = { x: Number.NaN };
    const clean = { y: [1, 2, 3] };
    const input = { first: shared, second: shared, clean };
    const { value } = sanitizeValue(input, NULL_MODE);
    expect(value).toEqual({ first: { x: null }, second: { x: null }, clean: { y: [1, 2, 3] } });
    expect(shared.x).toBeNaN();
    expect(value.clean).toBe(clean);
  });

  it('follows JSON.stringify for Date, Buffer, toJSON, class instances, typed arrays, Map, Set and boxed numbers', () => {
    class Money {
      private readonly hidden = 1;
      constructor(readonly amount: number) {}
    }
    const input = {
      when: new Date('2024-01-02T00:00:00Z'),
      invalid: new Date(Number.NaN),
      bytes: Buffer.from([1, 2]),
      custom: { toJSON: () => ({ v: Number.NaN }) },
      scalar: { toJSON: () => Number.POSITIVE_INFINITY },
      money: new Money(Number.NEGATIVE_INFINITY),
      floats: new Float64Array([1, Number.NaN]),
      ints: new Int32Array([1, 2]),
      map: new Map([['k', Number.NaN]]),
      set: new Set([Number.NaN]),
      boxed: new Number(Number.POSITIVE_INFINITY),
    };
    const { value, report } = sanitizeValue(input, NULL_MODE);
    expect(JSON.stringify(value)).toBe(JSON.stringify(input));
    expect(nonFiniteCount(JSON.parse(JSON.stringify(value)))).toBe(0);
    expect(report.count).toBe(5);
    expect(report.paths).toEqual(['$.custom.v', '$.scalar', '$.money.amount', '$.floats[1]', '$.boxed']);
    expect(value.when).toBe(input.when);
    const named = sanitizeValue(input, STRING_MODE).value as unknown as Record<string, unknown>;
    expect(JSON.parse(JSON.stringify(named))).toMatchObject({
      custom: { v: 'NaN' },
      scalar: 'Infinity',
      money: { amount: '-Infinity', hidden: 1 },
      floats: { 0: 1, 1: 'NaN' },
      boxed: 'Infinity',
      map: {},
    });
  });

  it('falls back past the depth limit and still leaves nothing non-finite', () => {
    let deep: unknown = { v: Number.NaN };
    for (let i = 0; i < 100; i++) deep = { next: deep };
    const { value, report, json } = sanitizeValue(deep, { ...NULL_MODE, maxDepth: 10 });
    expect(report.limitExceeded).toBe('depth');
    expect(report.count).toBe(1);
    expect(nonFiniteCount(value)).toBe(0);
    expect(json).toBe(JSON.stringify(deep));
  });

  it('falls back past the node limit, in string mode too', () => {
    const wide = Array.from({ length: 1000 }, (_, i) => (i % 100 === 0 ? Number.POSITIVE_INFINITY : i));
    const { value, report } = sanitizeValue(wide, { ...STRING_MODE, maxNodes: 100 });
    expect(report).toMatchObject({ limitExceeded: 'nodes', count: 10, kinds: { inf: 10 } });
    expect((value as unknown[])[0]).toBe('Infinity');
  });

  it('throws on cycles as JSON.stringify does', () => {
    const cyclic: Record<string, unknown> = { n: Number.NaN };
    cyclic.self = cyclic;
    expect(() => sanitizeValue(cyclic, NULL_MODE)).toThrow(TypeError);
  });

  it('handles top-level numbers and a key named __proto__', () => {
    expect(sanitizeValue(Number.NaN, NULL_MODE).value).toBeNull();
    expect(sanitizeValue(3, NULL_MODE).value).toBe(3);
    const input = JSON.parse('{"__proto__": {"x": 1}, "y": 1}') as Record<string, unknown>;
    input.y = Number.NaN;
    const { value } = sanitizeValue(input, NULL_MODE);
    expect(JSON.stringify(value)).toBe('{"__proto__":{"x":1},"y":null}');
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
  });
});
