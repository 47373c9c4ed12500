import type { Outcome } from './audit.types';

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** Probes, scrapes and documentation are high-volume and carry no security-relevant action. */
const EXCLUDED = /^\/(?:health|metrics|docs)(?:[/?#-]|$)/;
const ADMIN = /^\/api\/admin(?:[/?#]|$)/;

export function isExcludedPath(path: string): boolean {
  return EXCLUDED.test(path);
}

export function isAdminPath(path: string): boolean {
  return ADMIN.test(path);
}

/**
 * The request classes that must leave exactly one record: mutating methods, admin routes (reads included),
 * 401/403/429 and 5xx. `hasDomainEvent` covers handlers that report an event on an otherwise silent route.
 */
export function shouldAudit(method: string, path: string, status: number, hasDomainEvent: boolean): boolean {
  if (isExcludedPath(path)) return false;
  return (
    hasDomainEvent ||
    MUTATING.has(method) ||
    isAdminPath(path) ||
    status === 401 ||
    status === 403 ||
    status === 429 ||
    status >= 500
  );
}

export function outcomeFor(status: number): Outcome {
  if (status === 401 || status === 403 || status === 429) return 'denied';
  if (status >= 400) return 'failure';
  return 'success';
}

/** The action of a request no handler named: what happened to it, in the domain vocabulary. */
export function defaultAction(method: string, status: number): string {
  if (status === 401) return 'LOGIN_FAILURE';
  if (status === 403) return 'ACCESS_DENIED';
  if (status === 429) return 'RATE_LIMITED';
  if (method === 'DELETE') return 'DATA_DELETE';
  if (MUTATING.has(method)) return 'DATA_WRITE';
  if (status >= 500) return 'REQUEST_FAILED';
  return 'DATA_READ';
}
