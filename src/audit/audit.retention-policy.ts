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

export function retentionUntil(action: string, occurredAt: Date, defaultDays: number): string {
  const days = Math.min(OVERRIDES[action] ?? defaultDays, defaultDays);
  return new Date(occurredAt.getTime() + days * DAY_MS).toISOString();
}
