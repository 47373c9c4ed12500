import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger as NestPinoLogger } from 'nestjs-pino';
import { registerJsonBodyParser } from './common/json-body.parser';
import { resolveCorrelationId } from './common/request-context';
import { AppConfig } from './config/app.config';
import { HttpHooks } from './observability/http.hooks';
import { documentLivenessRoute, registerLivenessRoute } from './health/liveness.route';
import './common/fastify.augment';

/** Every admin controller is mounted under this prefix (see AdminController). */
const ADMIN_PATH_PREFIX = '/api/admin';

/** A hop count trusts that many proxies nearest the server (what Fastify does with a number). */
function trustProxySetting(
  value: boolean | number | string[],
): boolean | string[] | ((address: string, hop: number) => boolean) {
  return typeof value === 'number' ? (_address: string, hop: number) => hop < value : value;
}

/** The Fastify adapter with the limits and proxy trust from configuration. */
export function createFastifyAdapter(config: AppConfig): FastifyAdapter {
  return new FastifyAdapter({
    bodyLimit: config.env.BODY_LIMIT,
    trustProxy: trustProxySetting(config.env.TRUST_PROXY),
    logger: false,
    // The correlation id becomes Fastify's request id, so every hook and error sees the same value.
    requestIdHeader: false,
    genReqId: (req: IncomingMessage) => resolveCorrelationId(req.headers['x-request-id']),
    // On close, idle keep-alive sockets are closed while requests in flight run to completion.
    forceCloseConnections: 'idle',
    // Requests that still arrive on a busy keep-alive connection during close are served by the normal
    // pipeline (with Connection: close) instead of Fastify's bare JSON 503, which skips problem+json, the
    // correlation id, the log line and the metrics. Readiness already reports 503 while draining.
    return503OnClosing: false,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 256 },
  });
}

/**
 * Everything main.ts and the test harness both need on top of the module graph: Fastify hooks, the
 * JSON parser, the logger and Swagger. Errors Fastify raises itself (body parsing, size) reach the global
 * ProblemFilter through the error handler Nest installs. Call after NestFactory.create, before init/listen.
 */
export function configureApp(app: NestFastifyApplication): void {
  const config = app.get(AppConfig);
  const fastify = app.getHttpAdapter().getInstance();
  app.useLogger(app.get(NestPinoLogger));
  app.get(HttpHooks).register(fastify);
  registerLivenessRoute(fastify);
  if (!config.env.ADMIN_ROUTES_ENABLED) hideAdminRoutes(fastify);
  registerJsonBodyParser(fastify, config.env.BODY_LIMIT);
  setupSwagger(app, config);
}

/**
 * With ADMIN_ROUTES_ENABLED=false an admin route must be indistinguishable from an unknown one, whatever the
 * request carries: it is handed to the not-found handler in onRequest, before body parsing (which would
 * answer 415/413/400) and before any guard runs. Registered after HttpHooks so the correlation id is set.
 */
function hideAdminRoutes(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    if (request.routeOptions.url?.startsWith(ADMIN_PATH_PREFIX)) reply.callNotFound();
    else done();
  });
}

function setupSwagger(app: NestFastifyApplication, config: AppConfig): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Bulwark')
      .setDescription(
        'Operational safety net: engine guard, audit trail, idempotency, health probes, rate limits and ' +
          'environment-gated admin routes. Errors are application/problem+json (RFC 9457) and carry the ' +
          'correlation id echoed in X-Request-Id.',
      )
      .setVersion('0.1.0')
      .addApiKey({ type: 'apiKey', in: 'header', name: 'X-API-Key' }, 'api-key')
      .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'The same API key as a bearer token.' }, 'bearer')
      .addSecurityRequirements('api-key')
      .build(),
  );
  if (!config.env.ADMIN_ROUTES_ENABLED) {
    for (const path of Object.keys(document.paths)) if (path.startsWith(ADMIN_PATH_PREFIX)) delete document.paths[path];
  }
  documentLivenessRoute(document);
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'docs-json',
    swaggerOptions: { persistAuthorization: true },
  });
}
