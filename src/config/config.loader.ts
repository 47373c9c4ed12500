import { ENV_SCHEMA, type Env, type EnvKey } from './env.schema';

export class ConfigValidationError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigValidationError';
  }
}

/** Rules that make a configuration unsafe to run in production, each with the key it names. */
function productionProblems(env: Env): string[] {
  if (env.NODE_ENV !== 'production') return [];
  const problems: string[] = [];
  if (env.ENGINE_FAULT_ENABLE || env.ENGINE_FAULT_RATE > 0)
    problems.push('ENGINE_FAULT_ENABLE/ENGINE_FAULT_RATE: fault injection must be off in production');
  if (env.ADMIN_ROUTES_ENABLED && !env.ADMIN_API_KEY)
    problems.push('ADMIN_API_KEY: required in production while ADMIN_ROUTES_ENABLED=true');
  if (!env.DATABASE_URL && !env.ALLOW_PGLITE_IN_PRODUCTION)
    problems.push('DATABASE_URL: required in production (or set ALLOW_PGLITE_IN_PRODUCTION=true)');
  if (!env.AUDIT_REDACT) problems.push('AUDIT_REDACT: redaction may be disabled only outside production');
  return problems;
}

/**
 * A parser message for a secret key, with anything that could quote the value removed: quoted text, a
 * trailing "got ..." (e.g. the scheme of a URL whose userinfo was mistaken for one), the raw value itself.
 */
function secretSafe(error: string, raw: string | undefined): string {
  let safe = error.replace(/"[^"]*"/g, '"***"').replace(/,?\s*got\s.*$/s, '');
  const value = raw?.trim();
  if (value) safe = safe.split(value).join('***');
  return safe;
}

/**
 * Parses and validates the whole environment. Reports every offending key at once; never echoes the value
 * of a secret key in a message.
 */
export function loadEnv(source: Readonly<Record<string, string | undefined>>): Env {
  const problems: string[] = [];
  const values: Record<string, unknown> = {};
  for (const key of Object.keys(ENV_SCHEMA) as EnvKey[]) {
    const spec = ENV_SCHEMA[key];
    const result = spec.parse(source[key]);
    if (result.ok) values[key] = result.value;
    else problems.push(`${key}: ${spec.secret ? secretSafe(result.error, source[key]) : result.error}`);
  }
  if (problems.length) throw new ConfigValidationError(problems);
  const env = Object.freeze(values) as Env;
  const unsafe = productionProblems(env);
  if (unsafe.length) throw new ConfigValidationError(unsafe);
  return env;
}
