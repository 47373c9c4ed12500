import {
  canonicalParts,
  canonicalValue,
  chainEach,
  chainJson,
  NEEDS_ENCODING,
  partsFrom,
  recordFromParts,
  type CanonicalParts,
} from './audit.hash-chain';
import { AUDIT_COLUMN_INDEX, AUDIT_RECORD_COLUMNS, type AuditRecord } from './audit.types';

/**
 * How a batch travels to the database. `copy`: PostgreSQL's COPY text format over the pg driver, the cheapest
 * input PostgreSQL parses. `json`: one JSON array unpacked by json_to_recordset, for the embedded PGlite.
 */
export type RowFormat = 'copy' | 'json';

/**
 * A record made ready for the chain before the writer needs it: its canonical parts (for hashing) and, for COPY,
 * its line up to the three chain columns. Neither depends on the chain head, so both are built off the critical path.
 */
export interface PreparedRow {
  parts: CanonicalParts;
  copy?: string;
  /** The record's key, to find it again after an ambiguous commit. */
  id: string;
  occurredAt: string;
}

/** The COPY column order: the record's own columns, then the chain columns the writer appends per batch. */
export const COPY_COLUMNS = [...AUDIT_RECORD_COLUMNS, 'seq', 'prev_hash', 'hash'] as const;

// eslint-disable-next-line no-control-regex
const NEEDS_ESCAPE = /[\\\t\n\r\u0000]/;
// eslint-disable-next-line no-control-regex
const ESCAPABLE = /[\\\t\n\r\u0000]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r', '\u0000': '' };

/**
 * One value in COPY text format: NULL as \N; backslash, tab, newline and carriage return escaped. NUL cannot be
 * stored in PostgreSQL text at all; records never carry it (the redactor and record factory remove it), and it is
 * dropped here too rather than let one value fail a whole batch.
 */
export function copyField(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '\\N';
  const s = typeof value === 'string' ? value : String(value);
  return NEEDS_ESCAPE.test(s) ? s.replace(ESCAPABLE, (c) => ESCAPES[c]) : s;
}

const JSON_SCRATCH = new Array<string>(AUDIT_RECORD_COLUMNS.length);
const COPY_SCRATCH = new Array<string>(AUDIT_RECORD_COLUMNS.length);

/** Where each column's encoding goes: prepareRow names each column once (see below). */
const AT = AUDIT_COLUMN_INDEX;

/**
 * Encodes one column value at `i` for both outputs: canonical JSON into JSON_SCRATCH, COPY text into COPY_SCRATCH.
 * A string that needs no JSON escaping needs no COPY escaping either; a JSON column's canonical text is also its COPY
 * text; a non-finite number is null in the hashed JSON, so it is stored as NULL too.
 */
function encode(i: number, value: unknown, isJson: boolean): void {
  if (value === null || value === undefined) {
    JSON_SCRATCH[i] = 'null';
    COPY_SCRATCH[i] = '\\N';
  } else if (isJson) {
    const json = canonicalValue(value);
    JSON_SCRATCH[i] = json;
    COPY_SCRATCH[i] = copyField(json);
  } else if (typeof value === 'string' && !NEEDS_ENCODING.test(value)) {
    JSON_SCRATCH[i] = '"' + value + '"';
    COPY_SCRATCH[i] = value;
  } else {
    const json = canonicalValue(value);
    JSON_SCRATCH[i] = json;
    COPY_SCRATCH[i] = json === 'null' ? '\\N' : copyField(value as string | number);
  }
}

/**
 * The record's canonical parts and, for COPY, its line up to the chain columns, in one pass over the columns. Each
 * column is read by name rather than in a loop over column names: a keyed load with a different key each time is
 * megamorphic in V8, and this runs for every audited request (a test holds it to the generic column lists).
 */
