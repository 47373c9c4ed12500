import { Controller, Get, HttpException, Module, Post } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { DataSource } from 'typeorm';
import { AppModule } from '../../src/app.module';
import { configureApp, createFastifyAdapter } from '../../src/app.setup';
import { AuditWriter } from '../../src/audit/audit.writer';
import { AppConfig } from '../../src/config/app.config';
import { TEST_ADMIN_KEY, type TestApp } from '../utils/create-test-app';
import { createTestDatabase, type TestDatabase } from '../utils/test-database';
import { register } from 'prom-client';

/** Routes that only tests need: a handler that fails with 500 and one that answers 429 like a rate limiter. */
@Controller('api/audit-test')
class AuditTestController {
  @Get('boom')
  boom(): never {
    throw new Error('database exploded: postgres://app:hunter2@db/prod');
  }

  @Post('limited')
  limited(): never {
    throw new HttpException('Too Many Requests', 429);
  }

  @Get('ok')
  ok(): { ok: true } {
    return { ok: true };
  }
}

@Module({ controllers: [AuditTestController] })
class AuditTestRoutesModule {}

/** Like createTestApp, plus the test-only routes above (the real AppModule and pipeline otherwise). */
export async function createAuditTestApp(
  options: { env?: Record<string, string>; database?: TestDatabase } = {},
): Promise<Pick<TestApp, 'app' | 'inject' | 'asAdmin' | 'close'> & { database?: TestDatabase }> {
  const database = options.database ?? (await createTestDatabase());
  const owns = !options.database && database !== undefined;
  const config = AppConfig.withOverrides({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    ADMIN_API_KEY: TEST_ADMIN_KEY,
    SHUTDOWN_DRAIN_MS: '0',
    DATABASE_URL: database?.url ?? '',
    PGLITE_DIR: 'memory://',
    AUDIT_SPOOL_DIR: `.data/test-spool/${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`,
    ...options.env,
  });
  const moduleRef = await Test.createTestingModule({ imports: [AppModule, AuditTestRoutesModule] })
    .overrideProvider(AppConfig)
    .useValue(config)
    .compile();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(createFastifyAdapter(config), {
    bodyParser: false,
    logger: false,
  });
  configureApp(app);
  await app.init();
  const fastify = app.getHttpAdapter().getInstance();
  await fastify.ready();
  return {
    app,
    database,
    inject: (o) => fastify.inject(o),
    asAdmin: (o) => fastify.inject({ ...o, headers: { 'x-api-key': TEST_ADMIN_KEY, ...(o.headers ?? {}) } }),
    async close() {
      await app.close();
      if (owns) await database!.drop();
    },
  };
}

export interface AuditRow {
  seq: string;
  action: string;
  outcome: string;
  actor_type: string;
  actor_id: string | null;
  tenant_id: string | null;
  entity_type: string | null;
  entity_id: string | null;
  changes: unknown;
  details: unknown;
  ip_address: string | null;
  correlation_id: string | null;
  request_path: string | null;
  route: string | null;
  http_method: string | null;
  status_code: number | null;
}

/** Flushes the writer, then reads audit rows straight from the table (chain order). */
export async function auditRows(
  t: { app: NestFastifyApplication },
  where = 'TRUE',
  params: unknown[] = [],
): Promise<AuditRow[]> {
  await t.app.get(AuditWriter).flush();
  return (await t.app.get(DataSource).query(
    `SELECT seq::text AS seq, action, outcome, actor_type, actor_id, tenant_id, entity_type, entity_id, changes,
              details, host(ip_address) AS ip_address, correlation_id, request_path, route, http_method, status_code
         FROM audit_log WHERE ${where} ORDER BY audit_log.seq`,
    params,
  )) as AuditRow[];
}

export async function rowsFor(t: { app: NestFastifyApplication }, correlationId: string): Promise<AuditRow[]> {
  return auditRows(t, 'correlation_id = $1', [correlationId]);
}

/**
 * A test app whose writer writes batches of 20 and otherwise waits a second (tests flush), with its start-up records
 * already written: a burst of records then goes out in known batches.
 */
export async function createBatchingAuditTestApp(): ReturnType<typeof createAuditTestApp> {
  const t = await createAuditTestApp({ env: { AUDIT_BATCH_SIZE: '20', AUDIT_FLUSH_MS: '1000' } });
  await t.app.get(AuditWriter).flush();
  return t;
}

/** Current value of a counter (summed over series matching `labels`) in the process-global registry; compare deltas. */
export async function counterValue(name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = register.getSingleMetric(name);
  if (!metric) return 0;
  const { values } = await metric.get();
  return values
    .filter((v) => Object.entries(labels).every(([k, want]) => String(v.labels[k]) === want))
    .reduce((sum, v) => sum + v.value, 0);
}

let seq = 0;
export function rid(prefix = 'req'): string {
  return `${prefix}-${process.pid}-${Date.now()}-${seq++}`;
}
