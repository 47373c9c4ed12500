import { hash } from 'node:crypto';
import {
  canonicalParts,
  canonicalValue,
  chainEach,
  chainJson,
  NEEDS_ENCODING,
  recordFromParts,
  SEGMENT_CLOSE,
  SEGMENT_OPEN,
  segmentsFrom,
  type CanonicalParts,
} from './audit.hash-chain';
import { releaseFrom, slabFor, type Slab } from './audit.row-slabs';
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
  readonly format: RowFormat;
  readonly parts: CanonicalParts;
  /** The record's key, to find it again after an ambiguous commit. */
  readonly id: string;
  readonly occurredAt: string;
}

/** Bytes one UTF-16 code unit can take in UTF-8 at most (a surrogate pair is 4 bytes for 2 units). */
const MAX_UTF8_PER_UNIT = 3;
/**
 * A row prepared for COPY, held as bytes outside the V8 heap (see audit.row-slabs.ts): its COPY line up to the chain
 * columns, then the three segments of its canonical JSON (see SEGMENT_OPEN), back to back. The writer releases it
 * once its batch is committed or its record is spooled; a released row throws when read.
 */
export class CopyRow implements PreparedRow {
  readonly format = 'copy';

  private released = false;

  constructor(
    private readonly slab: Slab,
    private readonly start: number,
    /** Ends of the COPY line and of the first two segments; the third ends at `end`. */
    private readonly copyEnd: number,
    private readonly firstEnd: number,
    private readonly secondEnd: number,
    private readonly end: number,
  ) {}

  /** The row's bytes; throws once the row is released, as its slab may then hold another row. */
  private get bytes(): Buffer {
    if (this.released) throw new Error('audit row read after release');
    return this.slab.bytes;
  }

  /** Done with: its bytes may be reused. Idempotent. */
  release(): void {
    if (this.released) return;
    this.released = true;
    releaseFrom(this.slab);
  }

  /** The COPY line up to the chain columns. */
  get copy(): string {
    return this.bytes.toString('utf8', this.start, this.copyEnd);
  }

  get parts(): CanonicalParts {
    const b = this.bytes;
    return {
      head: b.toString('utf8', this.copyEnd + SEGMENT_OPEN[0].length, this.firstEnd - SEGMENT_CLOSE[0].length),
      middle: b.toString('utf8', this.firstEnd + SEGMENT_OPEN[1].length, this.secondEnd - SEGMENT_CLOSE[1].length),
      tail: b.toString('utf8', this.secondEnd + SEGMENT_OPEN[2].length, this.end - SEGMENT_CLOSE[2].length),
    };
  }

  /** The first COPY field (a uuid: nothing to unescape). */
  get id(): string {
    return this.bytes.toString('latin1', this.start, this.bytes.indexOf(9, this.start));
  }

  /** The second COPY field (an ISO timestamp). */
  get occurredAt(): string {
    const from = this.bytes.indexOf(9, this.start) + 1;
    return this.bytes.toString('latin1', from, this.bytes.indexOf(9, from));
  }

  /** Bytes the row holds: its COPY line and segments. */
  get byteLength(): number {
    return this.end - this.start;
  }

  /** Appends the COPY line up to the chain columns to `out` at `at`; returns the bytes written. */
  copyLineInto(out: Buffer, at: number): number {
    return this.bytes.copy(out, at, this.start, this.copyEnd);
  }

  /** SHA-256 (hex) of the row's canonical JSON with this seq and prev_hash: what rowHash computes from its parts. */
  digest(seq: string, prevHash: string): string {
    const b = this.bytes;
    const need = this.end - this.copyEnd + prevHash.length + seq.length;
    if (digestScratch.length < need) digestScratch = Buffer.allocUnsafeSlow(2 * need);
    const out = digestScratch;
    let at = b.copy(out, 0, this.copyEnd, this.firstEnd);
    at += out.write(prevHash, at, 'latin1');
    at += b.copy(out, at, this.firstEnd, this.secondEnd);
    at += out.write(seq, at, 'latin1');
    at += b.copy(out, at, this.secondEnd, this.end);
    return hash('sha256', out.subarray(0, at), 'hex');
  }
}

/** The canonical row of the row being hashed: reused, as hashing is synchronous. */
let digestScratch = Buffer.allocUnsafeSlow(16 * 1024);

