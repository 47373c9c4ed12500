import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { AppConfig } from '../../src/config/app.config';
import { buildDataSourceOptions } from '../../src/database/database.options';
import { runMigrations } from '../../src/database/migration.runner';
import { adminUrl, RUN_ID_ENV, TEMPLATE_ENV, urlForDatabase, withAdminClient } from './test-database';

/** Migrates the per-run template database, and says which environment the suites run against. */
export default async function globalSetup(): Promise<void> {
  const base = adminUrl();
  if (!base) {
    console.log(
      '\n[bulwark tests] TEST_DATABASE_URL is not set: database suites run on in-memory PGlite; ' +
        'suites that need a real PostgreSQL server (connection chaos, roles, pg_cron) are skipped.',
    );
    return;
  }
  const runId = `${process.pid}_${randomBytes(3).toString('hex')}`;
  const template = `bulwark_template_${runId}`;
  process.env[RUN_ID_ENV] = runId;
  process.env[TEMPLATE_ENV] = template;
  await withAdminClient(async (c) => {
    await c.query(`DROP DATABASE IF EXISTS "${template}" WITH (FORCE)`);
    await c.query(`CREATE DATABASE "${template}"`);
  });
  const config = AppConfig.withOverrides({ NODE_ENV: 'test', DATABASE_URL: urlForDatabase(base, template) });
  const dataSource = new DataSource(buildDataSourceOptions(config));
  await dataSource.initialize();
  try {
    await runMigrations(dataSource);
  } finally {
    await dataSource.destroy();
  }
  console.log(`\n[bulwark tests] real PostgreSQL: template ${template} migrated; each test file gets its own clone.`);
}
