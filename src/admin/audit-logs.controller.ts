import { Get, Query, StreamableFile } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOkResponse, ApiOperation, ApiProduces } from '@nestjs/swagger';
import { Audit } from '../audit/audit.decorator';
import { AuditQueryService } from '../audit/audit.query.service';
import type { AuditFilters, StoredAuditRow } from '../audit/audit.repository';
import { AuditVerifier } from '../audit/audit.verifier';
import { AdminController } from './admin.decorators';
import {
  AuditLogPageResponse,
  AuditLogResponse,
  AuditVerifyResponse,
  ExportAuditLogsQuery,
  ListAuditLogsQuery,
  VerifyAuditQuery,
  type AuditFiltersQuery,
} from './audit-logs.dto';

function filtersOf(q: AuditFiltersQuery): AuditFilters {
  const { action, outcome, actor, tenant, entityType, entityId, correlationId, from, to } = q;
  return { action, outcome, actor, tenant, entityType, entityId, correlationId, from, to };
}

function toResponse(r: StoredAuditRow): AuditLogResponse {
  return {
    seq: r.seq,
    id: r.id,
    occurredAt: r.occurred_at,
    tenantId: r.tenant_id,
    actorType: r.actor_type,
    actorId: r.actor_id,
    action: r.action,
    outcome: r.outcome,
    entityType: r.entity_type,
    entityId: r.entity_id,
    changes: r.changes,
    details: r.details,
    ipAddress: r.ip_address,
    userAgent: r.user_agent,
    correlationId: r.correlation_id,
    sessionIdHash: r.session_id_hash,
    requestPath: r.request_path,
    route: r.route,
    httpMethod: r.http_method,
    statusCode: r.status_code,
    durationMs: r.duration_ms,
    retentionUntil: r.retention_until,
    legalHold: r.legal_hold,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

/** Audit trail for admins and auditors. Reading it is itself audited (DATA_READ / DATA_EXPORT). */
@AdminController('audit-logs', 'admin: audit logs')
export class AuditLogsController {
  constructor(
    private readonly query: AuditQueryService,
    private readonly verifier: AuditVerifier,
  ) {}

  @Get()
  @Audit({ action: 'DATA_READ', entityType: 'audit_log' })
  @ApiOperation({ summary: 'Audit records, newest (highest seq) first, with keyset pagination.' })
  @ApiOkResponse({ type: AuditLogPageResponse })
  @ApiBadRequestResponse({ description: 'Invalid filter, limit or cursor (problem+json).' })
  async list(@Query() q: ListAuditLogsQuery): Promise<AuditLogPageResponse> {
    const page = await this.query.list(filtersOf(q), q.limit ?? 100, q.cursor);
    return { items: page.items.map(toResponse), nextCursor: page.nextCursor };
  }

  @Get('verify')
  @Audit({ action: 'DATA_READ', entityType: 'audit_chain' })
  @ApiOperation({
    summary: 'Recompute the hash chain over a range (default: everything retention kept) and report the first break.',
  })
  @ApiOkResponse({ type: AuditVerifyResponse })
  verify(@Query() q: VerifyAuditQuery): Promise<AuditVerifyResponse> {
    return this.verifier.verify({
      from: q.from,
      to: q.to,
      fromSeq: q.fromSeq === undefined ? undefined : BigInt(q.fromSeq),
      toSeq: q.toSeq === undefined ? undefined : BigInt(q.toSeq),
    });
  }

  @Get('export')
  @Audit({ action: 'DATA_EXPORT', entityType: 'audit_log' })
  @ApiOperation({ summary: 'Stream matching records in chain order as NDJSON or CSV (stored column names).' })
  @ApiProduces('application/x-ndjson', 'text/csv')
  @ApiOkResponse({ description: 'One record per line; streamed, any size.' })
  export(@Query() q: ExportAuditLogsQuery): StreamableFile {
    const format = q.format ?? 'ndjson';
    const stream = this.query.export(filtersOf(q), format);
    return new StreamableFile(stream, {
      type: format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson',
      disposition: `attachment; filename="audit-log.${format}"`,
    });
  }
}
