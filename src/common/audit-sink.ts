/**
 * The seam through which modules report domain events to the audit trail without depending on it.
 * The audit module provides the real implementation under AUDIT_SINK; until it is loaded (and in unit
 * tests) the no-op sink keeps callers unchanged.
 */
export const AUDIT_SINK = Symbol('AUDIT_SINK');

export interface DomainAuditEvent {
  action: string;
  outcome?: 'success' | 'failure' | 'denied' | 'partial';
  entityType?: string;
  entityId?: string;
  changes?: { before?: unknown; after?: unknown };
  details?: Record<string, unknown>;
}

export interface AuditSink {
  record(event: DomainAuditEvent): void;
}

export class NoopAuditSink implements AuditSink {
  record(): void {
    // Intentionally empty: no audit module is loaded.
  }
}
