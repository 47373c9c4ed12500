import { Global, Module } from '@nestjs/common';
import { AUDIT_SINK, NoopAuditSink } from './audit-sink';

/** Provides the default (no-op) audit sink; the audit module replaces this import in AppModule. */
@Global()
@Module({
  providers: [{ provide: AUDIT_SINK, useClass: NoopAuditSink }],
  exports: [AUDIT_SINK],
})
export class AuditSinkModule {}
