import { Inject, Injectable } from '@nestjs/common';
import {
  BrokenCircuitError,
  circuitBreaker,
  CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
  handleWhen,
  retry,
  timeout,
  TimeoutStrategy,
  wrap,
  type IPolicy,
  type RetryPolicy,
} from 'cockatiel';
import type { Logger } from 'pino';
import { AppConfig } from '../config/app.config';
import { ROOT_LOGGER } from '../observability/logger.factory';
import { AuditMetrics } from './audit.metrics';
import { AuditRepository, BATCH_TIMEOUT_MS, HEAD_MOVED, type ChainedBatch, type ChainPoint } from './audit.repository';
import { recordFromParts } from './audit.hash-chain';
import { prepareRow, releaseRow, type PreparedRow } from './audit.row-format';
import { AuditSpool, type SpoolSegment } from './audit.spool';
import type { AuditRecord } from './audit.types';

/**
 * A queued record, in one of two forms. Accepted while the queue is short (the steady state), it is prepared at once
 * (canonical parts and COPY line) and only the row is kept: a queued record lives until its batch commits, which
 * outlasts a young-generation collection or two, and on PostgreSQL the row's bytes live outside the V8 heap (see
 * audit.row-slabs.ts), so the collector moves one small object instead of the record's object graph with its redacted
 * details. The row is released once its batch commits or its record is spooled. Accepted behind a backlog of a full
 * batch or more, it stays a record and is prepared while the batch ahead of it is in the database (prepareAhead), so a
 * burst is prepared in parallel with PostgreSQL's work.
 */
interface Pending {
  record?: AuditRecord;
  row?: PreparedRow;
  enqueuedAt: number;
  /** Set in sync mode: resolves once the record is committed or fsync'd to the spool. */
  durable?: () => void;
  /**
   * Set when the record was in a batch sent ahead (see `ahead`) that the writer then gave up on without learning its
   * outcome: that batch may still commit, so the record is written again only through the deduplicating path.
   */
  unconfirmed?: boolean;
}

/**
 * Whether PostgreSQL refused a row for its content (a data exception, a NOT NULL or CHECK violation, an index row too
 * large): retrying cannot help and the database itself is fine, so such an error is not retried, does not count
 * towards the circuit breaker, and replay narrows its batch down to the refused record and quarantines it.
 */
export function refusesContent(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && (code.startsWith('22') || REFUSED_CONTENT.has(code));
}
const REFUSED_CONTENT = new Set(['23502', '23514', '54000']);

const RETRY_SLEEP_MS = 250;
/** Records prepared between two yields to the event loop while a batch is in the database. */
const PREPARE_CHUNK = 64;
/**
 * Deferred records (see enqueueDeferred) are built this many at a time, or when the oldest has waited DEFER_MAX_MS.
 * Built one by one between requests, a record cost about 1.5x its cost built in a run with others (caches and inline
 * caches warm; CPU profile of the audited server under bench/audit.ts's HTTP load); a few milliseconds keep the
 * inputs young.
 */
const DEFER_BATCH = 64;
const DEFER_MAX_MS = 10;

/**
 * Asynchronous, batched, lossless audit writer.
 * - Records queue in memory and are written in batches (AUDIT_BATCH_SIZE, AUDIT_FLUSH_MS) by one loop, each
 *   batch one transaction that extends the hash chain.
 * - Writes retry with backoff behind a circuit breaker. A batch that still fails, or any record arriving while
 *   the breaker is open or the queue is past its high-water mark, goes to the on-disk spool; from then on every
 *   record goes to the spool until it has been replayed (in order), so the chain keeps arrival order.
 * - Replay skips records already stored, so an ambiguous commit (connection lost during COMMIT) never duplicates.
 */
