import { mkdir, open, readdir, readFile, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { AuditRecord } from './audit.types';

const SEGMENT = /^audit-(\d{13})-(\d{6})\.ndjson$/;
const MAX_SEGMENT_BYTES = 4 * 1024 * 1024;
/** Records PostgreSQL refuses for their content; never replayed (the name does not match SEGMENT). */
export const QUARANTINE_FILE = 'quarantine.ndjson';

interface Segment {
  name: string;
  count: number;
  oldestAt: number | undefined;
}

export interface SpoolSegment {
  name: string;
  records: AuditRecord[];
  /** Lines that could not be parsed (a write torn by a crash). */
  torn: number;
}

/**
 * Append-only NDJSON segment files. Appends are serialised and fsync'd before they resolve, so a record the
 * spool accepted survives a crash. Segments are named by creation time and replayed oldest first; a segment is
 * deleted only by the writer, after its rows are committed. One spool directory per instance.
 */
export class AuditSpool {
  private readonly closed: Segment[] = [];
  private active: (Segment & { handle: FileHandle; bytes: number }) | undefined;
  private tail: Promise<void> = Promise.resolve();
  private counter = 0;
  private quarantinedCount = 0;

  constructor(private readonly dir: string) {}

  /** Finds segments a previous run left behind. */
  async open(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const names = (await readdir(this.dir)).filter((n) => SEGMENT.test(n)).sort();
    for (const name of names) {
      const text = await readFile(join(this.dir, name), 'utf8');
      const lines = text.split('\n').filter((l) => l.length > 0);
      this.closed.push({ name, count: lines.length, oldestAt: firstTimestamp(lines[0]) });
    }
    this.quarantinedCount = await countLines(join(this.dir, QUARANTINE_FILE));
  }

  /** Records in the quarantine file (this run's and earlier runs'), until an operator removes it. */
  get quarantined(): number {
    return this.quarantinedCount;
  }

  /**
   * Sets a record aside that PostgreSQL refuses for its content (see AuditWriter), with why, so it neither blocks the
   * records behind it nor is lost: one NDJSON line per record, fsync'd before this resolves.
   */
  quarantine(record: AuditRecord, reason: { code?: string; message: string }): Promise<void> {
    return this.serial(async () => {
      const path = join(this.dir, QUARANTINE_FILE);
      const handle = await open(path, 'a');
      try {
        const line = { quarantinedAt: new Date().toISOString(), error: reason, record };
        await handle.appendFile(`${JSON.stringify(line)}\n`, 'utf8');
        await handle.sync();
      } finally {
        await handle.close();
      }
      if (this.quarantinedCount === 0) await syncDirectory(this.dir);
      this.quarantinedCount++;
    });
  }

  get size(): number {
    return this.closed.reduce((n, s) => n + s.count, 0) + (this.active?.count ?? 0);
  }

  get oldestAt(): number | undefined {
    return this.closed[0]?.oldestAt ?? this.active?.oldestAt;
  }

  /** Appends and fsyncs; resolves once the records are on disk. */
  append(records: readonly AuditRecord[]): Promise<void> {
    return this.serial(() => this.write(records));
  }

  /** The oldest segment's records, closing the active segment first when it is the only one left. */
  async oldest(): Promise<SpoolSegment | undefined> {
    await this.serial(async () => {
      if (!this.closed.length && this.active?.count) await this.rotate();
    });
    const seg = this.closed[0];
    if (!seg) return undefined;
    const text = await readFile(join(this.dir, seg.name), 'utf8');
    const records: AuditRecord[] = [];
    let torn = 0;
    for (const line of text.split('\n')) {
      if (!line) continue;
      try {
        records.push(JSON.parse(line) as AuditRecord);
      } catch {
        torn++;
      }
    }
    return { name: seg.name, records, torn };
  }

  async remove(name: string): Promise<void> {
    await unlink(join(this.dir, name));
    const i = this.closed.findIndex((s) => s.name === name);
    if (i >= 0) this.closed.splice(i, 1);
  }

  async close(): Promise<void> {
    await this.serial(() => this.rotate());
  }

  /** File operations on the active segment run one at a time, in call order. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn);
    this.tail = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private async write(records: readonly AuditRecord[]): Promise<void> {
    if (!records.length) return;
    if (!this.active || this.active.bytes > MAX_SEGMENT_BYTES) {
      if (this.active) await this.rotate();
      const name = `audit-${Date.now()}-${String(this.counter++ % 1_000_000).padStart(6, '0')}.ndjson`;
      const handle = await open(join(this.dir, name), 'a');
      // The new directory entry must be durable too, or a crash could lose the whole file.
      await syncDirectory(this.dir);
      this.active = { name, count: 0, oldestAt: undefined, handle, bytes: 0 };
    }
    const data = records.map((r) => `${JSON.stringify(r)}\n`).join('');
    await this.active.handle.appendFile(data, 'utf8');
    await this.active.handle.sync();
    this.active.bytes += Buffer.byteLength(data);
    this.active.count += records.length;
    this.active.oldestAt ??= Date.parse(records[0].occurred_at);
  }

  private async rotate(): Promise<void> {
    const seg = this.active;
    if (!seg) return;
    this.active = undefined;
    await seg.handle.close();
    if (seg.count) this.closed.push({ name: seg.name, count: seg.count, oldestAt: seg.oldestAt });
    else await unlink(join(this.dir, seg.name));
  }
}

async function countLines(path: string): Promise<number> {
  try {
    return (await readFile(path, 'utf8')).split('\n').filter((l) => l.length > 0).length;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
}

function firstTimestamp(line: string | undefined): number | undefined {
  if (!line) return undefined;
  try {
    return Date.parse((JSON.parse(line) as AuditRecord).occurred_at);
  } catch {
    return undefined;
  }
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
