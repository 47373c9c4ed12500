import { AsyncLocalStorage } from 'node:async_hooks';
import { uuidv7 } from './uuid7';

export interface Principal {
  keyId: string;
  role: 'client' | 'auditor' | 'admin';
  tenantId: string;
  name: string;
}

export interface RequestContext {
  readonly correlationId: string;
  principal?: Principal;
}

const storage = new AsyncLocalStorage<RequestContext>();

/** Runs `fn` with a request context; everything it awaits sees the same correlation id. */
export function runWithContext<T>(context: RequestContext, fn: () => T): T {
  return storage.run(context, fn);
}

export function currentContext(): RequestContext | undefined {
  return storage.getStore();
}

export function currentCorrelationId(): string | undefined {
  return storage.getStore()?.correlationId;
}

const SANE_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/**
 * Accepts a caller's X-Request-Id when it is a single, short, printable token; anything else (missing,
 * duplicated, too long, odd characters that could forge log lines) is replaced by a fresh UUID. Generated ids are
 * UUIDv7 (time-ordered), so the audit trail's correlation index grows at its right edge instead of at random pages.
 */
export function resolveCorrelationId(header: string | string[] | undefined): string {
  return typeof header === 'string' && SANE_ID.test(header) ? header : uuidv7();
}
