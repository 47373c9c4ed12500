import type { DataSource } from 'typeorm';

/** Any 64-bit constant; shared by every instance so only one runs migrations at a time. */
const MIGRATION_LOCK_KEY = '7355608123456789';

export interface MigrationReport {
  applied: string[];
}

/**
 * Runs pending migrations. On PostgreSQL several instances may boot together, so the run is serialised
 * with a session advisory lock held on a dedicated connection. PGlite is single-process, so no lock.
 */
export async function runMigrations(dataSource: DataSource): Promise<MigrationReport> {
  const isPglite = Boolean((dataSource.options as { driver?: unknown }).driver);
  if (isPglite) return { applied: (await dataSource.runMigrations({ transaction: 'each' })).map((m) => m.name) };
  const lockRunner = dataSource.createQueryRunner();
  await lockRunner.connect();
  try {
    await lockRunner.query('SELECT pg_advisory_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return { applied: applied.map((m) => m.name) };
  } finally {
    await lockRunner.query('SELECT pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await lockRunner.release();
  }
}

/** True when every known migration has been applied. */
export async function migrationsApplied(dataSource: DataSource): Promise<boolean> {
  return !(await dataSource.showMigrations());
}
