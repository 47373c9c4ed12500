import { loadEnv } from './config.loader';
import type { Env } from './env.schema';

export type DatabaseTarget =
  | { kind: 'postgres'; url: string; poolMax: number; statementTimeoutMs: number; connectTimeoutMs: number }
  | { kind: 'pglite'; dataDir: string };

/**
 * Typed, validated configuration. The only reader of `process.env` in the application; everything else
 * injects this class.
 */
export class AppConfig {
  constructor(readonly env: Env) {}

  static fromProcessEnv(): AppConfig {
    return new AppConfig(loadEnv(process.env));
  }

  /** For tests and tools: the process environment with overrides applied, validated the same way. */
  static withOverrides(overrides: Readonly<Record<string, string | undefined>>): AppConfig {
    return new AppConfig(loadEnv({ ...process.env, ...overrides }));
  }

  get isProduction(): boolean {
    return this.env.NODE_ENV === 'production';
  }

  get isTest(): boolean {
    return this.env.NODE_ENV === 'test';
  }

  get database(): DatabaseTarget {
    const e = this.env;
    if (e.DATABASE_URL)
      return {
        kind: 'postgres',
        url: e.DATABASE_URL,
        poolMax: e.DB_POOL_MAX,
        statementTimeoutMs: e.DB_STATEMENT_TIMEOUT_MS,
        connectTimeoutMs: e.DB_CONNECT_TIMEOUT_MS,
      };
    return { kind: 'pglite', dataDir: e.PGLITE_DIR };
  }
}
