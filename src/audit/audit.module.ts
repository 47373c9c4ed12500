import { Global, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { AUDIT_SINK } from '../common/audit-sink';
import { AuditCapture } from './audit.capture';
import { AuditContextInterceptor } from './audit.context.interceptor';
import { AuditHealth } from './audit.health';
import { AuditLifecycle } from './audit.lifecycle';
import { AUDIT_METRIC_PROVIDERS, AuditMetrics } from './audit.metrics';
import { AuditQueryService } from './audit.query.service';
import { AuditRecordFactory } from './audit.record.factory';
import { AuditRepository } from './audit.repository';
import { AuditService } from './audit.service';
import { AuditVerifier } from './audit.verifier';
import { AuditWriter } from './audit.writer';

/** The audit trail. Global so every module can inject AUDIT_SINK / AuditService without importing it. */
@Global()
@Module({
  imports: [TerminusModule],
  providers: [
    ...AUDIT_METRIC_PROVIDERS,
    AuditMetrics,
    AuditRepository,
    AuditRecordFactory,
    AuditWriter,
    AuditService,
    { provide: AUDIT_SINK, useExisting: AuditService },
    AuditContextInterceptor,
    AuditCapture,
    AuditHealth,
    AuditLifecycle,
    AuditQueryService,
    AuditVerifier,
  ],
  exports: [AUDIT_SINK, AuditService, AuditContextInterceptor, AuditQueryService, AuditVerifier, AuditWriter],
})
export class AuditModule {}
