import { Inject, Injectable } from '@nestjs/common';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { runWithContext } from '../common/request-context';
import { HttpMetrics } from './http.metrics';
import { createPlainLogger, ROOT_LOGGER } from './logger.factory';

const MAX_LOGGED_PATH = 512;

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
  /**
   * The access line has a fixed shape with no secrets in it (no headers, no query string), so it is
   * written by a plain logger on the same destination: the root logger's wildcard redaction and log
   * formatters would double the cost of the one line every request writes.
   */
  private readonly accessLog: Logger;

  constructor(
    private readonly metrics: HttpMetrics,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {
    this.accessLog = createPlainLogger(logger);
  }

  /** Lets other modules (audit) act on every completed request without a second hook of their own. */
  addResponseListener(listener: ResponseListener): void {
    this.responseListeners.push(listener);
  }

  register(fastify: FastifyInstance): void {
    fastify.addHook('onRequest', (request, reply, done) => {
      void reply.header('x-request-id', request.id);
      runWithContext({ correlationId: request.id }, done);
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
    const durationMs = reply.elapsedTime;
    this.metrics.observe(request.method, route, reply.statusCode, durationMs / 1000);
    const path = request.url.split('?', 1)[0].slice(0, MAX_LOGGED_PATH);
    const line = {
      correlationId: request.id,
      method: request.method,
      route: route ?? null,
      path,
      statusCode: reply.statusCode,
      durationMs: Math.round(durationMs * 100) / 100,
      keyId: request.principal?.keyId,
    };
    if (reply.statusCode >= 500) this.accessLog.error(line, 'request completed');
    else this.accessLog.info(line, 'request completed');
  }
}
