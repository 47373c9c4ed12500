import fc from 'fast-check';
import { extendChain, canonicalParts, GENESIS_HASH, rowHash } from './audit.hash-chain';
import { chainCopy, chainRows, copyField, COPY_COLUMNS, CopyRow, prepareRow, preparedFor } from './audit.row-format';
import { auditRecordFixture } from '../../test/factories/audit-record.factory';
import type { AuditRecord } from './audit.types';

const record = (overrides: Partial<AuditRecord> = {}): AuditRecord =>
  auditRecordFixture({
    details: { note: 'tab\there\nnew line \\ backslash \\N', z: [1, 'x'] },
    user_agent: 'ua\\1',
    ...overrides,
  });

/** COPY text format read back the way PostgreSQL reads it: \N is NULL, backslash escapes decoded. */
function parseCopyLine(line: string): Array<string | null> {
  return line.split('\t').map((field) => {
    if (field === '\\N') return null;
    return field.replace(/\\(.)/g, (_m, c: string) => ({ t: '\t', n: '\n', r: '\r' })[c] ?? c);
  });
}

describe('COPY row format', () => {
  it('escapes exactly the characters COPY text format treats specially', () => {
    expect(copyField(null)).toBe('\\N');
    expect(copyField(undefined)).toBe('\\N');
    expect(copyField('\\N')).toBe('\\\\N');
    expect(copyField('a\tb\nc\rd\\e')).toBe('a\\tb\\nc\\rd\\\\e');
    expect(copyField('plain ünïcödé 🚀')).toBe('plain ünïcödé 🚀');
    expect(copyField(3.25)).toBe('3.25');
    expect(copyField('nul\u0000byte')).toBe('nulbyte');
  });

  it('chains to the same seq, hashes and head as extendChain, one parseable line per row', () => {
    const records = [record(), record({ id: 'b', details: null, changes: { before: 1, after: 2 } })];
    const head = { seq: 41n, hash: GENESIS_HASH };
    const expected = extendChain(
      records.map((r) => ({ record: r, parts: canonicalParts(r) })),
      head,
    );
    const got = chainCopy(
      records.map((r) => prepareRow(r, 'copy')),
      head,
    );
    expect(got.head).toEqual(expected.head);
    const lines = got.payload.toString('utf8').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(2);
    lines.forEach((line, i) => {
      const fields = parseCopyLine(line);
      expect(fields).toHaveLength(COPY_COLUMNS.length);
      const row = Object.fromEntries(COPY_COLUMNS.map((c, j) => [c, fields[j]]));
      const want = expected.rows[i];
      expect(row).toMatchObject({
        id: want.id,
        seq: want.seq,
        prev_hash: `\\x${want.prev_hash}`,
        hash: `\\x${want.hash}`,
        user_agent: want.user_agent,
        entity_id: null,
        status_code: '201',
        duration_ms: '1.25',
      });
      expect(JSON.parse(row.details ?? 'null')).toEqual(want.details);
      expect(JSON.parse(row.changes ?? 'null')).toEqual(want.changes);
    });
  });

  it('encodes every record column, in column order, as the generic canonical and COPY encodings do', () => {
    const text = fc.option(fc.string({ unit: 'binary' }), { nil: null });
    fc.assert(
      fc.property(
        fc.record({
          id: fc.uuid(),
          tenant_id: text,
          actor_id: text,
          action: fc.string({ minLength: 1 }),
          entity_type: text,
          entity_id: text,
          changes: fc.jsonValue({ maxDepth: 2 }),
          details: fc.jsonValue({ maxDepth: 2 }),
          user_agent: text,
          correlation_id: text,
          session_id_hash: text,
          request_path: text,
          route: text,
          http_method: text,
          status_code: fc.option(fc.integer({ min: 100, max: 599 }), { nil: null }),
          duration_ms: fc.option(fc.double({ noNaN: true, noDefaultInfinity: true }), { nil: null }),
        }),
        (fields) => {
          const r = record(JSON.parse(JSON.stringify(fields)) as Partial<AuditRecord>);
          const row = prepareRow(r, 'copy');
          expect(row.parts).toEqual(canonicalParts(r));
          const line = parseCopyLine(row.copy!);
          expect(line).toHaveLength(COPY_COLUMNS.length - 3);
          COPY_COLUMNS.slice(0, -3).forEach((column, i) => {
            const value = r[column as keyof AuditRecord];
            if (column === 'changes' || column === 'details')
              expect(line[i] === null ? null : JSON.parse(line[i]!)).toEqual(value ?? null);
            else expect(line[i]).toBe(value === null ? null : String(value).replaceAll('\u0000', ''));
          });
        },
      ),
    );
  });

  it('serialises a batch for either format from the same prepared rows', () => {
    const head = { seq: 0n, hash: GENESIS_HASH };
    const copy = chainRows([prepareRow(record(), 'copy')], head, 'copy');
    const json = chainRows([prepareRow(record(), 'json')], head, 'json');
    expect(copy.head).toEqual(json.head);
    expect(JSON.parse(json.payload as string)).toHaveLength(1);
  });

  it('encodes lines longer than the buffer first reserved, multibyte text included, exactly', () => {
    const long = 'ünïcödé 🚀 '.repeat(400);
    const rows = [record({ details: { note: long } }), record({ id: 'b', user_agent: long })].map((r) =>
      prepareRow(r, 'copy'),
    );
    const head = { seq: 0n, hash: GENESIS_HASH };
    const got = chainCopy(rows, head);
    const lines = got.payload.toString('utf8').split('\n');
    expect(lines[0].startsWith(rows[0].copy!)).toBe(true);
    expect(lines[1].startsWith(rows[1].copy!)).toBe(true);
    expect(parseCopyLine(lines[1])[COPY_COLUMNS.indexOf('user_agent')]).toBe(long);
  });

  it('prepares again a row prepared for JSON when COPY needs it, and keeps one that fits', () => {
    const r = record();
    const forJson = prepareRow(r, 'json');
    expect(preparedFor(forJson, 'json')).toBe(forJson);
    const again = preparedFor(forJson, 'copy') as CopyRow;
    expect(again).toBeInstanceOf(CopyRow);
    expect(again.copy).toBe(prepareRow(r, 'copy').copy);
    expect(again.parts).toEqual(forJson.parts);
    const forCopy = prepareRow(r, 'copy');
    expect(preparedFor(forCopy, 'copy')).toBe(forCopy);
    expect(() => chainCopy([forJson], { seq: 0n, hash: GENESIS_HASH })).toThrow(/not prepared/);
  });

  it('hashes a row from its stored bytes exactly as rowHash does from its parts, multibyte text included', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary' }),
        fc.jsonValue({ maxDepth: 2 }),
        fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }),
        fc.stringMatching(/^[0-9a-f]{64}$/),
        (userAgent, details, seq, prevHash) => {
          const r = record(JSON.parse(JSON.stringify({ user_agent: userAgent, details })) as Partial<AuditRecord>);
          const row = prepareRow(r, 'copy');
          expect(row.parts).toEqual(canonicalParts(r));
          expect(row.id).toBe(r.id);
          expect(row.occurredAt).toBe(r.occurred_at);
          expect(row.digest(String(seq), prevHash)).toBe(rowHash(canonicalParts(r), String(seq), prevHash));
        },
      ),
    );
  });

  it('keeps every stored row intact while later rows fill and overflow the shared slabs', () => {
    // 1 000 rows of ~2.5 KB cross several 256 KB slabs; a row larger than a slab gets one of its own.
    const records = Array.from({ length: 1_000 }, (_, i) =>
      record({ id: `00000000-0000-7000-8000-${String(i).padStart(12, '0')}`, details: { n: i, pad: 'ü'.repeat(800) } }),
    );
    records.push(record({ details: { big: 'x'.repeat(400_000) } }));
    const rows = records.map((r) => prepareRow(r, 'copy'));
    rows.forEach((row, i) => {
      expect(row.id).toBe(records[i].id);
      expect(row.parts).toEqual(canonicalParts(records[i]));
    });
  });
});
