import fc from 'fast-check';
import { canonicalJson } from './audit.canonical-json';
import {
  canonicalParts,
  canonicalRow,
  chainJson,
  extendChain,
  GENESIS_HASH,
  HASHED_COLUMNS,
  isCanonicallyOrdered,
  recordFromParts,
  rowHash,
} from './audit.hash-chain';
import { auditRecordFixture as record } from '../../test/factories/audit-record.factory';

describe('canonicalJson', () => {
  it('sorts keys, drops undefined members and prints numbers like JSON.stringify', () => {
    expect(canonicalJson({ b: 1, a: [1e21, 0.1, -0, undefined], c: undefined, é: 'x' })).toBe(
      '{"a":[1e+21,0.1,0,null],"b":1,"é":"x"}',
    );
  });

  it('parses back to the same value for any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        expect(JSON.parse(canonicalJson(v))).toEqual(JSON.parse(JSON.stringify(v)));
      }),
    );
  });

  it('does not depend on key insertion order', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 2 })), (obj) => {
        const reversed = Object.fromEntries(Object.entries(obj).reverse());
        expect(canonicalJson(reversed)).toBe(canonicalJson(obj));
      }),
    );
  });
});

describe('hash chain', () => {
  it('lists the hashed columns in canonical (sorted) order', () => {
    expect([...HASHED_COLUMNS]).toEqual([...HASHED_COLUMNS].sort());
  });

  it('builds exactly the canonical JSON of the whole row from its precomputed parts', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 3 }), fc.string(), fc.bigInt({ min: 1n, max: 2n ** 62n }), (d, ua, seq) => {
        const r = record({ details: JSON.parse(JSON.stringify(d ?? null)) as unknown, user_agent: ua });
        const row = { ...r, seq: seq.toString(), prev_hash: GENESIS_HASH };
        expect(canonicalRow(canonicalParts(r), seq.toString(), GENESIS_HASH)).toBe(canonicalJson(row));
      }),
    );
  });

  it('cuts the parts at the top-level chain positions when values mimic the column names', () => {
    const mimic = ',"request_path":"x","session_id_hash":null,"seq":"1"';
    const r = record({
      changes: { a: 1, request_path: { a: 2, session_id_hash: mimic }, session_id_hash: 'a' },
      details: { a: 0, request_path: mimic, z: [{ a: 1, session_id_hash: 1 }] },
      request_path: `/api/x${mimic}`,
      route: mimic,
      user_agent: mimic,
    });
    expect(isCanonicallyOrdered(r.details)).toBe(true);
    const row = { ...r, seq: '9', prev_hash: GENESIS_HASH };
    expect(canonicalRow(canonicalParts(r), '9', GENESIS_HASH)).toBe(canonicalJson(row));
  });

  it('gives the record back from its canonical parts, for the spool', () => {
    fc.assert(
      fc.property(
        fc.jsonValue({ maxDepth: 3 }),
        fc.string(),
        fc.option(fc.double({ noNaN: true, noDefaultInfinity: true })),
        (d, ua, ms) => {
          const r = record({
            details: JSON.parse(JSON.stringify(d ?? null)) as unknown,
            user_agent: ua,
            duration_ms: ms,
          });
          expect(recordFromParts(canonicalParts(r))).toEqual(JSON.parse(JSON.stringify(r)));
        },
      ),
    );
  });

  it('links each row to the previous hash and changes every later hash when one row changes', () => {
    const records = [record(), record({ id: 'b' }), record({ id: 'c' })].map((r) => ({
      record: r,
      parts: canonicalParts(r),
    }));
    const { rows, head } = extendChain(records, { seq: 0n, hash: GENESIS_HASH });
    expect(rows.map((r) => r.seq)).toEqual(['1', '2', '3']);
    expect(rows[0].prev_hash).toBe(GENESIS_HASH);
    expect(rows[1].prev_hash).toBe(rows[0].hash);
    expect(head).toEqual({ seq: 3n, hash: rows[2].hash });
    const edited = record({ outcome: 'failure' });
    expect(rowHash(canonicalParts(edited), '1', GENESIS_HASH)).not.toBe(rows[0].hash);
  });
});

describe('native canonical path', () => {
  it('produces the same parts as canonicalJson for redactor output and falls back for index-like keys', () => {
    const { Redactor } = jest.requireActual<typeof import('../common/redactor')>('../common/redactor');
    const redactor = new Redactor({ sortKeys: true, enabled: false });
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (v) => {
        const details = redactor.redact(JSON.parse(JSON.stringify(v ?? null)) as unknown);
        const r = record({ details, changes: { b: 1, a: { '2': 'x', '10': 'y' } } });
        const row = { ...r, seq: '5', prev_hash: GENESIS_HASH };
        expect(canonicalRow(canonicalParts(r), '5', GENESIS_HASH)).toBe(canonicalJson(row));
        const plain = record({ details, changes: null });
        expect(canonicalRow(canonicalParts(plain), '5', GENESIS_HASH)).toBe(
          canonicalJson({ ...plain, seq: '5', prev_hash: GENESIS_HASH }),
        );
      }),
    );
    expect(isCanonicallyOrdered(redactor.redact({ z: 1, a: [{ y: 2, b: 3 }] }))).toBe(true);
    expect(isCanonicallyOrdered({ '1': 'x', a: 2 })).toBe(false);
  });
});

describe('chainJson', () => {
  it('serialises the same rows and head as extendChain', () => {
    const items = [record(), record({ id: 'b', details: null })].map((r) => ({ record: r, parts: canonicalParts(r) }));
    const head = { seq: 41n, hash: GENESIS_HASH };
    const expected = extendChain(items, head);
    const got = chainJson(items, head);
    expect(got.head).toEqual(expected.head);
    expect(JSON.parse(got.json)).toEqual(JSON.parse(JSON.stringify(expected.rows)));
  });
});
