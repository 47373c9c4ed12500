import { Controller, Get, Res, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheckService, type HealthCheckResult } from '@nestjs/terminus';
import type { FastifyReply } from 'fastify';
import { Public } from '../auth/auth.decorators';
import { HealthRegistry, type RegisteredIndicator } from './health.registry';

const EXAMPLE = {
  status: 'ok',
  info: { database: { status: 'up', latencyMs: 0.4 }, migrations: { status: 'up' } },
  error: {},
  details: { database: { status: 'up', latencyMs: 0.4 }, migrations: { status: 'up' } },
};

/** Kubernetes probes and the detailed view. Public and never rate limited. */
@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly registry: HealthRegistry,
  ) {}

  @Get('ready')
  @ApiOperation({ summary: 'Readiness: database reachable, migrations applied, not shutting down.' })
  @ApiOkResponse({ schema: { example: EXAMPLE } })
  @ApiServiceUnavailableResponse({ description: 'A readiness indicator is down, or shutdown has begun.' })
  ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<HealthCheckResult> {
    return this.run(this.registry.readiness(), reply);
  }

  @Get()
  @ApiOperation({ summary: 'Detailed view of every registered indicator (database latency, memory, modules).' })
  @ApiOkResponse({ schema: { example: EXAMPLE } })
  @ApiServiceUnavailableResponse({ description: 'At least one indicator is down.' })
  detailed(@Res({ passthrough: true }) reply: FastifyReply): Promise<HealthCheckResult> {
    return this.run(this.registry.all(), reply);
  }

  private async run(indicators: RegisteredIndicator[], reply: FastifyReply): Promise<HealthCheckResult> {
    try {
      return await this.health.check(indicators.map((i) => () => i.check()));
    } catch (err) {
      if (!(err instanceof ServiceUnavailableException)) throw err;
      void reply.status(503);
      return err.getResponse() as HealthCheckResult;
    }
  }
}
