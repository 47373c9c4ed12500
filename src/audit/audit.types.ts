/** Actions with a meaning of their own; automatic HTTP records use the same vocabulary. */
export const AUDIT_ACTIONS = [
  'LOGIN_SUCCESS',
  'LOGIN_FAILURE',
  'ACCESS_DENIED',
  'RATE_LIMITED',
  'API_KEY_CREATED',
  'API_KEY_REVOKED',
  'DATA_READ',
  'DATA_WRITE',
  'DATA_DELETE',
  'DATA_EXPORT',
  'CONFIG_UPDATED',
  'RETENTION_RUN',
  'LEGAL_HOLD_SET',
  'LEGAL_HOLD_CLEARED',
  'SERVICE_STARTED',
  'SERVICE_STOPPED',
  'HEALTH_CHECK_FAILED',
  'REQUEST_FAILED',
] as const;
export type KnownAuditAction = (typeof AUDIT_ACTIONS)[number];

export const ACTOR_TYPES = ['user', 'api_key', 'service', 'anonymous'] as const;
export type ActorType = (typeof ACTOR_TYPES)[number];

export const OUTCOMES = ['success', 'failure', 'denied', 'partial'] as const;
export type Outcome = (typeof OUTCOMES)[number];

/**
 * One audit row before the chain fields (seq, prev_hash, hash) are assigned by the writer. Every value is
 * already redacted, bounded and JSON-clean: this exact object is spooled, hashed and inserted.
 */
export interface AuditRecord {
  id: string;
  occurred_at: string;
  tenant_id: string | null;
  actor_type: ActorType;
  actor_id: string | null;
  action: string;
  outcome: Outcome;
  entity_type: string | null;
  entity_id: string | null;
  changes: unknown;
  details: unknown;
  ip_address: string | null;
  user_agent: string | null;
  correlation_id: string | null;
  session_id_hash: string | null;
  request_path: string | null;
  route: string | null;
  http_method: string | null;
  status_code: number | null;
  duration_ms: number | null;
  retention_until: string;
}

/** A record with its place in the chain, as stored. */
export interface ChainedRecord extends AuditRecord {
  seq: string;
  prev_hash: string;
  hash: string;
}

/** The record's own columns, in table order (the chain columns seq, prev_hash and hash are assigned by the writer). */
export const AUDIT_RECORD_COLUMNS = [
  'id',
  'occurred_at',
  'tenant_id',
  'actor_type',
  'actor_id',
  'action',
  'outcome',
  'entity_type',
  'entity_id',
  'changes',
  'details',
  'ip_address',
  'user_agent',
  'correlation_id',
  'session_id_hash',
  'request_path',
  'route',
  'http_method',
  'status_code',
  'duration_ms',
  'retention_until',
] as const satisfies ReadonlyArray<keyof AuditRecord>;

/** Where each record column sits in AUDIT_RECORD_COLUMNS (the order of encoded values and of COPY fields). */
export const AUDIT_COLUMN_INDEX = Object.fromEntries(AUDIT_RECORD_COLUMNS.map((c, i) => [c, i])) as Record<
  keyof AuditRecord,
  number
>;