/** Writes a COPY line and its three canonical segments into a slab, back to back. */
function storeCopyRow(copy: string, segments: ReadonlyArray<string>): CopyRow {
  const max = (copy.length + segments[0].length + segments[1].length + segments[2].length) * MAX_UTF8_PER_UNIT;
  const slab = slabFor(max);
  const b = slab.bytes;
  const start = slab.used;
  const copyEnd = start + b.write(copy, start);
  const firstEnd = copyEnd + b.write(segments[0], copyEnd);
  const secondEnd = firstEnd + b.write(segments[1], firstEnd);
  const end = secondEnd + b.write(segments[2], secondEnd);
  slab.used = end;
  return new CopyRow(slab, start, copyEnd, firstEnd, secondEnd, end);
}

/** Releases a prepared row if its format holds reusable bytes (COPY rows do; JSON rows are plain strings). */
export function releaseRow(row: PreparedRow | undefined): void {
  if (row instanceof CopyRow) row.release();
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
export function prepareRow(record: AuditRecord, format: 'copy'): CopyRow;
export function prepareRow(record: AuditRecord, format: RowFormat): PreparedRow;
export function prepareRow(record: AuditRecord, format: RowFormat): PreparedRow {
  if (format === 'json')
    return { format, parts: canonicalParts(record), id: record.id, occurredAt: record.occurred_at };
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
  segmentsFrom(JSON_SCRATCH, SEGMENT_SCRATCH);
  return storeCopyRow(COPY_SCRATCH.join('\t'), SEGMENT_SCRATCH);
}

const SEGMENT_SCRATCH = ['', '', ''];

/** `row` when it was prepared for `format`, else its record prepared again for it. */
export function preparedFor(row: PreparedRow, format: RowFormat): PreparedRow {
  return row.format === format ? row : prepareRow(recordFromParts(row.parts), format);
}

/** The end of a COPY line: seq, prev_hash and hash (bytea as escaped hex), filled in per row. */
const CHAIN_COLUMNS = ['\t', '', '\t\\\\x', '', '\t\\\\x', '', '\n'];
/** Bytes of the chain columns at most: tabs, escapes, newline, two 64-digit hashes and a 20-digit seq. */
const CHAIN_COLUMNS_MAX = 200;

/**
 * Assigns seq, prev_hash and hash to prepared rows in order, continuing the chain from `head`, and serialises the
 * batch in COPY text format: one line per row, bytea columns as escaped hex. Lines are copied from the rows' bytes
 * straight into one buffer: a batch built as one string (hundreds of KB) lands in V8's large-object space, which
 * only a full garbage collection frees.
 */
export function chainCopy(
  rows: ReadonlyArray<PreparedRow>,
  head: { seq: bigint; hash: string },
): { payload: Buffer; head: { seq: bigint; hash: string } } {
  let buf = payloadBuffer(rows.length * 1536);
  let used = 0;
  const last = chainEach(rows, head, (row, seq, prevHash) => {
    if (!(row instanceof CopyRow)) throw new Error('chainCopy: row was not prepared for COPY');
    const digest = row.digest(seq, prevHash);
    const room = row.byteLength + CHAIN_COLUMNS_MAX;
    if (buf.length - used < room) {
      const bigger = Buffer.allocUnsafeSlow(Math.max(buf.length * 2, used + room));
      buf.copy(bigger, 0, 0, used);
      buf = bigger;
    }
    used += row.copyLineInto(buf, used);
    CHAIN_COLUMNS[1] = seq;
    CHAIN_COLUMNS[3] = prevHash;
    CHAIN_COLUMNS[5] = digest;
    used += buf.write(CHAIN_COLUMNS.join(''), used, 'latin1');
    return digest;
  });
  return { payload: buf.subarray(0, used), head: last };
}

/** Payload buffers whose batch was committed, for the next batches (fresh memory costs page faults and cache misses). */
const sparePayloads: Buffer[] = [];
const MAX_SPARE_PAYLOADS = 2;

function payloadBuffer(minBytes: number): Buffer {
  for (let i = sparePayloads.length - 1; i >= 0; i--)
    if (sparePayloads[i].length >= minBytes) return sparePayloads.splice(i, 1)[0];
  return Buffer.allocUnsafeSlow(Math.max(minBytes, 256 * 1024));
}

/**
 * Returns a COPY payload's memory for reuse. Only for a payload PostgreSQL has read to the end (its batch
 * committed): a payload of a failed batch may still sit in a dead connection's write queue.
 */
export function recyclePayload(payload: Buffer | string): void {
  if (typeof payload === 'string' || sparePayloads.length >= MAX_SPARE_PAYLOADS) return;
  sparePayloads.push(Buffer.from(payload.buffer, payload.byteOffset, payload.buffer.byteLength - payload.byteOffset));
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
