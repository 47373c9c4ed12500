import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { Logger } from 'pino';
import { AppConfig } from '../config/app.config';
import { ROOT_LOGGER } from '../observability/logger.factory';
import { AuditRepository } from './audit.repository';
import { AuditService } from './audit.service';
import { AuditWriter } from './audit.writer';

const PARTITION_MONTHS_AHEAD = 3;
const PARTITION_CHECK_MS = 12 * 3_600_000;
/** How long shutdown waits for the database to take the queue before spooling it instead. */
const SHUTDOWN_FLUSH_MS = 5_000;

/**
 * Starts the writer once every module is initialised (migrations have run) and stops it last. Shutdown runs in
 * two steps so that nothing depends on the order Nest calls modules in: beforeApplicationShutdown writes the queue (or
 * spools it) while the database is certainly open (bounded wait); onApplicationShutdown, after the HTTP server has let in-flight
 * requests finish, writes what those requests added, or spools it when the pool is already closed.
 */
@Injectable()
export class AuditLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private partitionTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly writer: AuditWriter,
    private readonly audit: AuditService,
    private readonly repository: AuditRepository,
    private readonly config: AppConfig,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.env.AUDIT_ENABLED) return;
    await this.ensurePartitions();
    this.partitionTimer = setInterval(() => void this.ensurePartitions(), PARTITION_CHECK_MS);
    this.partitionTimer.unref();
    await this.writer.start();
    this.audit.serviceStarted({ writeMode: this.config.env.AUDIT_WRITE_MODE });
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (!this.config.env.AUDIT_ENABLED) return;
    clearInterval(this.partitionTimer);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.writer.settle(),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, SHUTDOWN_FLUSH_MS);
      }),
    ]);
    clearTimeout(timer);
  }

  async onApplicationShutdown(signal?: string): Promise<void> {
    if (!this.config.env.AUDIT_ENABLED) return;
    this.audit.serviceStopped(signal ? { signal } : undefined);
    await this.writer.stop();
    const s = this.writer.stats();
    if (s.spooled) this.logger.warn({ spooled: s.spooled }, 'audit records left in the spool; replayed at next start');
  }

  private async ensurePartitions(): Promise<void> {
    try {
      const now = new Date();
      await this.repository.ensurePartitions(now, PARTITION_MONTHS_AHEAD);
    } catch (err) {
      this.logger.warn({ err }, 'audit: could not create future partitions (the default partition catches rows)');
    }
  }
}
