import { EventEmitter } from 'node:events';
import { PGlite, types, type Results } from '@electric-sql/pglite';

interface PgLikeResult {
  rows: unknown[];
  rowCount: number;
  command: string;
  fields: Results['fields'];
}

type Release = (err?: unknown) => void;
type ConnectCallback = (err: Error | null, client: PgliteClient | null, release: Release) => void;

const COMMAND = /^\s*(?:WITH\b[\s\S]*?\)\s*)?([A-Za-z]+)/;

/** The connection TypeORM's postgres driver sees: answers like `pg.Client` (rows, rowCount, command). */
class PgliteClient extends EventEmitter {
  constructor(private readonly db: PGlite) {
    super();
  }

  async query(sql: string, params?: unknown[]): Promise<PgLikeResult> {
    const result =
      params && params.length > 0
        ? await this.db.query(sql, params)
        : ((await this.db.exec(sql)).at(-1) ?? { rows: [], fields: [], affectedRows: 0 });
    const command = (COMMAND.exec(sql)?.[1] ?? '').toUpperCase();
    return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length, command, fields: result.fields };
  }
}

/**
 * A `pg.Pool` look-alike over one embedded PGlite instance. PGlite is a single session, so the pool hands
 * out that session to one query runner at a time: transactions from concurrent requests queue instead of
 * interleaving on one connection (which is what a pool of size 1 would do on real PostgreSQL).
 */
export class PglitePool extends EventEmitter {
  private db?: Promise<PGlite>;
  private busy = false;
  private readonly waiters: Array<() => void> = [];

  constructor(private readonly dataDir: string) {
    super();
  }

  private instance(): Promise<PGlite> {
    this.db ??= PGlite.create({
      dataDir: this.dataDir,
      // Match node-postgres: int8 and numeric arrive as strings, so code behaves the same on both drivers.
      parsers: { [types.INT8]: (v: string) => v, [types.NUMERIC]: (v: string) => v },
      serializers: {
        [types.BOOL]: (v: unknown) => (v === true || v === 'true' || v === 1 ? 'TRUE' : 'FALSE'),
      },
    });
    return this.db;
  }

  private async acquire(): Promise<void> {
    if (!this.busy) {
      this.busy = true;
      return;
    }
    await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  private release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.busy = false;
  }

  connect(callback: ConnectCallback): void {
    const run = async (): Promise<PgliteClient> => {
      const db = await this.instance();
      await this.acquire();
      return new PgliteClient(db);
    };
    run().then(
      (client) => {
        let released = false;
        callback(null, client, () => {
          if (released) return;
          released = true;
          this.release();
        });
      },
      (err: unknown) => callback(err instanceof Error ? err : new Error(String(err)), null, () => undefined),
    );
  }

  async query(sql: string, params?: unknown[]): Promise<PgLikeResult> {
    const db = await this.instance();
    await this.acquire();
    try {
      return await new PgliteClient(db).query(sql, params);
    } finally {
      this.release();
    }
  }

  end(callback: (err: Error | null) => void): void {
    const close = async (): Promise<void> => {
      if (!this.db) return;
      const db = await this.db;
      this.db = undefined;
      await db.close();
    };
    close().then(
      () => callback(null),
      (err: unknown) => callback(err instanceof Error ? err : new Error(String(err))),
    );
  }
}

/** Driver module for TypeORM's `driver` option: exposes `Pool` like the `pg` package does. */
export function pgliteDriver(dataDir: string): { Pool: new () => PglitePool } {
  return {
    Pool: class extends PglitePool {
      constructor() {
        super(dataDir);
      }
    },
  };
}
