import { DataSource } from 'typeorm';
import { HealthController } from '../../src/health/health.controller';
import { HealthRegistry } from '../../src/health/health.registry';
import { LifecycleState } from '../../src/health/lifecycle.state';
import { MIGRATIONS_TABLE } from '../../src/database/database.options';
import { runMigrations } from '../../src/database/migration.runner';
import { createTestApp, type TestApp } from '../utils/create-test-app';

interface HealthBody {
  status: 'ok' | 'error';
  info?: Record<string, { status: string; [k: string]: unknown }>;
  error?: Record<string, { status: string; [k: string]: unknown }>;
  details: Record<string, { status: string; [k: string]: unknown }>;
}

describe(HealthController.name, () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });

  afterAll(async () => {
    await t?.close();
  });

  it('answers liveness 200 without a key, and ignores a bad one', async () => {
    for (const headers of [{}, { 'x-api-key': 'not-a-key' }]) {
      const res = await t.inject({ method: 'GET', url: '/health/live', headers });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ status: 'ok' });
    }
  });

  it('answers readiness 200 with lifecycle, database and migrations up, without a key', async () => {
    const res = await t.inject({ method: 'GET', url: '/health/ready', headers: { authorization: 'Bearer junk' } });
    expect(res.statusCode).toBe(200);
    const body = res.json<HealthBody>();
    expect(body.status).toBe('ok');
    expect(body.details).toMatchObject({
      lifecycle: { status: 'up' },
      database: { status: 'up', latencyMs: expect.any(Number) },
      migrations: { status: 'up' },
    });
    expect(body.details).not.toHaveProperty('memory_heap');
  });

  it('shows every indicator in the detailed view, memory included', async () => {
    const res = await t.inject({ method: 'GET', url: '/health' });
    expect(res.statusCode).toBe(200);
    expect(res.json<HealthBody>().details).toMatchObject({
      lifecycle: { status: 'up' },
      database: { status: 'up', latencyMs: expect.any(Number) },
      migrations: { status: 'up' },
      memory_heap: { status: 'up' },
    });
  });

  it('reports indicators other modules register, in readiness only when they ask for it', async () => {
    const registry = t.app.get(HealthRegistry);
    let up = true;
    const check = (name: string) => () => ({ [name]: { status: up ? ('up' as const) : ('down' as const) } });
    registry.register({ name: 'probe_ready', readiness: true, check: check('probe_ready') });
    registry.register({ name: 'probe_detail', readiness: false, check: check('probe_detail') });
    expect(() => registry.register({ name: 'probe_ready', readiness: true, check: check('probe_ready') })).toThrow(
      /registered twice/,
    );
    try {
      expect((await t.inject({ method: 'GET', url: '/health' })).json<HealthBody>().details).toMatchObject({
        probe_ready: { status: 'up' },
        probe_detail: { status: 'up' },
      });
      up = false;
      const ready = await t.inject({ method: 'GET', url: '/health/ready' });
      expect(ready.statusCode).toBe(503);
      expect(ready.json<HealthBody>().error).toEqual({ probe_ready: { status: 'down' } });
      const detailed = await t.inject({ method: 'GET', url: '/health' });
      expect(detailed.statusCode).toBe(503);
      expect(Object.keys(detailed.json<HealthBody>().error!).sort()).toEqual(['probe_detail', 'probe_ready']);
    } finally {
      up = true;
    }
    expect((await t.inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(200);
  });
});

describe('readiness when shutting down or not migrated', () => {
  it('answers readiness 503 once draining begins, while liveness stays 200', async () => {
    const t = await createTestApp();
    try {
      expect((await t.inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(200);
      t.app.get(LifecycleState).beginDraining();
      const res = await t.inject({ method: 'GET', url: '/health/ready' });
      expect(res.statusCode).toBe(503);
      expect(res.json<HealthBody>()).toMatchObject({
        status: 'error',
        error: { lifecycle: { status: 'down', message: 'shutting down' } },
      });
      expect((await t.inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
    } finally {
      await t.close();
    }
  });

  it('answers readiness 503 with migrations down while a migration is pending', async () => {
    const t = await createTestApp();
    try {
      // The database looks like one on which the newest migration has not run yet.
      await t.app
        .get(DataSource)
        .query(
          `DELETE FROM "${MIGRATIONS_TABLE}" WHERE timestamp = (SELECT max(timestamp) FROM "${MIGRATIONS_TABLE}")`,
        );
      const res = await t.inject({ method: 'GET', url: '/health/ready' });
      expect(res.statusCode).toBe(503);
      expect(res.json<HealthBody>()).toMatchObject({
        status: 'error',
        error: { migrations: { status: 'down', message: 'pending migrations' } },
        details: { database: { status: 'up' }, lifecycle: { status: 'up' } },
      });
    } finally {
      await t.close();
    }
  });

  it('boots on an empty database with DB_MIGRATE_ON_BOOT=false and reports migrations down until they run', async () => {
    const t = await createTestApp({ env: { DB_MIGRATE_ON_BOOT: 'false', DATABASE_URL: '', PGLITE_DIR: 'memory://' } });
    try {
      expect((await t.inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
      const res = await t.inject({ method: 'GET', url: '/health/ready' });
      expect(res.statusCode).toBe(503);
      expect(res.json<HealthBody>().error).toMatchObject({ migrations: { status: 'down' } });

      // The migration job runs; readiness recovers and the bootstrap admin key starts working.
      await runMigrations(t.app.get(DataSource));
      expect((await t.inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(200);
      expect((await t.asAdmin({ method: 'GET', url: '/api/admin/api-keys' })).statusCode).toBe(200);
    } finally {
      await t.close();
    }
  });

  it('answers readiness 503 with database down when the database is unreachable', async () => {
    const t = await createTestApp({ env: { HEALTH_DB_TIMEOUT_MS: '500' } });
    const db = t.app.get(DataSource);
    try {
      await db.destroy();
      const res = await t.inject({ method: 'GET', url: '/health/ready' });
      expect(res.statusCode).toBe(503);
      expect(res.json<HealthBody>().error).toMatchObject({ database: { status: 'down' } });
      expect((await t.inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
    } finally {
      await db.initialize();
      await t.close();
    }
  });
});
