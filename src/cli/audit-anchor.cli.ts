import 'reflect-metadata';
import { appendFileSync } from 'node:fs';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app.config';
import { ConfigValidationError } from '../config/config.loader';
import { buildDataSourceOptions } from '../database/database.options';

/**
 * `npm run audit:anchor [-- --out anchors.ndjson]` prints the current head of the audit hash chain (seq and
 * hash) as one JSON line, and appends it to a file when asked. Storing these lines somewhere the database's
 * administrators cannot write (a WORM bucket, a ticket, a signed commit) is what makes a rewrite of the whole
 * chain by a database superuser detectable: the rewritten chain no longer contains the anchored hash.
 */
async function main(): Promise<void> {
  const config = AppConfig.fromProcessEnv();
  const dataSource = new DataSource(buildDataSourceOptions(config));
  await dataSource.initialize();
  try {
    const [head] = (await dataSource.query(
      `SELECT h.seq::text AS seq, encode(h.hash, 'hex') AS hash, h.updated_at AS "updatedAt",
              c.last_deleted_seq::text AS "checkpointSeq", encode(c.last_deleted_hash, 'hex') AS "checkpointHash"
         FROM audit_chain_head h CROSS JOIN audit_chain_checkpoint c`,
    )) as Array<Record<string, unknown>>;
    const line = JSON.stringify({
      anchoredAt: new Date().toISOString(),
      database: config.database.kind === 'postgres' ? new URL(config.database.url).pathname.slice(1) : 'pglite',
      ...head,
      updatedAt: head.updatedAt instanceof Date ? head.updatedAt.toISOString() : head.updatedAt,
    });
    console.log(line);
    const outIndex = process.argv.indexOf('--out');
    if (outIndex > 0 && process.argv[outIndex + 1]) appendFileSync(process.argv[outIndex + 1], `${line}\n`);
  } finally {
    await dataSource.destroy();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigValidationError ? err.message : err);
  process.exit(1);
});
