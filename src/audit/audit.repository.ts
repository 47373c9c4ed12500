import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DatabaseError, Pool, type PoolClient } from 'pg';
import { DataSource, type QueryRunner } from 'typeorm';
import { copyBatch, CopyBatchPipeline } from './audit.copy-batch';
import {
  chainRows,
  COPY_COLUMNS,
  preparedFor,
  recyclePayload,
  type PreparedRow,
  type RowFormat,
} from './audit.row-format';
import type { ChainedRecord } from './audit.types';

export interface AuditFilters {
  action?: string;
  outcome?: string;
  actor?: string;
  tenant?: string;
  entityType?: string;
  entityId?: string;
  correlationId?: string;
  from?: Date;
  to?: Date;
}

export interface StoredAuditRow extends ChainedRecord {
  legal_hold: boolean;
}

/** Longest a batch transaction may take before the writer treats it as failed (its records then spool). */
export const BATCH_TIMEOUT_MS = 10_000;

/** SQLSTATE raised by audit_chain_advance when the chain head is not where the batch continues it. */
export const HEAD_MOVED = 'BW409';

export interface ChainPoint {
  seq: bigint;
  hash: string;
}

/** Rows hashed onto the chain from `prev` up to `head`: a COPY payload on PostgreSQL, a JSON array on PGlite. */
export interface ChainedBatch {
  prev: ChainPoint;
  head: ChainPoint;
  payload: Buffer | string;
}

const COPY_BATCH = `COPY audit_log (${COPY_COLUMNS.join(', ')}) FROM STDIN`;
const HEX_HASH = /^[0-9a-f]{64}$/;

/**
 * The head advance as SQL text, so it travels in the batch's one simple query (which takes no parameters). Both
 * points come from the writer's own chain arithmetic; they are checked anyway before they become SQL.
 */
function advanceSql(prev: ChainPoint, last: ChainPoint): string {
  for (const p of [prev, last])
    if (typeof p.seq !== 'bigint' || p.seq < 0n || !HEX_HASH.test(p.hash)) throw new Error('invalid chain point');
  return `SELECT audit_chain_advance(${prev.seq}, decode('${prev.hash}', 'hex'), ${last.seq}, decode('${last.hash}', 'hex'))`;
}

/** How the JSON batch's text fields become the stored types (the rest convert by json_to_recordset's column types). */
const FROM_JSON: Partial<Record<(typeof COPY_COLUMNS)[number], string>> = {
  ip_address: 'ip_address::inet',
  prev_hash: "decode(prev_hash, 'hex')",
  hash: "decode(hash, 'hex')",
};

/** PGlite's batch: one JSON parameter unpacked server side, into the same columns COPY fills. */
const INSERT_BATCH = `
  INSERT INTO audit_log (${COPY_COLUMNS.join(', ')})
  SELECT ${COPY_COLUMNS.map((c) => FROM_JSON[c] ?? c).join(', ')}
  FROM json_to_recordset($1::json) AS x(
    id uuid, seq bigint, occurred_at timestamptz, tenant_id text, actor_type text, actor_id text, action text,
    outcome text, entity_type text, entity_id text, changes jsonb, details jsonb, ip_address text, user_agent text,
    correlation_id text, session_id_hash text, request_path text, route text, http_method text,
    status_code smallint, duration_ms float8, retention_until timestamptz, prev_hash text, hash text)`;

const ISO = (col: string): string => `to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS ${col}`;

/** Every column as text the hash was computed over (timestamps to the millisecond, inet without mask). */
const SELECT_ROW = `
  SELECT id::text AS id, seq::text AS seq, ${ISO('occurred_at')}, tenant_id, actor_type, actor_id, action, outcome,
         entity_type, entity_id, changes, details, host(ip_address) AS ip_address, user_agent, correlation_id,
         session_id_hash, request_path, route, http_method, status_code, duration_ms, ${ISO('retention_until')},
         legal_hold, encode(prev_hash, 'hex') AS prev_hash, encode(hash, 'hex') AS hash
  FROM audit_log`;

