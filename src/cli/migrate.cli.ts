import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app.config';
import { ConfigValidationError } from '../config/config.loader';
import { buildDataSourceOptions } from '../database/database.options';
import { runMigrations } from '../database/migration.runner';

/**
 * `npm run db:migrate` applies pending migrations (under the same advisory lock as migrate-on-boot);
 * `npm run db:migrate -- --revert` undoes the last one. Uses the app's own options factory.
 */
async function main(): Promise<void> {
  const config = AppConfig.fromProcessEnv();
  const dataSource = new DataSource(buildDataSourceOptions(config));
  await dataSource.initialize();
  try {
    if (process.argv.includes('--revert')) {
      await dataSource.undoLastMigration({ transaction: 'each' });
      console.log('reverted the last migration');
      return;
    }
    const { applied } = await runMigrations(dataSource);
    console.log(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
  } finally {
    await dataSource.destroy();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigValidationError ? err.message : err);
  process.exit(1);
});
