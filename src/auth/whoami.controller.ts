import { Controller, Get, Req } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { API_KEY_ROLES, type ApiKeyRole } from './api-key.format';

export class WhoAmIResponse {
  @ApiProperty({ format: 'uuid' }) keyId!: string;
  @ApiProperty({ enum: API_KEY_ROLES, example: 'client' }) role!: ApiKeyRole;
  @ApiProperty({ example: 'acme' }) tenantId!: string;
  @ApiProperty({ example: 'billing-service' }) name!: string;
}

/** Lets a client check which key, role and tenant its credential resolves to. */
@ApiTags('auth')
@ApiSecurity('api-key')
@Controller('api/whoami')
export class WhoAmIController {
  @Get()
  @ApiOperation({ summary: 'The principal the presented API key resolves to.' })
  @ApiOkResponse({ type: WhoAmIResponse })
  whoami(@Req() request: FastifyRequest): WhoAmIResponse {
    const { keyId, role, tenantId, name } = request.principal!;
    return { keyId, role, tenantId, name };
  }
}
