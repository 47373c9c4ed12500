import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HealthIndicatorService, MemoryHealthIndicator } from '@nestjs/terminus';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app.config';
import { migrationsApplied } from '../database/migration.runner';
import { HealthRegistry } from './health.registry';
import { LifecycleState } from './lifecycle.state';

/** The foundation's indicators: shutdown state, database round trip, migrations, heap. */
@Injectable()
export class CoreIndicators implements OnModuleInit {
  private migrationsKnownApplied = false;

  constructor(
    private readonly registry: HealthRegistry,
    private readonly indicators: HealthIndicatorService,
    private readonly memory: MemoryHealthIndicator,
    private readonly lifecycle: LifecycleState,
    private readonly config: AppConfig,
    @InjectDataSource() private readonly db: DataSource,
  ) {}

  onModuleInit(): void {
    this.registry.register({
      name: 'lifecycle',
      readiness: true,
      check: () => {
        const session = this.indicators.check('lifecycle');
        return this.lifecycle.isDraining ? session.down({ message: 'shutting down' }) : session.up();
      },
    });
    this.registry.register({
      name: 'database',
      readiness: true,
      check: async () =>
        await this.indicators
          .check('database')
          .attempt(async () => {
            const started = performance.now();
            await this.db.query('SELECT 1');
            return { latencyMs: Math.round((performance.now() - started) * 100) / 100 };
          })
          .withTimeout(this.config.env.HEALTH_DB_TIMEOUT_MS),
    });
    this.registry.register({ name: 'migrations', readiness: true, check: () => this.checkMigrations() });
    this.registry.register({
      name: 'memory_heap',
      readiness: false,
      check: () => this.memory.checkHeap('memory_heap', this.config.env.HEALTH_HEAP_LIMIT_MB * 1024 * 1024),
    });
  }

  private async checkMigrations() {
    const session = this.indicators.check('migrations');
    // Applied migrations do not un-apply, so once confirmed the check costs nothing.
    if (this.migrationsKnownApplied) return session.up();
    try {
      this.migrationsKnownApplied = await migrationsApplied(this.db);
    } catch (err) {
      return session.down({ message: `cannot read migration state: ${(err as Error).message}` });
    }
    return this.migrationsKnownApplied ? session.up() : session.down({ message: 'pending migrations' });
  }
}
