import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { PrometheusController } from '@willsoto/nestjs-prometheus';
import type { FastifyReply } from 'fastify';
import { Public } from '../auth/auth.decorators';

/** Prometheus scrape endpoint. Public so a scraper needs no key; keep it off the public network. */
@ApiTags('observability')
@Public()
@Controller()
export class MetricsController extends PrometheusController {
  @Get()
  @ApiOperation({ summary: 'Prometheus metrics (text exposition format).' })
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'Process metrics, http_request_duration_seconds and module metrics.' })
  override index(@Res({ passthrough: true }) response: FastifyReply): Promise<string> {
    return super.index(response) as Promise<string>;
  }
}
