import { Inject, Injectable } from '@nestjs/common';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { DestinationStream, Logger } from 'pino';
import type { Redactor } from '../common/redactor';
import { AppConfig } from '../config/app.config';
import { runWithContext } from '../common/request-context';
import { HttpMetrics } from './http.metrics';
import { createLogRedactor, logDestination, ROOT_LOGGER } from './logger.factory';

const MAX_LOGGED_PATH = 512;

/** Per-route Fastify config this hook reads: `asyncContext: false` skips the correlation context. */
export interface RouteConfig {
  asyncContext?: boolean;
}

/** Called once per finished request (any status, any route, rejected or not), after the response is sent. */
export type ResponseListener = (request: FastifyRequest, reply: FastifyReply) => void;

/**
 * Request-scoped plumbing on Fastify's own hooks, so it covers every request: those rejected by guards,
 * unknown routes and body-parser errors included. `onRequest` opens the async context that carries the
 * correlation id; `onResponse` records the duration metric and writes the one log line per request.
 */
@Injectable()
export class HttpHooks {
  private readonly responseListeners: ResponseListener[] = [];
  private readonly destination: DestinationStream;
  private readonly redactor: Redactor;

  constructor(
    private readonly metrics: HttpMetrics,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
    config: AppConfig,
  ) {
    this.destination = logDestination(logger);
    this.redactor = createLogRedactor(config);
  }

  /** Lets other modules (audit) act on every completed request without a second hook of their own. */
  addResponseListener(listener: ResponseListener): void {
    this.responseListeners.push(listener);
  }

  register(fastify: FastifyInstance): void {
    fastify.addHook('onRequest', (request, reply, done) => {
      void reply.header('x-request-id', request.id);
      // A route that runs no application code (liveness) has nothing to carry; async context on Node 20
      // installs promise hooks for the rest of the request, so it is opened only where it is used.
      if ((request.routeOptions.config as RouteConfig | undefined)?.asyncContext === false) done();
      else runWithContext({ correlationId: request.id }, done);
    });
    fastify.addHook('onResponse', (request, reply, done) => {
      this.completed(request, reply);
      for (const listener of this.responseListeners) {
        try {
          listener(request, reply);
        } catch (err) {
          this.logger.error({ err, correlationId: request.id }, 'response listener failed');
        }
      }
      done();
    });
  }

  private completed(request: FastifyRequest, reply: FastifyReply): void {
    const route = request.routeOptions.url;
    const status = reply.statusCode;
    const durationMs = reply.elapsedTime;
    this.metrics.observe(request.method, route, status, durationMs / 1000);
    const level = status >= 500 ? 'error' : 'info';
    if (!this.logger.isLevelEnabled(level)) return;
    // A path can carry a token (/reset/<token>); it goes through the same redactor as every other log value,
    // unless it is exactly a parameterless route template.
    const rawPath = request.url.split('?', 1)[0].slice(0, MAX_LOGGED_PATH);
    const path = rawPath === route ? rawPath : this.redactor.redactString(rawPath);
    const keyId = request.principal?.keyId;
    // The line every request writes, serialised by hand: its fields are fixed, so this is pino's output
    // without pino's per-call work. Strings that come from the client are JSON-escaped.
    this.destination.write(
      `{"level":"${level}","time":"${new Date().toISOString()}","service":"bulwark","correlationId":${JSON.stringify(request.id)},` +
        `"method":"${request.method}","route":${route === undefined ? 'null' : JSON.stringify(route)},"path":${JSON.stringify(path)},` +
        `"statusCode":${status},"durationMs":${Math.round(durationMs * 100) / 100}${keyId ? `,"keyId":"${keyId}"` : ''},` +
        `"msg":"request completed"}\n`,
    );
  }
}
