import { Global, Inject, Module, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource, TypeOrmModule } from '@nestjs/typeorm';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app.config';
import { ROOT_LOGGER } from '../observability/logger.factory';
import { buildDataSourceOptions } from './database.options';
import { runMigrations } from './migration.runner';

@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({ ...buildDataSourceOptions(config), retryAttempts: 3, retryDelay: 1000 }),
    }),
  ],
})
export class DatabaseModule implements OnModuleInit {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly config: AppConfig,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  /** Migrates before any other module's bootstrap runs, so they can rely on the schema. */
  async onModuleInit(): Promise<void> {
    if (!this.config.env.DB_MIGRATE_ON_BOOT) return;
    const { applied } = await runMigrations(this.dataSource);
    if (applied.length) this.logger.info({ applied }, 'migrations applied');
  }
}
