import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import type { Observable } from 'rxjs';
import { linkToCurrentContext, pendingFor } from './audit.context';
import { AUDIT_METADATA, type AuditOptions } from './audit.decorator';

/**
 * Outermost interceptor: seeds the request's audit record from @Audit() and links it to the async context, so
 * AuditService.record() calls made by the handler enrich this request's one record instead of adding rows.
 * The record itself is completed in Fastify's onResponse (or onSend in sync mode), which also covers requests
 * that never reach an interceptor (guards, 404s).
 */
@Injectable()
export class AuditContextInterceptor implements NestInterceptor {
  constructor(private readonly reflector: Reflector) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const pending = pendingFor(request);
    const options = this.reflector.get<AuditOptions | undefined>(AUDIT_METADATA, context.getHandler());
    if (options) {
      pending.action = options.action;
      pending.entityType = options.entityType;
      if (options.entityIdParam) {
        const value = (request.params as Record<string, unknown> | undefined)?.[options.entityIdParam];
        if (typeof value === 'string') pending.entityId = value;
      }
    }
    linkToCurrentContext(pending);
    return next.handle();
  }
}
