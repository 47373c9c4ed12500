import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppConfig } from '../config/app.config';
import { HttpHooks } from '../observability/http.hooks';
import { shouldAudit } from './audit.capture-rules';
import { pendingFor, type PendingAudit } from './audit.context';
import { AuditRecordFactory, type CapturedRequest } from './audit.record.factory';
import type { AuditRecord } from './audit.types';
import { AuditWriter } from './audit.writer';

/**
 * Automatic capture: one record per auditable request, completed when the request is done. In async mode that
 * is Fastify's onResponse (after the response is sent, so audit never adds latency; the record is built shortly
 * after, with others); in sync mode it is onSend, and the response waits until the record is committed or fsync'd
 * in the spool.
 */
@Injectable()
export class AuditCapture implements OnModuleInit {
  constructor(
    private readonly hooks: HttpHooks,
    private readonly adapterHost: HttpAdapterHost,
    private readonly writer: AuditWriter,
    private readonly factory: AuditRecordFactory,
    private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    if (!this.config.env.AUDIT_ENABLED) return;
    // The record is built later, in a batch with others (AuditWriter.enqueueDeferred): here only what would not
    // last is taken.
    const build = (c: CapturedRequest): AuditRecord => this.factory.fromCaptured(c);
    this.hooks.addResponseListener((request, reply) => {
      const claimed = this.claim(request, reply);
      if (!claimed) return;
      const captured = this.factory.capture(request, reply, claimed.pending, claimed.path);
      this.writer.enqueueDeferred(captured, build, captured.at);
    });
    if (this.config.env.AUDIT_WRITE_MODE !== 'sync') return;
    const fastify = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    fastify?.addHook('onSend', async (request, reply, payload) => {
      const claimed = this.claim(request, reply);
      if (claimed)
        await this.writer.enqueueDurable(this.factory.fromRequest(request, reply, claimed.pending, claimed.path));
      return payload;
    });
  }

  /** Decides once per request whether it is audited; the second hook to ask gets nothing. */
  private claim(request: FastifyRequest, reply: FastifyReply): { pending: PendingAudit; path: string } | undefined {
    const pending = pendingFor(request);
    if (pending.recorded) return undefined;
    const path = request.url.split('?', 1)[0];
    if (!shouldAudit(request.method, path, reply.statusCode, pending.action !== undefined)) return undefined;
    pending.recorded = true;
    return { pending, path };
  }
}