@Injectable()
export class AuditWriter {
  private readonly queue: Pending[] = [];
  /** Records accepted by enqueueDeferred and not built yet: input, builder and acceptance time, in arrival order. */
  private deferred: Array<{ input: unknown; build: (input: unknown) => AuditRecord; at: number }> = [];
  private deferTimer: NodeJS.Timeout | undefined;
  private readonly spillBuffer: Pending[] = [];
  private inFlight = 0;
  private spilling = false;
  private spillRunning: Promise<void> | undefined;
  private stopping = false;
  /** After stop(): nothing writes the queue any more, so late records go straight to the spool. */
  private stopped = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private urgent = false;
  private replaying: (SpoolSegment & { offset: number }) | undefined;
  /** Records per replay transaction: halved while PostgreSQL refuses a record's content, doubled back after. */
  private replayLimit: number;
  private readonly waiters: Array<{ ready: () => boolean; resolve: () => void }> = [];
  private readonly spool: AuditSpool;
  private readonly retry: RetryPolicy;
  /** Breaker around a timeout: every attempt counts towards opening the circuit. */
  private readonly guarded: IPolicy;
  private readonly breaker;
  /** Kept from the breaker's state changes: read for every record, where the breaker's getter showed in profiles. */
  private circuitOpen = false;
  private readonly batchSize: number;
  private readonly flushMs: number;
  private readonly maxQueue: number;
  private readonly highWater: number;
  /**
   * The chain head as this writer last committed it. The next batch is hashed from it before the database is
   * asked; audit_chain_advance checks it under the head lock. Unknown (undefined) at start and after any error.
   */
  private head: ChainPoint | undefined;
  /**
   * Under a backlog, the next full batch already hashed onto the chain from the head the batch in the database will
   * leave, and on PostgreSQL already sent (`sent`) on the same connection, right behind it: PostgreSQL starts it the
   * moment the one before commits. Used only if the queue still starts with exactly these records and the head is
   * the one it was chained from; anything else (an error, a spill, another writer) makes it stale: it is chained
   * again, and if it was sent, its records are written again only through the deduplicating path (`unconfirmed`).
   * A sent batch whose predecessor failed cannot commit: audit_chain_advance refuses it (HEAD_MOVED).
   */
  private ahead: { items: Pending[]; batch: ChainedBatch; sent?: Promise<ChainPoint> } | undefined;

