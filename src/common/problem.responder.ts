import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { PROBLEM_CONTENT_TYPE } from './problem';
import { toProblem } from './problem.mapper';

/** Writes any error as problem+json. 5xx causes are logged in full; the body never carries them. */
export function sendProblem(error: unknown, request: FastifyRequest, reply: FastifyReply, logger: Logger): void {
  const instance = request.url.split('?', 1)[0].slice(0, 512);
  const { problem, headers } = toProblem(error, instance);
  problem.correlationId = request.id;
  if (problem.status >= 500) logger.error({ err: error, correlationId: request.id }, 'request failed');
  if (reply.sent) return;
  for (const [name, value] of Object.entries(headers ?? {})) void reply.header(name, value);
  void reply.header('x-request-id', request.id);
  void reply.status(problem.status).type(PROBLEM_CONTENT_TYPE).send(problem);
}