export function prepareRow(record: AuditRecord, format: RowFormat): PreparedRow {
  if (format === 'json') return { parts: canonicalParts(record), id: record.id, occurredAt: record.occurred_at };
  // Scratch arrays are reused: this is synchronous, so nothing can interleave.
  encode(AT.id, record.id, false);
  encode(AT.occurred_at, record.occurred_at, false);
  encode(AT.tenant_id, record.tenant_id, false);
  encode(AT.actor_type, record.actor_type, false);
  encode(AT.actor_id, record.actor_id, false);
  encode(AT.action, record.action, false);
  encode(AT.outcome, record.outcome, false);
  encode(AT.entity_type, record.entity_type, false);
  encode(AT.entity_id, record.entity_id, false);
  encode(AT.changes, record.changes, true);
  encode(AT.details, record.details, true);
  encode(AT.ip_address, record.ip_address, false);
  encode(AT.user_agent, record.user_agent, false);
  encode(AT.correlation_id, record.correlation_id, false);
  encode(AT.session_id_hash, record.session_id_hash, false);
  encode(AT.request_path, record.request_path, false);
  encode(AT.route, record.route, false);
  encode(AT.http_method, record.http_method, false);
  encode(AT.status_code, record.status_code, false);
  encode(AT.duration_ms, record.duration_ms, false);
  encode(AT.retention_until, record.retention_until, false);
  return {
    parts: partsFrom(JSON_SCRATCH),
    copy: COPY_SCRATCH.join('\t'),
    id: record.id,
    occurredAt: record.occurred_at,
  };
}

/** `row` when it was prepared for `format`, else its record prepared again for it. */
export function preparedFor(row: PreparedRow, format: RowFormat): PreparedRow {
  return format === 'json' || row.copy !== undefined ? row : prepareRow(recordFromParts(row.parts), format);
}

/** The end of a COPY line: seq, prev_hash and hash (bytea as escaped hex), filled in per row. */
const CHAIN_COLUMNS = ['\t', '', '\t\\\\x', '', '\t\\\\x', '', '\n'];

/** Bytes one UTF-16 code unit can take in UTF-8 at most (a surrogate pair is 4 bytes for 2 units). */
const MAX_UTF8_PER_UNIT = 3;

/**
 * Assigns seq, prev_hash and hash to prepared rows in order, continuing the chain from `head`, and serialises the
 * batch in COPY text format: one line per row, bytea columns as escaped hex. Lines are encoded straight into one
 * buffer: a batch built as one string (hundreds of KB) lands in V8's large-object space, which only a full
 * garbage collection frees.
 */
export function chainCopy(
  rows: ReadonlyArray<PreparedRow>,
  head: { seq: bigint; hash: string },
): { payload: Buffer; head: { seq: bigint; hash: string } } {
  let buf = Buffer.allocUnsafe(rows.length * 1024);
  let used = 0;
  const put = (text: string): void => {
    const room = text.length * MAX_UTF8_PER_UNIT;
    if (buf.length - used < room) {
      const bigger = Buffer.allocUnsafe(Math.max(buf.length * 2, used + room));
      buf.copy(bigger, 0, 0, used);
      buf = bigger;
    }
    used += buf.write(text, used);
  };
  const last = chainEach(rows, head, (row, seq, prevHash, _canonical, digest) => {
    if (row.copy === undefined) throw new Error('chainCopy: row was not prepared for COPY');
    put(row.copy);
    CHAIN_COLUMNS[1] = seq;
    CHAIN_COLUMNS[3] = prevHash;
    CHAIN_COLUMNS[5] = digest;
    put(CHAIN_COLUMNS.join(''));
  });
  return { payload: buf.subarray(0, used), head: last };
}

/** The batch in the repository's format, chained from `head`. */
export function chainRows(
  rows: ReadonlyArray<PreparedRow>,
  head: { seq: bigint; hash: string },
  format: RowFormat,
): { payload: Buffer | string; head: { seq: bigint; hash: string } } {
  if (format === 'copy') return chainCopy(rows, head);
  const { json, head: last } = chainJson(rows, head);
  return { payload: json, head: last };
}