  constructor(
    private readonly repository: AuditRepository,
    private readonly metrics: AuditMetrics,
    config: AppConfig,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {
    this.batchSize = config.env.AUDIT_BATCH_SIZE;
    this.replayLimit = this.batchSize;
    this.flushMs = config.env.AUDIT_FLUSH_MS;
    this.maxQueue = config.env.AUDIT_MAX_QUEUE;
    this.highWater = Math.max(1, Math.floor(this.maxQueue * 0.8));
    this.spool = new AuditSpool(config.env.AUDIT_SPOOL_DIR);
    const retryable = handleWhen((err) => !(err instanceof BrokenCircuitError) && !refusesContent(err));
    this.breaker = circuitBreaker(retryable, { halfOpenAfter: 1_000, breaker: new ConsecutiveBreaker(3) });
    this.breaker.onStateChange((state) => (this.circuitOpen = state === CircuitState.Open));
    this.retry = retry(retryable, {
      maxAttempts: 2,
      backoff: new ExponentialBackoff({ initialDelay: 50, maxDelay: 1_000 }),
    });
    // abortOnReturn: false: the write takes no abort signal, and aborting on every success builds a DOMException
    // (with its stack trace) per batch, which showed in the request-path profile.
    this.guarded = wrap(
      this.breaker,
      timeout(BATCH_TIMEOUT_MS, { strategy: TimeoutStrategy.Aggressive, abortOnReturn: false }),
    );
  }

  /** Opens the spool (replaying what a previous run left) and starts the write loop. */
  async start(): Promise<void> {
    await this.spool.open();
    if (this.spool.size) {
      this.spilling = true;
      this.logger.warn({ spooled: this.spool.size }, 'audit spool holds records from a previous run; replaying');
    }
    this.loop = this.run().catch((err: unknown) => this.logger.fatal({ err }, 'audit writer loop crashed'));
  }

  enqueue(record: AuditRecord): void {
    // Deferred records arrived first: they go first, so the chain keeps arrival order.
    if (this.deferred.length) this.buildDeferred();
    this.accept(record, { enqueuedAt: Date.now() });
  }

  /**
   * Accepts a record that `build(input)` makes, built later in a batch with others (see DEFER_BATCH), off the request
   * path. `at` is when it was accepted (epoch ms): the flush deadline counts from it. Every call that waits for the
   * queue (flush, settle, stop) and every direct enqueue builds what is deferred first.
   */
  enqueueDeferred<T>(input: T, build: (input: T) => AuditRecord, at = Date.now()): void {
    this.deferred.push({ input, build: build as (input: unknown) => AuditRecord, at });
    if (this.deferred.length >= DEFER_BATCH) this.buildDeferred();
    else if (!this.deferTimer) {
      this.deferTimer = setTimeout(() => this.buildDeferred(), DEFER_MAX_MS);
      this.deferTimer.unref();
    }
  }

  /** Builds every deferred record, in arrival order, and accepts it. A record whose build throws is lost and counted. */
  private buildDeferred(): void {
    if (this.deferTimer) {
      clearTimeout(this.deferTimer);
      this.deferTimer = undefined;
    }
    const items = this.deferred;
    this.deferred = [];
    for (const { input, build, at } of items) {
      let record: AuditRecord;
      try {
        record = build(input);
      } catch (err) {
        this.metrics.drop(1);
        this.logger.error({ err }, 'audit record could not be built; it is lost');
        continue;
      }
      this.accept(record, { enqueuedAt: at });
    }
  }

  /** Sync mode: resolves once the record is in the database or fsync'd in the spool. */
  enqueueDurable(record: AuditRecord): Promise<void> {
    return new Promise<void>((resolve) => {
      this.urgent = true;
      this.accept(record, { enqueuedAt: Date.now(), durable: resolve });
    });
  }

  /** Resolves when everything accepted so far is committed (memory queue and spool empty). For tests and tools. */
  flush(): Promise<void> {
    this.buildDeferred();
    return this.waitFor(() => this.isIdle());
  }

  /** Resolves when nothing accepted so far exists only in memory: each record is committed or fsync'd in the spool. */
  settle(): Promise<void> {
    this.buildDeferred();
    return this.waitFor(() => !this.queue.length && !this.inFlight && !this.spillBuffer.length && !this.spillRunning);
  }

  private waitFor(ready: () => boolean): Promise<void> {
    if (ready()) return Promise.resolve();
    this.urgent = true;
    this.wake?.();
    return new Promise((resolve) => this.waiters.push({ ready, resolve }));
  }

  stats(): {
    queued: number;
    spooled: number;
    quarantined: number;
    inFlight: number;
    oldestAgeSeconds: number;
    breaker: string;
  } {
    const oldest = Math.min(
      this.deferred[0]?.at ?? Infinity,
      this.spool.oldestAt ?? Infinity,
      this.queue[0]?.enqueuedAt ?? Infinity,
      this.spillBuffer[0]?.enqueuedAt ?? Infinity,
    );
    return {
      queued: this.deferred.length + this.queue.length + this.spillBuffer.length,
      spooled: this.spool.size,
      quarantined: this.spool.quarantined,
      inFlight: this.inFlight,
      oldestAgeSeconds: Number.isFinite(oldest) ? Math.max(0, (Date.now() - oldest) / 1000) : 0,
      breaker: CircuitState[this.breaker.state],
    };
  }

  /**
   * Shutdown: stop the loop, write what is queued (one attempt per batch), spool whatever could not be written
   * (everything, if the database is already gone), and wait until the spool is fsync'd.
   */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.buildDeferred();
    this.stopping = true;
    this.wake?.();
    await this.loop;
    while (this.queue.length && !this.spilling && this.repository.isInitialized) {
      const batch = this.queue.splice(0, this.batchSize);
      try {
        await this.write(batch, false);
      } catch (err) {
        this.logger.warn({ err, records: batch.length }, 'audit: database unavailable at shutdown; spooling');
        this.queue.unshift(...batch);
        this.spilling = true;
      }
    }
    if (this.queue.length) this.spill(this.queue.splice(0));
    while (this.spillRunning) await this.spillRunning;
    await this.spool.close();
    this.stopped = true;
    this.publish();
    this.resolveIdle();
  }

