import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { AppConfig } from '../config/app.config';
import { HealthRegistry } from '../health/health.registry';
import { AuditWriter } from './audit.writer';

/** audit_writer in /health: degraded (still 200) when the backlog or the oldest unwritten record passes its limit. */
@Injectable()
export class AuditHealth implements OnModuleInit {
  constructor(
    private readonly registry: HealthRegistry,
    private readonly indicators: HealthIndicatorService,
    private readonly writer: AuditWriter,
    private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    if (!this.config.env.AUDIT_ENABLED) return;
    this.registry.register({
      name: 'audit_writer',
      readiness: false,
      check: () => {
        const session = this.indicators.check('audit_writer');
        const s = this.writer.stats();
        const backlog = s.queued + s.inFlight + s.spooled;
        const data = {
          backlog,
          spooled: s.spooled,
          quarantined: s.quarantined,
          oldestAgeSeconds: Math.round(s.oldestAgeSeconds),
          breaker: s.breaker,
        };
        const degraded =
          backlog > this.config.env.AUDIT_DEGRADED_BACKLOG || s.oldestAgeSeconds > this.config.env.AUDIT_DEGRADED_AGE_S;
        return degraded ? session.degraded(data) : session.up(data);
      },
    });
  }
}
