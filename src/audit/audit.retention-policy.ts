const DAY_MS = 86_400_000;

/**
 * Retention per action, in days. Security events keep the default (AUDIT_RETENTION_DAYS, 7 years); routine
 * reads and operational noise are kept for a shorter, still audit-grade, period.
 */
const OVERRIDES: Record<string, number> = {
  DATA_READ: 400,
  HEALTH_CHECK_FAILED: 90,
  RATE_LIMITED: 400,
  SERVICE_STARTED: 400,
  SERVICE_STOPPED: 400,
};

const DATE_CACHE_LIMIT = 256;
/** `YYYY-MM-DD|days` -> the date `days` later: records of one day share a handful of retention dates. */
const dateCache = new Map<string, string>();

export function retentionUntil(action: string, occurredAt: Date, defaultDays: number, occurredIso?: string): string {
  const days = Math.min(OVERRIDES[action] ?? defaultDays, defaultDays);
  if (occurredIso === undefined || occurredIso.length !== 24)
    return new Date(occurredAt.getTime() + days * DAY_MS).toISOString();
  // Whole days in UTC keep the time of day, so only the date part needs computing (and it is cached).
  const key = `${occurredIso.slice(0, 10)}|${days}`;
  let date = dateCache.get(key);
  if (date === undefined) {
    const iso = new Date(Date.parse(`${occurredIso.slice(0, 10)}T00:00:00.000Z`) + days * DAY_MS).toISOString();
    // Past year 9999 the ISO form is longer; compute those (never seen in practice) the slow way.
    if (iso.length !== 24) return new Date(occurredAt.getTime() + days * DAY_MS).toISOString();
    date = iso.slice(0, 10);
    if (dateCache.size >= DATE_CACHE_LIMIT) dateCache.clear();
    dateCache.set(key, date);
  }
  return `${date}${occurredIso.slice(10)}`;
}
