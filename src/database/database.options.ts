import { mkdirSync } from 'node:fs';
import type { DataSourceOptions } from 'typeorm';
import { MIGRATIONS } from '../../migrations';
import type { AppConfig } from '../config/app.config';
import { pgliteDriver } from './pglite.pool';

export const MIGRATIONS_TABLE = 'migrations';

/** One options factory for the application, the migration CLI and the test harness. */
export function buildDataSourceOptions(config: AppConfig): DataSourceOptions {
  const common = {
    type: 'postgres' as const,
    synchronize: false,
    migrationsRun: false,
    migrations: MIGRATIONS,
    migrationsTableName: MIGRATIONS_TABLE,
    migrationsTransactionMode: 'each' as const,
    entities: [],
    logging: false,
  };
  const db = config.database;
  if (db.kind === 'postgres') {
    return {
      ...common,
      url: db.url,
      applicationName: config.env.DB_APPLICATION_NAME,
      poolSize: db.poolMax,
      connectTimeoutMS: db.connectTimeoutMs,
      extra: {
        statement_timeout: db.statementTimeoutMs || undefined,
        idleTimeoutMillis: 30_000,
        keepAlive: true,
      },
    };
  }
  if (!db.dataDir.startsWith('memory://')) mkdirSync(db.dataDir, { recursive: true });
  return { ...common, driver: pgliteDriver(db.dataDir) };
}
