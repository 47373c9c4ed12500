import { bool, int, list, num, oneOf, optionalStr, optionalUrl, str, trustProxy, type EnvField } from './env.fields';

/**
 * The one environment schema. Every variable the service reads is declared here, with its default and a
 * one-line meaning; `.env.example` is checked against this list by a unit test so the two cannot drift.
 */
export const ENV_SCHEMA = {
  NODE_ENV: oneOf(['development', 'test', 'production'], 'development', { doc: 'Runtime environment.' }),
  PORT: int(3000, { min: 0, max: 65535, doc: 'HTTP port to listen on.' }),
  HOST: str('0.0.0.0', { doc: 'Interface to bind.', maxLength: 255 }),
  LOG_LEVEL: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info', {
    doc: 'Minimum log level (pino).',
  }),
  BODY_LIMIT: int(1_048_576, { min: 1024, max: 100 * 1_048_576, doc: 'Largest accepted request body, in bytes.' }),
  TRUST_PROXY: trustProxy({
    doc: 'Proxies whose X-Forwarded-For is trusted: false, true, a hop count, or a comma list of IPs/CIDRs.',
  }),

  DATABASE_URL: optionalUrl(['postgres:', 'postgresql:'], {
    doc: 'PostgreSQL URL. Unset: embedded PGlite under PGLITE_DIR.',
    secret: true,
  }),
  PGLITE_DIR: str('.data/pglite', { doc: 'PGlite data directory, or memory:// for an in-memory database.' }),
  ALLOW_PGLITE_IN_PRODUCTION: bool(false, { doc: 'Allow the embedded PGlite database when NODE_ENV=production.' }),
  DB_POOL_MAX: int(10, { min: 1, max: 500, doc: 'Maximum PostgreSQL pool connections.' }),
  DB_STATEMENT_TIMEOUT_MS: int(15_000, { min: 0, max: 3_600_000, doc: 'Per-statement timeout (0 disables).' }),
  DB_CONNECT_TIMEOUT_MS: int(5_000, { min: 100, max: 120_000, doc: 'Timeout for opening a pool connection.' }),
  DB_MIGRATE_ON_BOOT: bool(true, {
    doc: 'Run pending migrations at boot under an advisory lock (use false + a migration job in Kubernetes).',
  }),
  DB_APPLICATION_NAME: str('bulwark', { doc: 'application_name reported to PostgreSQL.', maxLength: 63 }),

  SHUTDOWN_DRAIN_MS: int(5_000, {
    min: 0,
    max: 600_000,
    doc: 'After SIGTERM, time readiness reports 503 before the listener closes.',
  }),
  SHUTDOWN_TIMEOUT_MS: int(30_000, { min: 1_000, max: 600_000, doc: 'Hard exit (non-zero) if shutdown takes longer.' }),
  HEALTH_DB_TIMEOUT_MS: int(1_000, { min: 50, max: 60_000, doc: 'Timeout of the readiness database ping.' }),
  HEALTH_HEAP_LIMIT_MB: int(1_536, { min: 16, max: 65_536, doc: 'Heap size above which /health reports memory down.' }),

  ADMIN_API_KEY: optionalStr({
    minLength: 32,
    pattern: /^[\x21-\x7e]+$/,
    doc: 'Bootstrap admin API key (>= 32 printable chars). Unset outside production: one is generated at boot.',
    secret: true,
  }),
  ADMIN_ROUTES_ENABLED: bool(true, { doc: 'Serve /api/admin/* routes (false: they answer 404).' }),
  AUTH_CACHE_TTL_MS: int(30_000, {
    min: 0,
    max: 3_600_000,
    doc: 'How long a verified API key is cached in memory (0 disables; revocation elsewhere waits this long).',
  }),

  ENGINE_GUARD_ENABLED: bool(true, { doc: 'Replace NaN/Infinity in responses.' }),
  ENGINE_GUARD_MODE: oneOf(['null', 'string', 'error'], 'null', {
    doc: 'null: write null; string: write "NaN"/"Infinity"; error: answer 500 naming the paths.',
  }),
  ENGINE_GUARD_MAX_DEPTH: int(64, { min: 1, max: 10_000, doc: 'Deepest nesting the guard walks before falling back.' }),
  ENGINE_GUARD_MAX_NODES: int(100_000, {
    min: 1,
    max: 100_000_000,
    doc: 'Most values the guard walks before falling back.',
  }),
  ENGINE_FAULT_ENABLE: bool(false, { doc: 'Inject faults into engine results (never allowed in production).' }),
  ENGINE_FAULT_RATE: num(0, { min: 0, max: 1, doc: 'Probability that an engine call gets a fault.' }),
  ENGINE_FAULT_SEED: int(1337, { min: 0, max: 4_294_967_295, doc: 'Seed of the fault generator (Mulberry32).' }),
  ENGINE_FAULT_TARGET_KEYS: list('irr,moic,tvpi,dpi,percentiles.p50,percentiles.p95', {
    item: /^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$/,
    doc: 'Comma list of result paths faults may hit.',
  }),
  CALC_MAX_SIMULATIONS: int(100_000, { min: 1, max: 1_000_000, doc: 'Upper bound on Monte Carlo simulations.' }),

  AUDIT_ENABLED: bool(true, { doc: 'Record the audit trail.' }),
  AUDIT_REDACT: bool(true, {
    doc: 'Redact secrets and personal data in audit rows and logs (required in production).',
  }),
  AUDIT_REDACT_EXTRA_FIELDS: list('', { item: /^[A-Za-z0-9_.-]+$/, doc: 'Extra field names to redact.' }),
  AUDIT_WRITE_MODE: oneOf(['async', 'sync'], 'async', { doc: 'async: batched writer; sync: write before responding.' }),
  AUDIT_BATCH_SIZE: int(500, { min: 1, max: 10_000, doc: 'Records per audit insert batch.' }),
  AUDIT_FLUSH_MS: int(50, { min: 1, max: 60_000, doc: 'Longest a record waits before a flush.' }),
  AUDIT_MAX_QUEUE: int(50_000, {
    min: 10,
    max: 10_000_000,
    doc: 'In-memory queue bound; past the high-water mark records spool.',
  }),
  AUDIT_SPOOL_DIR: str('.data/audit-spool', { doc: 'Directory of the on-disk audit spool.' }),
  AUDIT_RETENTION_DAYS: int(2557, { min: 1, max: 36_500, doc: 'Default retention of audit rows (7 years).' }),
  AUDIT_DEGRADED_BACKLOG: int(10_000, {
    min: 1,
    max: 10_000_000,
    doc: 'Backlog above which audit health is degraded.',
  }),
  AUDIT_DEGRADED_AGE_S: int(60, { min: 1, max: 86_400, doc: 'Oldest unwritten record age (s) that degrades health.' }),
} satisfies Record<string, EnvField<unknown>>;

type Schema = typeof ENV_SCHEMA;
export type Env = { readonly [K in keyof Schema]: Schema[K] extends EnvField<infer T> ? T : never };
export type EnvKey = keyof Schema;
