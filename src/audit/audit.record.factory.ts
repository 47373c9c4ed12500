import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { DomainAuditEvent } from '../common/audit-sink';
import { Redactor } from '../common/redactor';
import { currentContext } from '../common/request-context';
import { uuidv7 } from '../common/uuid7';
import { AppConfig } from '../config/app.config';
import { defaultAction, outcomeFor } from './audit.capture-rules';
import type { PendingAudit } from './audit.context';
import { normaliseIp } from './audit.ip';
import { retentionUntil } from './audit.retention-policy';
import type { ActorType, AuditRecord, Outcome } from './audit.types';

const SERVICE_ACTOR = 'bulwark';

/** A finished request as capture() took it: enough to build its record later (see fromCaptured). */
export interface CapturedRequest {
  request: FastifyRequest;
  pending: PendingAudit | undefined;
  path: string;
  status: number;
  /** Fastify's elapsedTime at completion, in ms. */
  durationMs: number;
  ip: string | undefined;
  /** Completion time, epoch ms: the record's occurred_at. */
  at: number;
}

function cut(value: string | undefined | null, max: number): string | null {
  if (value === undefined || value === null || value === '') return null;
  return value.length > max ? value.slice(0, max) : value;
}

function oneLine(value: string | undefined, max: number): string | null {
  // eslint-disable-next-line no-control-regex
  return cut(value?.replace(/[\u0000-\u001f\u007f]+/g, ' '), max);
}

/** Builds redacted, bounded, JSON-clean records: the exact objects that are spooled, hashed and stored. */
@Injectable()
export class AuditRecordFactory {
  /** Audit rows are smaller than logs: request bodies are bounded hard so one request cannot bloat the table. */
  readonly redactor: Redactor;
  private readonly retentionDays: number;

  constructor(config: AppConfig) {
    this.redactor = new Redactor({
      enabled: config.env.AUDIT_REDACT,
      extraFields: config.env.AUDIT_REDACT_EXTRA_FIELDS,
      maxDepth: 8,
      maxNodes: 2_000,
      maxStringLength: 2_048,
      sortKeys: true,
    });
    this.retentionDays = config.env.AUDIT_RETENTION_DAYS;
  }

  /**
   * What a finished request's record needs, read while the request is at hand: only field reads, so the request path
   * pays little. Values that change or vanish later are taken now: the duration, the time, and the client address
   * (a closed socket no longer has one). The record itself is built later by fromCaptured, in a batch with others.
   */
  capture(
    request: FastifyRequest,
    reply: FastifyReply,
    pending: PendingAudit | undefined,
    path: string,
  ): CapturedRequest {
    return {
      request,
      pending,
      path,
      status: reply.statusCode,
      durationMs: reply.elapsedTime,
      ip: request.ip,
      at: Date.now(),
    };
  }

  fromRequest(
    request: FastifyRequest,
    reply: FastifyReply,
    pending: PendingAudit | undefined,
    path = request.url.split('?', 1)[0],
  ): AuditRecord {
    return this.fromCaptured(this.capture(request, reply, pending, path));
  }

  /** The redacted, bounded record of a captured request (see capture). */
  fromCaptured(c: CapturedRequest): AuditRecord {
    const { request, pending, status } = c;
    const method = request.method;
    const principal = request.principal;
    const statusOutcome = outcomeFor(status);
    const outcome: Outcome = statusOutcome !== 'success' ? statusOutcome : (pending?.outcome ?? 'success');
    // A failed request is not recorded under the domain action it attempted with success semantics: the action
    // stays (API_KEY_CREATED attempted), the outcome and status code say it failed.
    const action = status === 401 || status === 403 || status === 429 ? defaultAction(method, status) : pending?.action;
    const details: Record<string, unknown> = {};
    const query = request.query as Record<string, unknown> | undefined;
    if (query && typeof query === 'object' && hasOwnKeys(query)) details.query = query;
    if (request.body !== undefined && request.body !== null && method !== 'GET') details.body = request.body;
    if (pending?.details) Object.assign(details, pending.details);
    if (pending?.events?.length) details.events = pending.events;
    const sessionId = request.headers['x-session-id'];
    return this.build({
      action: action ?? defaultAction(method, status),
      outcome,
      actorType: principal ? 'api_key' : 'anonymous',
      actorId: principal?.keyId ?? null,
      tenantId: principal?.tenantId ?? null,
      entityType: pending?.entityType,
      entityId: pending?.entityId,
      changes: pending?.changes,
      details: hasOwnKeys(details) ? details : undefined,
      ip: normaliseIp(c.ip),
      userAgent: oneLine(headerValue(request.headers['user-agent']), 512),
      correlationId: request.id,
      sessionIdHash:
        typeof sessionId === 'string' && sessionId ? createHash('sha256').update(sessionId).digest('hex') : null,
      requestPath: oneLine(this.redactor.redactString(c.path), 2048),
      route: cut(request.routeOptions.url, 512),
      method,
      status,
      durationMs: Math.round(c.durationMs * 1000) / 1000,
      at: c.at,
    });
  }

  /** A domain event outside any request (startup, jobs) or a second event in one: the service is the actor. */
  fromEvent(event: DomainAuditEvent): AuditRecord {
    const ctx = currentContext();
    const principal = ctx?.principal;
    return this.build({
      action: event.action,
      outcome: event.outcome ?? 'success',
      actorType: principal ? 'api_key' : 'service',
      actorId: principal?.keyId ?? SERVICE_ACTOR,
      tenantId: principal?.tenantId ?? null,
      entityType: event.entityType,
      entityId: event.entityId,
      changes: event.changes,
      details: event.details,
      correlationId: ctx?.correlationId ?? null,
    });
  }

  private build(f: {
    action: string;
    outcome: Outcome;
    actorType: ActorType;
    actorId: string | null;
    tenantId: string | null;
    entityType?: string;
    entityId?: string;
    changes?: unknown;
    details?: unknown;
    ip?: string | null;
    userAgent?: string | null;
    correlationId?: string | null;
    sessionIdHash?: string | null;
    requestPath?: string | null;
    route?: string | null;
    method?: string;
    status?: number;
    durationMs?: number;
    /** When it happened (epoch ms); now if not given. */
    at?: number;
  }): AuditRecord {
    const now = f.at === undefined ? new Date() : new Date(f.at);
    const occurredAt = now.toISOString();
    const action = cut(f.action, 64) ?? 'UNKNOWN';
    return {
      id: uuidv7(),
      occurred_at: occurredAt,
      tenant_id: cut(f.tenantId, 64),
      actor_type: f.actorType,
      actor_id: cut(f.actorId, 128),
      action,
      outcome: f.outcome,
      entity_type: cut(f.entityType, 64),
      entity_id: cut(f.entityId, 128),
      changes: f.changes === undefined ? null : this.redactor.redact(f.changes),
      details: f.details === undefined ? null : this.redactor.redact(f.details),
      ip_address: f.ip ?? null,
      user_agent: f.userAgent ?? null,
      correlation_id: cut(f.correlationId, 128),
      session_id_hash: f.sessionIdHash ?? null,
      request_path: f.requestPath ?? null,
      route: f.route ?? null,
      http_method: f.method ?? null,
      status_code: f.status ?? null,
      duration_ms: f.durationMs ?? null,
      retention_until: retentionUntil(action, now, this.retentionDays, occurredAt),
    };
  }
}

/** Whether an object has an own enumerable key, without building the key list. */
function hasOwnKeys(obj: object): boolean {
  for (const key in obj) if (Object.hasOwn(obj, key)) return true;
  return false;
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.join(', ') : v;
}
