import type { FastifyInstance } from 'fastify';
import type { OpenAPIObject } from '@nestjs/swagger';
import type { RouteConfig } from '../observability/http.hooks';

export const LIVENESS_PATH = '/health/live';

/**
 * Liveness is a plain Fastify route, outside Nest's guard and interceptor pipeline: it must keep answering
 * whatever state that pipeline is in, and it is the most frequent request a pod serves. Fastify's hooks
 * still apply, so it gets a correlation id, the access log line and the duration metric like any route.
 * (Measured: Nest's global interceptor chain with async context costs ~25 µs per request on this route.)
 */
export function registerLivenessRoute(fastify: FastifyInstance): void {
  fastify.get(
    LIVENESS_PATH,
    {
      schema: { response: { 200: { type: 'object', properties: { status: { type: 'string' } } } } },
      config: { asyncContext: false } satisfies RouteConfig,
    },
    (_request, reply) => {
      void reply.header('cache-control', 'no-store');
      return { status: 'ok' };
    },
  );
}

/** Swagger only sees Nest controllers, so the liveness route is described here. */
export function documentLivenessRoute(document: OpenAPIObject): void {
  document.paths[LIVENESS_PATH] = {
    get: {
      tags: ['health'],
      summary: 'Liveness: 200 while the event loop runs. Checks no dependency; needs no key.',
      operationId: 'HealthLive',
      security: [],
      responses: {
        '200': {
          description: 'The process is alive.',
          content: { 'application/json': { schema: { type: 'object', example: { status: 'ok' } } } },
        },
      },
    },
  };
}
