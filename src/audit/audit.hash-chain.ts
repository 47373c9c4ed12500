import { hash } from 'node:crypto';
import { canonicalJson } from './audit.canonical-json';
import { AUDIT_COLUMN_INDEX, AUDIT_RECORD_COLUMNS, type AuditRecord, type ChainedRecord } from './audit.types';

/** prev_hash of the first row ever written: 32 zero bytes. */
export const GENESIS_HASH = '0'.repeat(64);

/** The stored columns covered by the hash. legal_hold is excluded: it is the one column that may change. */
export const HASHED_COLUMNS = [
  'action',
  'actor_id',
  'actor_type',
  'changes',
  'correlation_id',
  'details',
  'duration_ms',
  'entity_id',
  'entity_type',
  'http_method',
  'id',
  'ip_address',
  'occurred_at',
  'outcome',
  'prev_hash',
  'request_path',
  'retention_until',
  'route',
  'seq',
  'session_id_hash',
  'status_code',
  'tenant_id',
  'user_agent',
] as const;

/**
 * The canonical JSON of a row, split around its two chain fields. The content parts are computed before
 * the writer takes the chain lock, so the time spent under the lock is string concatenation and SHA-256.
 * The result is byte-identical to canonicalJson(row) (a unit test holds it to that).
 */
export interface CanonicalParts {
  head: string;
  middle: string;
  tail: string;
}

const HEAD_KEYS = HASHED_COLUMNS.slice(0, HASHED_COLUMNS.indexOf('prev_hash')) as Array<keyof AuditRecord>;
const MIDDLE_KEYS = HASHED_COLUMNS.slice(
  HASHED_COLUMNS.indexOf('prev_hash') + 1,
  HASHED_COLUMNS.indexOf('seq'),
) as Array<keyof AuditRecord>;
const TAIL_KEYS = HASHED_COLUMNS.slice(HASHED_COLUMNS.indexOf('seq') + 1) as Array<keyof AuditRecord>;

const INDEX_KEY = /^(?:0|[1-9]\d*)$/;

/**
 * True when JSON.stringify already produces the canonical form: every object's keys are in ascending UTF-16
 * order and none is an array index (engines enumerate those first, numerically). The redactor emits sorted keys,
 * so records built by the service take the native JSON.stringify path; anything else takes canonicalJson.
 */
export function isCanonicallyOrdered(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return true;
  if (Array.isArray(value)) {
    for (const v of value) if (!isCanonicallyOrdered(v)) return false;
    return true;
  }
  const obj = value as Record<string, unknown>;
  let prev: string | undefined;
  for (const key in obj) {
    if ((prev !== undefined && !(prev < key)) || INDEX_KEY.test(key)) return false;
    if (!isCanonicallyOrdered(obj[key])) return false;
    prev = key;
  }
  return true;
}

/**
 * A string JSON.stringify returns unchanged between two quotes: no quote, backslash, control character or
 * surrogate (lone surrogates are escaped; pairs take the slow path too, which is merely slower). Such strings need
 * no escaping in COPY text format either, so one test serves both encodings.
 */