const FILTER_COLUMNS: Array<[keyof AuditFilters, string]> = [
  ['action', 'action'],
  ['outcome', 'outcome'],
  ['actor', 'actor_id'],
  ['tenant', 'tenant_id'],
  ['entityType', 'entity_type'],
  ['entityId', 'entity_id'],
  ['correlationId', 'correlation_id'],
];

function whereClause(filters: AuditFilters, params: unknown[]): string[] {
  const where: string[] = [];
  for (const [key, column] of FILTER_COLUMNS) {
    const value = filters[key];
    if (value !== undefined) {
      params.push(value);
      where.push(`${column} = $${params.length}`);
    }
  }
  if (filters.from) {
    params.push(filters.from.toISOString());
    where.push(`occurred_at >= $${params.length}::timestamptz`);
  }
  if (filters.to) {
    params.push(filters.to.toISOString());
    where.push(`occurred_at < $${params.length}::timestamptz`);
  }
  return where;
}

/** Raw SQL over audit_log and its chain tables. */
@Injectable()
export class AuditRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  get isInitialized(): boolean {
    return this.db.isInitialized;
  }

  /** COPY on PostgreSQL; PGlite (embedded, no COPY FROM STDIN through this driver) takes the JSON statement. */
  get rowFormat(): RowFormat {
    return this.pgPool ? 'copy' : 'json';
  }

  /** The pg pool behind TypeORM on PostgreSQL (undefined on PGlite), for the writer's one-round-trip batches. */
  private get pgPool(): Pool | undefined {
    const master = (this.db.driver as unknown as { master?: unknown }).master;
    return master instanceof Pool ? master : undefined;
  }

  /**
   * The locking path, for the first batch, retries and spool replay: lock the chain head (serialising every writer
   * of every instance), optionally skip records already stored (an ambiguous commit before a retry), chain the rest
   * from the head as locked, insert and advance. Returns how many rows were inserted and the head after.
   */
  async insertChained(
    batch: ReadonlyArray<PreparedRow>,
    dedupe: boolean,
  ): Promise<{ inserted: number; head: ChainPoint }> {
    return this.transaction(async (runner) => {
      const [head] = (await runner.query(
        `SELECT seq::text AS seq, encode(hash, 'hex') AS hash FROM audit_chain_head WHERE id = 1 FOR UPDATE`,
      )) as Array<{ seq: string; hash: string }>;
      const from: ChainPoint = { seq: BigInt(head.seq), hash: head.hash };
      let todo = batch;
      if (dedupe) {
        const keys = JSON.stringify(batch.map((b) => ({ id: b.id, occurred_at: b.occurredAt })));
        const existing = (await runner.query(
          `SELECT a.id::text AS id FROM audit_log a
             JOIN json_to_recordset($1::json) AS x(id uuid, occurred_at timestamptz)
               ON a.occurred_at = x.occurred_at AND a.id = x.id`,
          [keys],
        )) as Array<{ id: string }>;
        if (existing.length) {
          const seen = new Set(existing.map((e) => e.id));
          todo = batch.filter((b) => !seen.has(b.id));
        }
      }
      if (!todo.length) return { inserted: 0, head: from };
      const format = this.rowFormat;
      const rows = todo.map((row) => preparedFor(row, format));
      return { inserted: todo.length, head: await this.insertIn(runner, this.chain(from, rows)) };
    });
  }

  /**
   * Hashes prepared rows onto the chain from `prev` and serialises them for this database, without asking it
   * anything: the writer does this for the next batch while the current one is in the database.
   */
  chain(prev: ChainPoint, rows: ReadonlyArray<PreparedRow>): ChainedBatch {
    return { prev, ...chainRows(rows, prev, this.rowFormat) };
  }

  /**
   * The writer's fast path: a batch chained from `batch.prev`, the head the writer carries in memory, inserted and
   * the head advanced, in one transaction whose head lock is held only for the advance. When another writer moved
   * the head meanwhile, audit_chain_advance raises HEAD_MOVED and the transaction rolls back.
   *
   * On PostgreSQL the transaction is one round trip, and a batch appended while earlier ones are still in the database
   * goes on their connection right behind them (see CopyLane), so the writer can send the next batch before the
   * current one commits. Each batch is its own implicit transaction (one simple query): one that fails rolls back by
   * itself, and the ones behind it, chained from the head it would have left, fail with HEAD_MOVED.
   */
  async append(batch: ChainedBatch): Promise<ChainPoint> {
    const pool = this.pgPool;
    if (!pool || typeof batch.payload === 'string') return this.transaction((runner) => this.insertIn(runner, batch));
    const text = `${COPY_BATCH}; ${advanceSql(batch.prev, batch.head)}`;
    for (;;) {
      const lane = await (this.lane ??= this.openLane(pool));
      // A lane closes once its last batch is answered, or is abandoned when its oldest batch has waited longer than
      // the writer waits for one; a batch that finds it closed takes a new one.
      if (lane.usable(this.laneStallMs)) {
        await lane.send(text, batch.payload);
        recyclePayload(batch.payload);
        return batch.head;
      }
    }
  }

  private lane: Promise<CopyLane> | undefined;
  /**
   * A lane whose oldest batch has gone unanswered this long is stalled (a network partition that drops packets
   * instead of closing the connection can hold a socket for many minutes): it is abandoned, its connection closed and
   * its batches failed, so that the batches after it do not queue behind it. A property so tests can shorten it.
   */
  laneStallMs = BATCH_TIMEOUT_MS;

  private openLane(pool: Pool): Promise<CopyLane> {
    const opening = pool.connect().then(
      (client) =>
        new CopyLane(client, () => {
          if (this.lane === opening) this.lane = undefined;
        }),
      (err: unknown) => {
        if (this.lane === opening) this.lane = undefined;
        throw err;
      },
    );
    return opening;
  }

  /** Inserts a chained batch and advances the head inside the caller's transaction. */
  private async insertIn(runner: QueryRunner, batch: ChainedBatch): Promise<ChainPoint> {
    if (typeof batch.payload === 'string') {
      await runner.query(INSERT_BATCH, [batch.payload]);
      await runner.query(advanceSql(batch.prev, batch.head));
    } else {
      const client = (await runner.connect()) as PoolClient;
      await copyBatch(client, `${COPY_BATCH}; ${advanceSql(batch.prev, batch.head)}`, batch.payload);
    }
    return batch.head;
  }

  private async transaction<T>(fn: (runner: QueryRunner) => Promise<T>): Promise<T> {
    const runner = this.db.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction();
      const result = await fn(runner);
      await runner.commitTransaction();
      return result;
    } catch (err) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      throw err;
    } finally {
      await runner.release();
    }
  }

  async ensurePartitions(from: Date, months: number): Promise<number> {
    const [row] = (await this.db.query('SELECT audit_log_ensure_partitions($1::timestamptz, $2::int) AS n', [
      from.toISOString(),
      months,
    ])) as Array<{ n: number }>;
    return Number(row.n);
  }

  async head(): Promise<ChainPoint & { updatedAt: string }> {
    const [row] = (await this.db.query(
      `SELECT seq::text AS seq, encode(hash, 'hex') AS hash, ${ISO('updated_at')} FROM audit_chain_head WHERE id = 1`,
    )) as Array<{ seq: string; hash: string; updated_at: string }>;
    return { seq: BigInt(row.seq), hash: row.hash, updatedAt: row.updated_at };
  }

  /** The last row retention deleted (seq 0 and the genesis hash when nothing was deleted). */
  async checkpoint(): Promise<ChainPoint> {
    const [row] = (await this.db.query(
      `SELECT last_deleted_seq::text AS seq, encode(last_deleted_hash, 'hex') AS hash FROM audit_chain_checkpoint WHERE id = 1`,
    )) as Array<{ seq: string; hash: string }>;
    return { seq: BigInt(row.seq), hash: row.hash };
  }

  async hashAt(seq: bigint): Promise<string | undefined> {
    const rows = (await this.db.query(`SELECT encode(hash, 'hex') AS hash FROM audit_log WHERE seq = $1::bigint`, [
      seq.toString(),
    ])) as Array<{ hash: string }>;
    return rows[0]?.hash;
  }

  /** Smallest and largest seq of rows that occurred in [from, to). */
  async seqBounds(from?: Date, to?: Date): Promise<{ min: bigint | null; max: bigint | null }> {
    const params: unknown[] = [];
    const where = whereClause({ from, to }, params);
    const [row] = (await this.db.query(
      `SELECT min(seq)::text AS min, max(seq)::text AS max FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''}`,
      params,
    )) as Array<{ min: string | null; max: string | null }>;
    return { min: row.min === null ? null : BigInt(row.min), max: row.max === null ? null : BigInt(row.max) };
  }

  /** Rows with seq in (afterSeq, toSeq], in chain order. */
  async chainPage(afterSeq: bigint, toSeq: bigint, limit: number): Promise<StoredAuditRow[]> {
    return (await this.db.query(
      `${SELECT_ROW} WHERE seq > $1::bigint AND seq <= $2::bigint ORDER BY audit_log.seq LIMIT $3`,
      [afterSeq.toString(), toSeq.toString(), limit],
    )) as StoredAuditRow[];
  }

  /** Keyset page by seq: newest first (`desc`) for the query API, oldest first for export. */
  async page(
    filters: AuditFilters,
    limit: number,
    cursor: bigint | undefined,
    order: 'asc' | 'desc',
  ): Promise<StoredAuditRow[]> {
    const params: unknown[] = [];
    const where = whereClause(filters, params);
    if (cursor !== undefined) {
      params.push(cursor.toString());
      where.push(`seq ${order === 'desc' ? '<' : '>'} $${params.length}::bigint`);
    }
    params.push(limit);
    return (await this.db.query(
      `${SELECT_ROW} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY audit_log.seq ${order} LIMIT $${params.length}`,
      params,
    )) as StoredAuditRow[];
  }
}

