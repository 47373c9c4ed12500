import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsDate, IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { OUTCOMES, type Outcome } from '../audit/audit.types';
import { TENANT_ID_PATTERN } from '../auth/api-key.format';
import { toDate, toInt } from '../common/query.transforms';

const ISO_MESSAGE = 'must be an ISO 8601 date-time';

export class AuditFiltersQuery {
  @ApiPropertyOptional({ example: 'API_KEY_CREATED' })
  @IsOptional()
  @Matches(/^[A-Za-z0-9_.:-]{1,64}$/, { message: 'action must be 1-64 letters, digits or _ . : -' })
  action?: string;

  @ApiPropertyOptional({ enum: OUTCOMES })
  @IsOptional()
  @IsIn(OUTCOMES)
  outcome?: Outcome;

  @ApiPropertyOptional({ description: 'Actor id (API key id, user id or "bulwark" for the service).' })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  actor?: string;

  @ApiPropertyOptional({ example: 'acme' })
  @IsOptional()
  @Matches(TENANT_ID_PATTERN, { message: 'tenant must be a tenant id' })
  tenant?: string;

  @ApiPropertyOptional({ example: 'api_key' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  entityType?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(128)
  entityId?: string;

  @ApiPropertyOptional({ description: 'X-Request-Id of the request that produced the record.' })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  correlationId?: string;

  @ApiPropertyOptional({ example: '2026-01-01T00:00:00Z', description: 'occurred_at >= from.' })
  @IsOptional()
  @Transform(toDate)
  @IsDate({ message: `from ${ISO_MESSAGE}` })
  from?: Date;

  @ApiPropertyOptional({ example: '2026-02-01T00:00:00Z', description: 'occurred_at < to.' })
  @IsOptional()
  @Transform(toDate)
  @IsDate({ message: `to ${ISO_MESSAGE}` })
  to?: Date;
}

export class ListAuditLogsQuery extends AuditFiltersQuery {
  @ApiPropertyOptional({ default: 100, minimum: 1, maximum: 1000 })
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;

  @ApiPropertyOptional({ description: 'nextCursor from the previous page.' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;
}

export class ExportAuditLogsQuery extends AuditFiltersQuery {
  @ApiPropertyOptional({ enum: ['ndjson', 'csv'], default: 'ndjson' })
  @IsOptional()
  @IsIn(['ndjson', 'csv'])
  format?: 'ndjson' | 'csv';
}

export class VerifyAuditQuery {
  @ApiPropertyOptional({ description: 'Verify rows that occurred at or after this time (ISO 8601).' })
  @IsOptional()
  @Transform(toDate)
  @IsDate({ message: `from ${ISO_MESSAGE}` })
  from?: Date;

  @ApiPropertyOptional({ description: 'Verify rows that occurred before this time (ISO 8601).' })
  @IsOptional()
  @Transform(toDate)
  @IsDate({ message: `to ${ISO_MESSAGE}` })
  to?: Date;

  @ApiPropertyOptional({ description: 'First seq to verify.' })
  @IsOptional()
  @Matches(/^\d{1,18}$/, { message: 'fromSeq must be a positive integer' })
  fromSeq?: string;

  @ApiPropertyOptional({ description: 'Last seq to verify.' })
  @IsOptional()
  @Matches(/^\d{1,18}$/, { message: 'toSeq must be a positive integer' })
  toSeq?: string;
}

export class AuditLogResponse {
  @ApiProperty({ example: '42', description: 'Position in the hash chain.' }) seq!: string;
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'date-time' }) occurredAt!: string;
  @ApiProperty({ nullable: true, type: String }) tenantId!: string | null;
  @ApiProperty({ enum: ['user', 'api_key', 'service', 'anonymous'] }) actorType!: string;
  @ApiProperty({ nullable: true, type: String }) actorId!: string | null;
  @ApiProperty({ example: 'API_KEY_CREATED' }) action!: string;
  @ApiProperty({ enum: OUTCOMES }) outcome!: string;
  @ApiProperty({ nullable: true, type: String }) entityType!: string | null;
  @ApiProperty({ nullable: true, type: String }) entityId!: string | null;
  @ApiProperty({ nullable: true, type: Object, description: 'Redacted before/after.' }) changes!: unknown;
  @ApiProperty({ nullable: true, type: Object, description: 'Redacted request details.' }) details!: unknown;
  @ApiProperty({ nullable: true, type: String }) ipAddress!: string | null;
  @ApiProperty({ nullable: true, type: String }) userAgent!: string | null;
  @ApiProperty({ nullable: true, type: String }) correlationId!: string | null;
  @ApiProperty({ nullable: true, type: String }) sessionIdHash!: string | null;
  @ApiProperty({ nullable: true, type: String }) requestPath!: string | null;
  @ApiProperty({ nullable: true, type: String }) route!: string | null;
  @ApiProperty({ nullable: true, type: String }) httpMethod!: string | null;
  @ApiProperty({ nullable: true, type: Number }) statusCode!: number | null;
  @ApiProperty({ nullable: true, type: Number }) durationMs!: number | null;
  @ApiProperty({ format: 'date-time' }) retentionUntil!: string;
  @ApiProperty() legalHold!: boolean;
  @ApiProperty({ description: 'SHA-256 of the previous row (hex).' }) prevHash!: string;
  @ApiProperty({ description: 'SHA-256 of this row (hex).' }) hash!: string;
}

export class AuditLogPageResponse {
  @ApiProperty({ type: [AuditLogResponse] }) items!: AuditLogResponse[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}

class ChainPointResponse {
  @ApiProperty({ example: '42' }) seq!: string;
  @ApiProperty({ description: 'hex' }) hash!: string;
}

export class AuditVerifyResponse {
  @ApiProperty() ok!: boolean;
  @ApiProperty() rowsChecked!: number;
  @ApiProperty({ nullable: true, type: String }) fromSeq!: string | null;
  @ApiProperty({ nullable: true, type: String }) toSeq!: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'First seq whose row or link is wrong.' })
  firstBrokenSeq!: string | null;
  @ApiProperty({ nullable: true, type: String }) reason!: string | null;
  @ApiProperty({ type: ChainPointResponse }) head!: ChainPointResponse;
  @ApiProperty({ type: ChainPointResponse, description: 'Last row deleted by retention.' })
  checkpoint!: ChainPointResponse;
}