  /** The record's row for a batch, prepared now if it was not yet. */
  private rowOf(p: Pending): PreparedRow {
    if (!p.row) {
      p.row = prepareRow(p.record!, this.repository.rowFormat);
      p.record = undefined;
    }
    return p.row;
  }

  /** The record itself again, for the spool; its row is released (the pending now holds the record). */
  private recordOf(p: Pending): AuditRecord {
    if (!p.record) {
      p.record = recordFromParts(p.row!.parts);
      releaseRow(p.row);
      p.row = undefined;
    }
    return p.record;
  }

  private accept(record: AuditRecord, p: Pending): void {
    this.metrics.event(record.action, record.outcome);
    if (this.spilling || this.stopped || this.queue.length >= this.highWater || this.breakerOpen()) {
      p.record = record;
      this.spilling = true;
      // Queued records are older than p: they go to the spool first, so replay keeps arrival order.
      this.spill(this.queue.length ? [...this.queue.splice(0), p] : [p]);
      return;
    }
    if (this.queue.length < this.batchSize) p.row = prepareRow(record, this.repository.rowFormat);
    else p.record = record;
    this.queue.push(p);
    if (this.queue.length === 1 || this.queue.length >= this.batchSize || p.durable) this.wake?.();
  }

  private breakerOpen(): boolean {
    return this.circuitOpen;
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      this.publish();
      this.resolveIdle();
      if (this.spilling) {
        const progressed = await this.replayStep();
        if (!progressed) await this.sleep(RETRY_SLEEP_MS);
        continue;
      }
      if (!this.queue.length) {
        this.urgent = false;
        this.resolveIdle();
        await this.sleep();
        continue;
      }
      const dueIn = this.queue[0].enqueuedAt + this.flushMs - Date.now();
      if (this.queue.length < this.batchSize && !this.urgent && dueIn > 0) {
        await this.sleep(dueIn);
        continue;
      }
      await this.writeFromQueue();
    }
  }

  private async writeFromQueue(): Promise<void> {
    const batch = this.queue.splice(0, this.batchSize);
    this.inFlight = batch.length;
    try {
      await this.retry.execute(({ attempt }) => this.guarded.execute(() => this.write(batch, attempt > 0)));
    } catch (err) {
      this.metrics.batch('error');
      this.logger.error(
        {
          err: err instanceof Error ? err.message : String(err),
          code: (err as { code?: string }).code,
          records: batch.length,
        },
        refusesContent(err)
          ? "audit batch refused for a record's content; spooling to disk, replay sets the record aside"
          : 'audit batch failed after retries; spooling to disk',
      );
      this.spilling = true;
      this.spill([...batch, ...this.queue.splice(0)]);
    } finally {
      this.inFlight = 0;
    }
  }

  private async write(batch: Pending[], dedupe: boolean): Promise<void> {
    const started = performance.now();
    const ahead = this.takeAhead(batch);
    // A record whose earlier batch may have committed after all must not be stored twice.
    const unsure = dedupe || batch.some((p) => p.unconfirmed);
    try {
      const rows = (): PreparedRow[] => batch.map((p) => this.rowOf(p));
      if (unsure || !this.head) {
        // First batch, or a retry after an error whose commit may have happened: lock, skip stored ids, re-read.
        this.head = undefined;
        this.head = (await this.repository.insertChained(rows(), unsure)).head;
      } else {
        try {
          await this.appendChained(ahead?.batch ?? this.repository.chain(this.head, rows()), ahead?.sent);
        } catch (err) {
          if ((err as { code?: string }).code !== HEAD_MOVED) throw err;
          // Another writer (instance) extended the chain: not a failure, hash again under the lock from its head.
          this.head = undefined;
          this.head = (await this.repository.insertChained(rows(), true)).head;
        }
      }
    } catch (err) {
      this.head = undefined;
      this.dropAhead();
      throw err;
    }
    this.metrics.batch('ok', (performance.now() - started) / 1000);
    for (const p of batch) {
      releaseRow(p.row);
      p.durable?.();
    }
  }

  /** The batch chained ahead for exactly these records from the current head, if there is one (it is used once). */
  private takeAhead(batch: Pending[]): { batch: ChainedBatch; sent?: Promise<ChainPoint> } | undefined {
    const ahead = this.ahead;
    if (!ahead) return undefined;
    if (!this.fits(ahead, batch)) {
      this.dropAhead();
      return undefined;
    }
    this.ahead = undefined;
    return ahead;
  }

  /** Whether the batch chained ahead holds exactly these records and continues the current head. */
  private fits(ahead: { items: Pending[]; batch: ChainedBatch }, batch: Pending[]): boolean {
    const head = this.head;
    if (!head || ahead.items.length !== batch.length) return false;
    if (ahead.batch.prev.seq !== head.seq || ahead.batch.prev.hash !== head.hash) return false;
    return ahead.items.every((p, i) => p === batch[i]);
  }

  /** Forgets the batch chained ahead; if it was sent, its outcome is unknown and its records are marked so. */
  private dropAhead(): void {
    const ahead = this.ahead;
    this.ahead = undefined;
    if (ahead?.sent) for (const p of ahead.items) p.unconfirmed = true;
  }

  /**
   * One transaction per batch, pipelined: while the batch is in the database, the records queued behind it are
   * prepared and, when a full batch waits, hashed onto the chain from the head this batch will leave and sent behind
   * it, so Node and PostgreSQL work at once and PostgreSQL does not wait for Node between batches. `sent` is the
   * batch's outcome when it was sent ahead.
   */
  private async appendChained(batch: ChainedBatch, sent?: Promise<ChainPoint>): Promise<void> {
    const outcome = sent ?? this.repository.append(batch);
    let failed = false;
    outcome.catch(() => (failed = true));
    const prepared = this.prepareAhead(batch.head, () => !failed);
    try {
      this.head = await outcome;
    } finally {
      await prepared;
    }
  }

  /**
   * Prepares up to one batch of queued records, yielding to the event loop between chunks, then chains a full one
   * from `from` (see `ahead`) and, on PostgreSQL, sends it while `hopeful()` (the batch ahead of it has not failed); a
   * partial one is not chained, as it would be written later with more records behind it.
   */
  private async prepareAhead(from: ChainPoint, hopeful: () => boolean): Promise<void> {
    let i = 0;
    do {
      await new Promise<void>((resolve) => setImmediate(resolve));
      const end = Math.min(this.queue.length, this.batchSize, i + PREPARE_CHUNK);
      for (; i < end; i++) this.rowOf(this.queue[i]);
    } while (i < this.queue.length && i < this.batchSize);
    if (this.queue.length < this.batchSize || this.stopping || this.spilling || !hopeful()) return;
    const items = this.queue.slice(0, this.batchSize);
    const batch = this.repository.chain(
      from,
      items.map((p) => this.rowOf(p)),
    );
    let sent: Promise<ChainPoint> | undefined;
    if (this.repository.rowFormat === 'copy') {
      sent = this.repository.append(batch);
      // Its outcome is awaited by the write that takes it, or deliberately ignored when it goes stale (dropAhead).
      sent.catch(() => undefined);
    }
    this.ahead = { items, batch, sent };
  }

  /** Replays one batch from the oldest spool segment. Returns false when the database refused it. */
  private async replayStep(): Promise<boolean> {
    if (this.spillRunning) await this.spillRunning;
    if (!this.replaying) {
      const seg = await this.spool.oldest();
      if (!seg) {
        // Synchronous check-and-clear: no record can slip between the test and the mode switch.
        if (!this.spillBuffer.length && !this.spillRunning && this.spool.size === 0) this.spilling = false;
        return true;
      }
      if (seg.torn) {
        this.metrics.drop(seg.torn);
        this.logger.error({ segment: seg.name, lines: seg.torn }, 'audit spool segment has torn lines (crash)');
      }
      this.replaying = { ...seg, offset: 0 };
    }
    const seg = this.replaying;
    const chunk = seg.records.slice(seg.offset, seg.offset + this.replayLimit);
    if (chunk.length) {
      const rows = chunk.map((record) => prepareRow(record, this.repository.rowFormat));
      try {
        const started = performance.now();
        this.head = undefined;
        const { head } = await this.retry.execute(() =>
          this.guarded.execute(() => this.repository.insertChained(rows, true)),
        );
        this.head = head;
        this.metrics.batch('replayed', (performance.now() - started) / 1000);
      } catch (err) {
        if (refusesContent(err)) return this.narrowReplay(seg, chunk, err as Error & { code: string });
        if (!(err instanceof BrokenCircuitError))
          this.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'audit spool replay failed');
        return false;
      } finally {
        for (const row of rows) releaseRow(row);
      }
      seg.offset += chunk.length;
      this.replayLimit = Math.min(this.batchSize, this.replayLimit * 2);
      if (seg.offset < seg.records.length) return true;
    }
    await this.spool.remove(seg.name);
    this.replaying = undefined;
    this.logger.info({ segment: seg.name, records: seg.records.length }, 'audit spool segment replayed');
    return true;
  }

  /**
   * PostgreSQL refused a record of this replay chunk for its content. One record in a thousand must not hold back the
   * rest, nor the whole trail behind it (replay is in order): the chunk is halved until the refused record is alone,
   * and that record goes to the quarantine file (fsync'd, counted, logged) instead of the chain. Records before it
   * are written in between, so the chain keeps arrival order.
   */
  private async narrowReplay(
    seg: SpoolSegment & { offset: number },
    chunk: AuditRecord[],
    err: Error & { code: string },
  ): Promise<boolean> {
    if (chunk.length > 1) {
      this.replayLimit = Math.ceil(chunk.length / 2);
      return true;
    }
    const [record] = chunk;
    try {
      await this.spool.quarantine(record, { code: err.code, message: err.message });
    } catch (writeErr) {
      this.logger.error(
        { err: writeErr, id: record.id },
        'audit quarantine write failed; the record stays in the spool',
      );
      return false;
    }
    this.metrics.quarantined(1);
    this.logger.error(
      { id: record.id, action: record.action, code: err.code, err: err.message },
      'audit record refused by PostgreSQL for its content; quarantined in the spool directory',
    );
    seg.offset += 1;
    return true;
  }

  private spill(items: Pending[]): void {
    this.spillBuffer.push(...items);
    if (!this.spillRunning) {
      this.spillRunning = this.drainSpill().finally(() => {
        this.spillRunning = undefined;
        this.resolveIdle();
      });
    }
  }

  private async drainSpill(): Promise<void> {
    while (this.spillBuffer.length) {
      const items = this.spillBuffer.splice(0);
      try {
        await this.spool.append(items.map((p) => this.recordOf(p)));
        this.metrics.batch('spooled');
        for (const p of items) p.durable?.();
      } catch (err) {
        this.logger.error({ err, records: items.length }, 'audit spool write failed; keeping records in memory');
        this.spillBuffer.unshift(...items);
        const excess = this.spillBuffer.length - this.maxQueue;
        if (excess > 0) {
          // Memory is the last place these records exist; past the bound, the oldest are lost and counted.
          const lost = this.spillBuffer.splice(0, excess);
          this.metrics.drop(lost.length);
          for (const p of lost) p.durable?.();
        }
        if (this.stopping) return;
        await new Promise((resolve) => setTimeout(resolve, 1_000).unref());
      }
    }
    this.publish();
  }

  private sleep(ms?: number): Promise<void> {
    return new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (): void => {
        if (timer) clearTimeout(timer);
        if (this.wake === done) this.wake = undefined;
        resolve();
      };
      if (ms !== undefined) {
        timer = setTimeout(done, ms);
        timer.unref();
      }
      this.wake = done;
    });
  }

  private isIdle(): boolean {
    return (
      !this.deferred.length &&
      !this.queue.length &&
      !this.inFlight &&
      !this.spillBuffer.length &&
      !this.spillRunning &&
      this.spool.size === 0 &&
      !this.replaying
    );
  }

  private resolveIdle(): void {
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const w = this.waiters[i];
      if (w.ready()) {
        this.waiters.splice(i, 1);
        w.resolve();
      }
    }
  }

  private publish(): void {
    const s = this.stats();
    this.metrics.state(s.queued + s.inFlight, s.spooled, s.oldestAgeSeconds);
  }
}