/**
 * A pooled connection that carries the writer's batches back to back while any is outstanding, and goes back to the
 * pool when the last one is answered. A checked-out pg client whose socket dies emits 'error'; without a listener that
 * is an uncaught exception (the process would crash on a database outage), so the lane listens, its batches fail on
 * their own, and the client is discarded instead of returned.
 */
class CopyLane {
  private readonly pipeline: CopyBatchPipeline;
  private broken: Error | undefined;
  private closed = false;
  /** When each outstanding batch was sent (epoch ms), oldest first: batches are answered in order. */
  private readonly sentAt: number[] = [];

  constructor(
    private readonly client: PoolClient,
    private readonly onClose: () => void,
  ) {
    client.on('error', this.onError);
    this.pipeline = new CopyBatchPipeline(client);
  }

  /** Whether a new batch may go on this lane; a lane whose oldest batch waited over `stallMs` is abandoned. */
  usable(stallMs: number): boolean {
    if (this.closed || this.broken) return false;
    if (this.sentAt.length && Date.now() - this.sentAt[0] > stallMs) {
      this.broken = new Error(`audit batch connection stalled: no answer for ${stallMs} ms; connection discarded`);
      // Releasing with an error ends the connection: its outstanding batches fail with a connection error.
      this.close();
      return false;
    }
    return true;
  }

  async send(text: string, data: Buffer): Promise<void> {
    this.sentAt.push(Date.now());
    try {
      await this.pipeline.send(text, data);
    } catch (err) {
      // PostgreSQL refusing a batch leaves the connection in step; anything else leaves it unusable.
      if (!(err instanceof DatabaseError)) this.broken ??= err as Error;
      throw err;
    } finally {
      this.sentAt.shift();
      if (!this.pipeline.outstanding || this.broken) this.close();
    }
  }

  private readonly onError = (err: Error): void => {
    this.broken ??= err;
  };

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.onClose();
    this.client.off('error', this.onError);
    this.client.release(this.broken);
  }
}
