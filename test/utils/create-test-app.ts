import { Test } from '@nestjs/testing';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { rm } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { AppModule } from '../../src/app.module';
import { configureApp, createFastifyAdapter } from '../../src/app.setup';
import { AppConfig } from '../../src/config/app.config';
import { createRootLogger, ROOT_LOGGER } from '../../src/observability/logger.factory';
import { adminUrl, createTestDatabase, type TestDatabase } from './test-database';

export const TEST_ADMIN_KEY = 'test-admin-key-0123456789abcdefghijklmnop';

export interface TestApp {
  app: NestFastifyApplication;
  fastify: FastifyInstance;
  config: AppConfig;
  adminKey: string;
  /** JSON log lines written by the app, when created with captureLogs. */
  logs: Array<Record<string, unknown>>;
  /** Database URL of this app's own database (undefined on PGlite). */
  databaseUrl: string | undefined;
  inject(options: InjectOptions): Promise<LightMyRequestResponse>;
  /** Shorthand for a request with the admin key. */
  asAdmin(options: InjectOptions): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export interface TestAppOptions {
  env?: Record<string, string>;
  captureLogs?: boolean;
  /** Reuse a database created earlier (e.g. to restart an app on the same data). */
  database?: TestDatabase;
}

/**
 * Boots the real AppModule the way main.ts does (same adapter, hooks, pipeline), on this file's own
 * database: a clone of the migrated template when TEST_DATABASE_URL is set, in-memory PGlite otherwise.
 */
export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp & { database?: TestDatabase }> {
  const spoolDir = `.data/test-spool/${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`;
  const env = (databaseUrl: string): Record<string, string> => ({
    NODE_ENV: 'test',
    LOG_LEVEL: options.captureLogs ? 'info' : 'silent',
    ADMIN_API_KEY: TEST_ADMIN_KEY,
    SHUTDOWN_DRAIN_MS: '0',
    DATABASE_URL: databaseUrl,
    PGLITE_DIR: 'memory://',
    AUDIT_SPOOL_DIR: spoolDir,
    ...options.env,
  });
  // Validate first: a configuration the test expects to be rejected must not leave a cloned database behind.
  AppConfig.withOverrides(env(adminUrl() ? 'postgres://validate.invalid/x' : ''));
  const database = options.database ?? (await createTestDatabase());
  const ownsDatabase = !options.database && database !== undefined;
  const config = AppConfig.withOverrides(env(database?.url ?? ''));
  const ownsSpool = config.env.AUDIT_SPOOL_DIR === spoolDir;
  const logs: Array<Record<string, unknown>> = [];
  let builder = Test.createTestingModule({ imports: [AppModule] })
    .overrideProvider(AppConfig)
    .useValue(config);
  if (options.captureLogs) {
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) logs.push(JSON.parse(line));
        done();
      },
    });
    builder = builder.overrideProvider(ROOT_LOGGER).useValue(createRootLogger(config, sink));
  }
  let app: NestFastifyApplication;
  try {
    const moduleRef = await builder.compile();
    app = moduleRef.createNestApplication<NestFastifyApplication>(createFastifyAdapter(config), {
      bodyParser: false,
      logger: false,
    });
    configureApp(app);
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  } catch (err) {
    if (ownsDatabase) await database!.drop();
    throw err;
  }
  const fastify = app.getHttpAdapter().getInstance();
  let closed = false;
  return {
    app,
    fastify,
    config,
    adminKey: TEST_ADMIN_KEY,
    logs,
    database,
    databaseUrl: database?.url,
    inject: (o) => fastify.inject(o),
    asAdmin: (o) => fastify.inject({ ...o, headers: { 'x-api-key': TEST_ADMIN_KEY, ...(o.headers ?? {}) } }),
    async close() {
      if (closed) return;
      closed = true;
      await app.close();
      if (ownsDatabase) await database!.drop();
      if (ownsSpool) await rm(spoolDir, { recursive: true, force: true });
    },
  };
}
