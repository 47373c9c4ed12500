import { ConfigValidationError, loadEnv } from './config.loader';
import { ENV_SCHEMA } from './env.schema';

const ADMIN_KEY = 'prod-admin-key-0123456789abcdefghijklmnop';
const SAFE_PRODUCTION = {
  NODE_ENV: 'production',
  DATABASE_URL: 'postgres://bulwark@db:5432/bulwark',
  ADMIN_API_KEY: ADMIN_KEY,
};

function rejection(source: Record<string, string | undefined>): ConfigValidationError {
  try {
    loadEnv(source);
  } catch (err) {
    if (err instanceof ConfigValidationError) return err;
    throw err;
  }
  throw new Error('expected loadEnv to reject the configuration');
}

describe(loadEnv.name, () => {
  it('applies every schema default to an empty environment', () => {
    const env = loadEnv({});
    expect(env.PORT).toBe(3000);
    expect(env.NODE_ENV).toBe('development');
    expect(env.BODY_LIMIT).toBe(1_048_576);
    expect(env.SHUTDOWN_TIMEOUT_MS).toBe(30_000);
    expect(env.ADMIN_ROUTES_ENABLED).toBe(true);
    expect(env.ADMIN_API_KEY).toBeUndefined();
    expect(env.DATABASE_URL).toBeUndefined();
    expect(Object.keys(env).sort()).toEqual(Object.keys(ENV_SCHEMA).sort());
  });

  it('returns a frozen object with typed values', () => {
    const env = loadEnv({ PORT: '8080', DB_MIGRATE_ON_BOOT: 'false', ENGINE_FAULT_RATE: '0.5' });
    expect(env.PORT).toBe(8080);
    expect(env.DB_MIGRATE_ON_BOOT).toBe(false);
    expect(env.ENGINE_FAULT_RATE).toBe(0.5);
    expect(Object.isFrozen(env)).toBe(true);
  });

  it('ignores variables the schema does not declare', () => {
    expect(loadEnv({ SOMETHING_ELSE: 'x', PATH: '/usr/bin' })).not.toHaveProperty('SOMETHING_ELSE');
  });

  it('lists every offending key at once', () => {
    const err = rejection({
      PORT: 'eighty',
      NODE_ENV: 'staging',
      LOG_LEVEL: 'loud',
      BODY_LIMIT: '10',
      DB_MIGRATE_ON_BOOT: 'maybe',
      ENGINE_FAULT_RATE: '2',
    });
    const keys = err.problems.map((p) => p.split(':', 1)[0]).sort();
    expect(keys).toEqual(['BODY_LIMIT', 'DB_MIGRATE_ON_BOOT', 'ENGINE_FAULT_RATE', 'LOG_LEVEL', 'NODE_ENV', 'PORT']);
    for (const key of keys) expect(err.message).toContain(`  - ${key}: `);
    expect(err.name).toBe('ConfigValidationError');
  });

  it('names the offending value of a non-secret key so the operator can fix it', () => {
    expect(rejection({ PORT: 'eighty' }).problems).toEqual(['PORT: must be an integer, got "eighty"']);
  });

  describe('secret values', () => {
    it.each([
      ['ADMIN_API_KEY', 'hunter2-too-short'],
      ['ADMIN_API_KEY', `${'hunter2'.repeat(6)} with spaces`],
      ['DATABASE_URL', 'hunter2 is not a url'],
      ['DATABASE_URL', 'mysql://root:hunter2@db/app'],
      ['DATABASE_URL', 'hunter2:hunter2@db:5432/app'],
    ])('never echoes the value of %s in a rejection', (key, raw) => {
      const err = rejection({ [key]: raw });
      expect(err.problems).toHaveLength(1);
      expect(err.problems[0].startsWith(`${key}: `)).toBe(true);
      expect(err.message).not.toContain('hunter2');
    });

    it('never echoes a secret when it is reported alongside other problems', () => {
      const err = rejection({ ADMIN_API_KEY: 'hunter2', PORT: '-5' });
      expect(err.problems).toHaveLength(2);
      expect(err.message).not.toContain('hunter2');
    });
  });

  describe('production rules', () => {
    it('accepts a safe production configuration', () => {
      const env = loadEnv(SAFE_PRODUCTION);
      expect(env.NODE_ENV).toBe('production');
      expect(env.ADMIN_API_KEY).toBe(ADMIN_KEY);
    });

    it('refuses fault injection enabled by flag', () => {
      const err = rejection({ ...SAFE_PRODUCTION, ENGINE_FAULT_ENABLE: 'true' });
      expect(err.problems).toEqual([expect.stringMatching(/^ENGINE_FAULT_ENABLE.*must be off in production/)]);
    });

    it('refuses fault injection enabled by a non-zero rate', () => {
      const err = rejection({ ...SAFE_PRODUCTION, ENGINE_FAULT_RATE: '0.01' });
      expect(err.problems).toEqual([expect.stringContaining('ENGINE_FAULT_RATE')]);
    });

    it('refuses admin routes without an admin key', () => {
      const err = rejection({ ...SAFE_PRODUCTION, ADMIN_API_KEY: undefined });
      expect(err.problems).toEqual([expect.stringMatching(/^ADMIN_API_KEY: required in production/)]);
    });

    it('allows a missing admin key when admin routes are disabled', () => {
      const env = loadEnv({ ...SAFE_PRODUCTION, ADMIN_API_KEY: undefined, ADMIN_ROUTES_ENABLED: 'false' });
      expect(env.ADMIN_API_KEY).toBeUndefined();
    });

    it('refuses the embedded PGlite default unless explicitly allowed', () => {
      const err = rejection({ ...SAFE_PRODUCTION, DATABASE_URL: undefined });
      expect(err.problems).toEqual([expect.stringMatching(/^DATABASE_URL: .*ALLOW_PGLITE_IN_PRODUCTION=true/)]);
      const env = loadEnv({ ...SAFE_PRODUCTION, DATABASE_URL: undefined, ALLOW_PGLITE_IN_PRODUCTION: 'true' });
      expect(env.DATABASE_URL).toBeUndefined();
    });

    it('refuses disabled audit redaction', () => {
      const err = rejection({ ...SAFE_PRODUCTION, AUDIT_REDACT: 'false' });
      expect(err.problems).toEqual([expect.stringMatching(/^AUDIT_REDACT: /)]);
    });

    it('lists every broken production rule at once', () => {
      const err = rejection({ NODE_ENV: 'production', ENGINE_FAULT_ENABLE: 'true', AUDIT_REDACT: 'false' });
      expect(err.problems.map((p) => p.split(/[:/]/, 1)[0]).sort()).toEqual([
        'ADMIN_API_KEY',
        'AUDIT_REDACT',
        'DATABASE_URL',
        'ENGINE_FAULT_ENABLE',
      ]);
    });

    it('applies none of these rules outside production', () => {
      for (const NODE_ENV of ['development', 'test']) {
        const env = loadEnv({ NODE_ENV, ENGINE_FAULT_ENABLE: 'true', ENGINE_FAULT_RATE: '1', AUDIT_REDACT: 'false' });
        expect(env.ENGINE_FAULT_ENABLE).toBe(true);
        expect(env.AUDIT_REDACT).toBe(false);
      }
    });
  });
});
