import {
  Injectable,
  StreamableFile,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { map, type Observable } from 'rxjs';
import { UNMATCHED_ROUTE } from '../observability/http.metrics';
import { EngineGuardService } from './engine-guard.service';

export const ENGINE_GUARD_HEADER = 'x-engine-guard';

/** Bodies Fastify sends as they are (text, bytes, streams) never pass through JSON.stringify. */
function isJsonBody(body: unknown): boolean {
  if (typeof body === 'number') return true;
  if (typeof body !== 'object' || body === null) return false;
  if (ArrayBuffer.isView(body) || body instanceof StreamableFile) return false;
  return typeof (body as { pipe?: unknown }).pipe !== 'function';
}

/**
 * The innermost global interceptor: no NaN or Infinity leaves in a JSON response. Registered last so the
 * idempotency interceptor (outside it) stores bodies that are already clean.
 */
@Injectable()
export class EngineGuardInterceptor implements NestInterceptor {
  constructor(private readonly guard: EngineGuardService) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const http = context.switchToHttp();
    return next.handle().pipe(
      map((body: unknown) => {
        if (!this.guard.enabled || !isJsonBody(body)) return body;
        const request = http.getRequest<FastifyRequest>();
        const { value, report } = this.guard.guard(body, request.routeOptions.url ?? UNMATCHED_ROUTE);
        if (report.count > 0)
          void http.getResponse<FastifyReply>().header(ENGINE_GUARD_HEADER, `sanitized=${report.count}`);
        return value;
      }),
    );
  }
}
