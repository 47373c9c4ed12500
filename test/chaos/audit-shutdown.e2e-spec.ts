import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { AuditWriter } from '../../src/audit/audit.writer';
import { gracefulShutdown } from '../../src/health/graceful-shutdown';
import { counterValue, createAuditTestApp, rid } from '../e2e/audit-helpers';
import { TEST_ADMIN_KEY } from '../utils/create-test-app';
import { adminUrl, createTestDatabase } from '../utils/test-database';
import { TcpProxy } from '../utils/tcp-proxy';

type App = Awaited<ReturnType<typeof createAuditTestApp>>;

const realPostgres = Boolean(adminUrl());
if (!realPostgres)
  console.log(
    '[audit shutdown] TEST_DATABASE_URL unset: the database-down-at-SIGTERM case is skipped (needs real PostgreSQL)',
  );
const itPg = realPostgres ? it : it.skip;

/** Sends n mutating requests (401s: no database needed to refuse them) and returns their correlation prefix. */
async function fill(t: App, n: number): Promise<string> {
  const prefix = rid('term');
  await Promise.all(
    Array.from({ length: n }, (_, i) =>
      t.inject({ method: 'POST', url: '/api/admin/api-keys', headers: { 'x-request-id': `${prefix}-${i}` } }),
    ),
  );
  return prefix;
}

async function count(t: App, prefix: string): Promise<number> {
  await t.app.get(AuditWriter).flush();
  const [{ n }] = (await t.app
    .get(DataSource)
    .query(
      `SELECT count(DISTINCT correlation_id)::int AS n, count(*)::int AS c FROM audit_log WHERE correlation_id LIKE $1`,
      [`${prefix}-%`],
    )) as Array<{ n: number; c: number }>;
  return n;
}

async function verifyOk(t: App): Promise<void> {
  const res = await t.inject({
    method: 'GET',
    url: '/api/admin/audit-logs/verify',
    headers: { 'x-api-key': TEST_ADMIN_KEY },
  });
  expect(res.json()).toMatchObject({ ok: true });
}

describe('audit on SIGTERM', () => {
  let spoolDir: string;
  beforeEach(() => {
    spoolDir = mkdtempSync(join(tmpdir(), 'bulwark-spool-'));
  });
  afterEach(() => rmSync(spoolDir, { recursive: true, force: true }));

  it('writes a full queue to the database before the process exits', async () => {
    const database = await createTestDatabase();
    const pgliteDir = database ? undefined : mkdtempSync(join(tmpdir(), 'bulwark-pglite-'));
    // A queue that would not flush on its own for a minute: only shutdown can write it.
    const env: Record<string, string> = {
      AUDIT_SPOOL_DIR: spoolDir,
      AUDIT_FLUSH_MS: '60000',
      AUDIT_BATCH_SIZE: '10000',
      ...(pgliteDir ? { PGLITE_DIR: pgliteDir } : {}),
    };
    const t = await createAuditTestApp({ database, env });
    let exitCode: number | undefined;
    try {
      const prefix = await fill(t, 400);
      expect(t.app.get(AuditWriter).stats().queued).toBeGreaterThanOrEqual(400);
      await gracefulShutdown(t.app, 'SIGTERM', { exit: (code) => (exitCode = code) });
      expect(exitCode).toBe(0);
      expect(readdirSync(spoolDir)).toEqual([]);
      const again = await createAuditTestApp({ database, env: { ...env, AUDIT_FLUSH_MS: '5' } });
      try {
        expect(await count(again, prefix)).toBe(400);
        const stopped = (await again.app
          .get(DataSource)
          .query(`SELECT 1 FROM audit_log WHERE action = 'SERVICE_STOPPED'`)) as unknown[];
        expect(stopped).toHaveLength(1);
        await verifyOk(again);
      } finally {
        await again.close();
      }
    } finally {
      await database?.drop();
      if (pgliteDir) rmSync(pgliteDir, { recursive: true, force: true });
    }
  });

  itPg('spools the queue when the database is down at SIGTERM and replays it after restart', async () => {
    const database = (await createTestDatabase())!;
    const { proxy, url } = await TcpProxy.forUrl(database.url);
    const env = {
      AUDIT_SPOOL_DIR: spoolDir,
      AUDIT_FLUSH_MS: '60000',
      AUDIT_BATCH_SIZE: '10000',
      DB_CONNECT_TIMEOUT_MS: '500',
    };
    const t = await createAuditTestApp({ database, env: { ...env, DATABASE_URL: url } });
    const droppedBefore = await counterValue('audit_dropped_total');
    try {
      const prefix = await fill(t, 400);
      proxy.cut();
      let exitCode: number | undefined;
      await gracefulShutdown(t.app, 'SIGTERM', { exit: (code) => (exitCode = code) });
      expect(exitCode).toBe(0);
      expect(readdirSync(spoolDir).length).toBeGreaterThan(0);
      proxy.restore();
      const again = await createAuditTestApp({ database, env: { ...env, AUDIT_FLUSH_MS: '5' } });
      try {
        expect(await count(again, prefix)).toBe(400);
        expect(readdirSync(spoolDir)).toEqual([]);
        await verifyOk(again);
        expect((await counterValue('audit_dropped_total')) - droppedBefore).toBe(0);
      } finally {
        await again.close();
      }
    } finally {
      await proxy.stop();
      await database.drop();
    }
  });

  it('spills to the spool past the high-water mark and loses nothing', async () => {
    const t = await createAuditTestApp({
      env: { AUDIT_SPOOL_DIR: spoolDir, AUDIT_MAX_QUEUE: '20', AUDIT_BATCH_SIZE: '5' },
    });
    const droppedBefore = await counterValue('audit_dropped_total');
    const spooledBefore = await counterValue('audit_batches_total', { result: 'spooled' });
    const replayedBefore = await counterValue('audit_batches_total', { result: 'replayed' });
    try {
      const prefix = await fill(t, 300);
      expect(await count(t, prefix)).toBe(300);
      expect(t.app.get(AuditWriter).stats().spooled).toBe(0);
      expect((await counterValue('audit_batches_total', { result: 'spooled' })) - spooledBefore).toBeGreaterThan(0);
      expect((await counterValue('audit_batches_total', { result: 'replayed' })) - replayedBefore).toBeGreaterThan(0);
      expect((await counterValue('audit_dropped_total')) - droppedBefore).toBe(0);
      await verifyOk(t);
    } finally {
      await t.close();
    }
  });
});
