import type { FastifyRequest } from 'fastify';
import type { DomainAuditEvent } from '../common/audit-sink';
import { currentContext } from '../common/request-context';

/** What a request has told the audit trail about itself before its one record is completed. */
export interface PendingAudit {
  action?: string;
  entityType?: string;
  entityId?: string;
  outcome?: DomainAuditEvent['outcome'];
  changes?: unknown;
  details?: Record<string, unknown>;
  /** Further domain events of the same request: kept in the record's details, so it stays one record. */
  events?: DomainAuditEvent[];
  /** Set once the record is built (sync mode builds it in onSend), so onResponse does not build a second one. */
  recorded?: boolean;
}

const PENDING = Symbol('bulwark:audit-pending');
type WithPending = FastifyRequest & { [PENDING]?: PendingAudit };

/** Request context object -> pending record, so domain code can reach its request's record without the request. */
const byContext = new WeakMap<object, PendingAudit>();

export function pendingFor(request: FastifyRequest): PendingAudit {
  const r = request as WithPending;
  return (r[PENDING] ??= {});
}

export function peekPending(request: FastifyRequest): PendingAudit | undefined {
  return (request as WithPending)[PENDING];
}

/** Links the request's pending record to the async context the handler runs in. */
export function linkToCurrentContext(pending: PendingAudit): void {
  const ctx = currentContext();
  if (ctx) byContext.set(ctx, pending);
}

export function pendingInCurrentContext(): PendingAudit | undefined {
  const ctx = currentContext();
  return ctx ? byContext.get(ctx) : undefined;
}

/** Merges a domain event into the request's record: the first names the record, later ones are listed. */
export function mergeEvent(pending: PendingAudit, event: DomainAuditEvent): void {
  if (pending.action === undefined || !pending.events) {
    pending.events = [];
    pending.action = event.action;
    pending.entityType = event.entityType ?? pending.entityType;
    pending.entityId = event.entityId ?? pending.entityId;
    pending.outcome = event.outcome;
    pending.changes = event.changes;
    pending.details = event.details;
    return;
  }
  pending.events.push(event);
}
