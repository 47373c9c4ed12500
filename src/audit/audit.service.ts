import { Injectable } from '@nestjs/common';
import type { AuditSink, DomainAuditEvent } from '../common/audit-sink';
import { AppConfig } from '../config/app.config';
import { mergeEvent, pendingInCurrentContext } from './audit.context';
import { AuditRecordFactory } from './audit.record.factory';
import { AuditWriter } from './audit.writer';

type Entity = { entityType: string; entityId?: string };

/**
 * The audit trail's entry point for domain code (provided as AUDIT_SINK). Inside a request the event becomes
 * that request's one record (completed when the response is sent); outside a request it is a record of its own.
 */
@Injectable()
export class AuditService implements AuditSink {
  private readonly enabled: boolean;

  constructor(
    private readonly writer: AuditWriter,
    private readonly factory: AuditRecordFactory,
    config: AppConfig,
  ) {
    this.enabled = config.env.AUDIT_ENABLED;
  }

  record(event: DomainAuditEvent): void {
    if (!this.enabled) return;
    const pending = pendingInCurrentContext();
    if (pending && !pending.recorded) {
      mergeEvent(pending, event);
      return;
    }
    this.writer.enqueue(this.factory.fromEvent(event));
  }

  loginSuccess(keyId: string, details?: Record<string, unknown>): void {
    this.record({ action: 'LOGIN_SUCCESS', entityType: 'api_key', entityId: keyId, details });
  }

  loginFailure(reason: string): void {
    this.record({ action: 'LOGIN_FAILURE', outcome: 'denied', details: { reason } });
  }

  apiKeyCreated(keyId: string, after: unknown): void {
    this.record({ action: 'API_KEY_CREATED', entityType: 'api_key', entityId: keyId, changes: { after } });
  }

  apiKeyRevoked(keyId: string): void {
    this.record({ action: 'API_KEY_REVOKED', entityType: 'api_key', entityId: keyId });
  }

  dataRead(entity: Entity, details?: Record<string, unknown>): void {
    this.record({ action: 'DATA_READ', ...entity, details });
  }

  dataWrite(entity: Entity, changes?: { before?: unknown; after?: unknown }): void {
    this.record({ action: 'DATA_WRITE', ...entity, changes });
  }

  dataDelete(entity: Entity, before?: unknown): void {
    this.record({ action: 'DATA_DELETE', ...entity, changes: before === undefined ? undefined : { before } });
  }

  dataExport(entity: Entity, details?: Record<string, unknown>): void {
    this.record({ action: 'DATA_EXPORT', ...entity, details });
  }

  configUpdated(entity: Entity, before: unknown, after: unknown): void {
    this.record({ action: 'CONFIG_UPDATED', ...entity, changes: { before, after } });
  }

  retentionRun(details: Record<string, unknown>, outcome: DomainAuditEvent['outcome'] = 'success'): void {
    this.record({ action: 'RETENTION_RUN', outcome, details });
  }

  legalHoldSet(entity: Entity, reason?: string): void {
    this.record({ action: 'LEGAL_HOLD_SET', ...entity, details: reason ? { reason } : undefined });
  }

  legalHoldCleared(entity: Entity, reason?: string): void {
    this.record({ action: 'LEGAL_HOLD_CLEARED', ...entity, details: reason ? { reason } : undefined });
  }

  serviceStarted(details?: Record<string, unknown>): void {
    this.record({ action: 'SERVICE_STARTED', details });
  }

  serviceStopped(details?: Record<string, unknown>): void {
    this.record({ action: 'SERVICE_STOPPED', details });
  }

  healthCheckFailed(indicator: string, details?: Record<string, unknown>): void {
    this.record({
      action: 'HEALTH_CHECK_FAILED',
      outcome: 'failure',
      entityType: 'health',
      entityId: indicator,
      details,
    });
  }
}