// eslint-disable-next-line no-control-regex
export const NEEDS_ENCODING = /[\u0000-\u001f"\\\ud800-\udfff]/;

/** Canonical JSON of one column value: a scalar (string, number, null), or changes/details (any JSON value). */
export function canonicalValue(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return NEEDS_ENCODING.test(value) ? JSON.stringify(value) : '"' + value + '"';
  if (typeof value === 'object') return isCanonicallyOrdered(value) ? JSON.stringify(value) : canonicalJson(value);
  // A finite number's JSON is its ECMAScript string form (-0 included: both give "0").
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return canonicalJson(value);
}

/**
 * Per part, a reusable piece list for Array#join: `"key":` openers at even positions (filled once), the column's
 * encoded value at odd positions (filled per row), with where in AUDIT_RECORD_COLUMNS order each value comes from.
 * Reusing them saves five arrays per record on the write path; nothing can interleave (the assembly is synchronous).
 */
const PART_PIECES = [HEAD_KEYS, MIDDLE_KEYS, TAIL_KEYS].map((keys) => ({
  pieces: keys.flatMap((k, i) => [`${i ? ',' : ''}"${k}":`, '']),
  from: keys.map((k) => {
    const index = AUDIT_COLUMN_INDEX[k] as number | undefined;
    if (index === undefined) throw new Error(`hashed column ${k} is not a record column`);
    return index;
  }),
}));

/**
 * The three canonical parts from the record's columns already encoded as canonical JSON, in AUDIT_RECORD_COLUMNS
 * order. Each part is assembled with Array#join, which yields one flat string: built with `+`, it would be a rope of
 * ~40 pieces that hashing and buffer writes must flatten again (measured 2-3x slower on the write path).
 */
export function partsFrom(encoded: ReadonlyArray<string>): CanonicalParts {
  const out: string[] = [];
  joinPieces(PART_PIECES, encoded, out);
  return { head: out[0], middle: out[1], tail: out[2] };
}

/** Fills each piece list's odd positions from `encoded` and joins it into `out[i]` (see PART_PIECES). */
function joinPieces(
  sets: ReadonlyArray<{ pieces: string[]; from: number[] }>,
  encoded: ReadonlyArray<string>,
  out: string[],
): void {
  for (let s = 0; s < sets.length; s++) {
    const { pieces, from } = sets[s];
    for (let i = 0; i < from.length; i++) pieces[2 * i + 1] = encoded[from[i]];
    out[s] = pieces.join('');
  }
}

/**
 * The canonical row is `{head,"prev_hash":"PREV",middle,"seq":"SEQ",tail}`. Cut around its two chain values, it is
 * three segments that do not depend on the chain: SEGMENT_OPEN[i] + part i + SEGMENT_CLOSE[i]. The COPY write path
 * stores rows as these segments, so a row's canonical JSON is segment, prev hash, segment, seq, segment.
 */
export const SEGMENT_OPEN = ['{', '",', '",'] as const;
export const SEGMENT_CLOSE = [',"prev_hash":"', ',"seq":"', '}'] as const;

const SEGMENT_PIECES = PART_PIECES.map(({ pieces, from }, i) => ({
  pieces: [SEGMENT_OPEN[i] + pieces[0], ...pieces.slice(1), SEGMENT_CLOSE[i]],
  from,
}));

/** The three segments (see SEGMENT_OPEN) from encoded columns, as partsFrom builds the parts. */
export function segmentsFrom(encoded: ReadonlyArray<string>, out: string[]): void {
  joinPieces(SEGMENT_PIECES, encoded, out);
}

const ENCODED_SCRATCH = new Array<string>(AUDIT_RECORD_COLUMNS.length);

export function canonicalParts(record: AuditRecord): CanonicalParts {
  for (let i = 0; i < AUDIT_RECORD_COLUMNS.length; i++)
    ENCODED_SCRATCH[i] = canonicalValue(record[AUDIT_RECORD_COLUMNS[i]]);
  return partsFrom(ENCODED_SCRATCH);
}

/**
 * The record back from its canonical parts (they hold every record column as canonical JSON), for the rare paths
 * that need the object again after the writer dropped it: spooling and preparing for another batch format.
 */
export function recordFromParts(parts: CanonicalParts): AuditRecord {
  return JSON.parse(`{${parts.head},${parts.middle},${parts.tail}}`) as AuditRecord;
}

const ROW_PIECES = ['{', '', ',"prev_hash":"', '', '",', '', ',"seq":"', '', '",', '', '}'];

export function canonicalRow(parts: CanonicalParts, seq: string, prevHash: string): string {
  // join, not a template: one flat string for SHA-256 (see partsFrom).
  ROW_PIECES[1] = parts.head;
  ROW_PIECES[3] = prevHash;
  ROW_PIECES[5] = parts.middle;
  ROW_PIECES[7] = seq;
  ROW_PIECES[9] = parts.tail;
  return ROW_PIECES.join('');
}

/** hash = SHA-256(UTF-8(canonical JSON of the row, with seq as a decimal string and prev_hash as hex)). */
export function rowHash(parts: CanonicalParts, seq: string, prevHash: string): string {
  // One-shot crypto.hash: no Hash object per row on the write path.
  return hash('sha256', canonicalRow(parts, seq, prevHash), 'hex');
}

/**
 * The one chain walk: assigns seq to records in order, continuing the chain from `head`. `link` hashes one row with
 * its seq and prev_hash, serialises it for its caller and returns its hash, which the next row links to. Returns the
 * new head.
 */
export function chainEach<T>(
  records: ReadonlyArray<T>,
  head: { seq: bigint; hash: string },
  link: (item: T, seq: string, prevHash: string) => string,
): { seq: bigint; hash: string } {
  let seq = head.seq;
  let prev = head.hash;
  for (const item of records) {
    seq += 1n;
    prev = link(item, seq.toString(), prev);
  }
  return { seq, hash: prev };
}

/** Assigns seq and hashes to records in order, continuing the chain from the given head. */
export function extendChain(
  records: ReadonlyArray<{ record: AuditRecord; parts: CanonicalParts }>,
  head: { seq: bigint; hash: string },
): { rows: ChainedRecord[]; head: { seq: bigint; hash: string } } {
  const rows: ChainedRecord[] = [];
  const last = chainEach(records, head, ({ record, parts }, seq, prevHash) => {
    const digest = rowHash(parts, seq, prevHash);
    rows.push({ ...record, seq, prev_hash: prevHash, hash: digest });
    return digest;
  });
  return { rows, head: last };
}

/**
 * The write path's version of extendChain for PGlite: returns the batch as the JSON array the insert statement
 * unpacks. Each element is the row's canonical JSON (built once, for hashing) plus its hash, so the batch is
 * serialised once.
 */
export function chainJson(
  records: ReadonlyArray<{ parts: CanonicalParts }>,
  head: { seq: bigint; hash: string },
): { json: string; head: { seq: bigint; hash: string } } {
  let json = '[';
  const last = chainEach(records, head, ({ parts }, seq, prevHash) => {
    const canonical = canonicalRow(parts, seq, prevHash);
    // One-shot crypto.hash: no Hash object per row on the write path.
    const digest = hash('sha256', canonical, 'hex');
    json += `${json.length > 1 ? ',' : ''}${canonical.slice(0, -1)},"hash":"${digest}"}`;
    return digest;
  });
  return { json: `${json}]`, head: last };
}
