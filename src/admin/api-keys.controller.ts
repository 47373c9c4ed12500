import { Body, Delete, Get, HttpCode, Inject, Param, Post, Query, Req } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
} from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { ApiKeysService } from '../auth/api-keys.service';
import { AUDIT_SINK, type AuditSink } from '../common/audit-sink';
import { AdminController, ProductionSafe } from './admin.decorators';
import {
  ApiKeyIdParam,
  ApiKeyPageResponse,
  ApiKeyResponse,
  CreateApiKeyDto,
  CreatedApiKeyResponse,
  ListApiKeysQuery,
} from './api-keys.dto';

@AdminController('api-keys', 'admin: api keys')
export class ApiKeysController {
  constructor(
    private readonly apiKeys: ApiKeysService,
    @Inject(AUDIT_SINK) private readonly audit: AuditSink,
  ) {}

  @Post()
  @ProductionSafe()
  @ApiOperation({ summary: 'Create an API key; the secret is in the response once and never again.' })
  @ApiCreatedResponse({ type: CreatedApiKeyResponse })
  @ApiBadRequestResponse({ description: 'Invalid body (problem+json listing each field).' })
  async create(@Body() dto: CreateApiKeyDto, @Req() req: FastifyRequest): Promise<CreatedApiKeyResponse> {
    const { key, secret } = await this.apiKeys.create(dto, req.principal?.keyId ?? null);
    this.audit.record({
      action: 'API_KEY_CREATED',
      entityType: 'api_key',
      entityId: key.id,
      changes: { after: { name: key.name, role: key.role, tenantId: key.tenantId, expiresAt: key.expiresAt } },
    });
    return { ...key, key: secret };
  }

  @Get()
  @ApiOperation({ summary: 'List API keys, newest first (keyset pagination). Secrets are never returned.' })
  @ApiOkResponse({ type: ApiKeyPageResponse })
  list(@Query() query: ListApiKeysQuery): Promise<ApiKeyPageResponse> {
    return this.apiKeys.list(query);
  }

  @Delete(':id')
  @HttpCode(200)
  @ProductionSafe()
  @ApiOperation({ summary: 'Revoke an API key; it stops working at once on this instance.' })
  @ApiOkResponse({ type: ApiKeyResponse })
  @ApiConflictResponse({ description: 'The key is already revoked.' })
  async revoke(@Param() params: ApiKeyIdParam): Promise<ApiKeyResponse> {
    const key = await this.apiKeys.revoke(params.id);
    this.audit.record({ action: 'API_KEY_REVOKED', entityType: 'api_key', entityId: key.id });
    return key;
  }
}
