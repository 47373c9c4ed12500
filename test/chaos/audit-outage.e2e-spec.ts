import { slabStats } from '../../src/audit/audit.row-slabs';
import { DataSource } from 'typeorm';
import { AuditWriter } from '../../src/audit/audit.writer';
import { createTestDatabase, adminUrl } from '../utils/test-database';
import { TcpProxy } from '../utils/tcp-proxy';
import { counterValue, createAuditTestApp, rid } from '../e2e/audit-helpers';
import { TEST_ADMIN_KEY } from '../utils/create-test-app';

const realPostgres = Boolean(adminUrl());
if (!realPostgres)
  console.log('[audit chaos] TEST_DATABASE_URL unset: skipping the database-outage suite (needs real PostgreSQL)');
const describePg = realPostgres ? describe : describe.skip;

/** Waits for a condition the writer reaches asynchronously (state, not time): polls its stats. */
async function until(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describePg('AuditWriter during a database outage', () => {
  it('spools records while PostgreSQL is unreachable, then replays them with the chain intact and counts exact', async () => {
    const database = (await createTestDatabase())!;
    const { proxy, url } = await TcpProxy.forUrl(database.url);
    const t = await createAuditTestApp({
      database,
      env: {
        DATABASE_URL: url,
        AUDIT_BATCH_SIZE: '25',
        AUDIT_FLUSH_MS: '5',
        DB_CONNECT_TIMEOUT_MS: '500',
        DB_POOL_MAX: '4',
      },
    });
    const writer = t.app.get(AuditWriter);
    const droppedBefore = await counterValue('audit_dropped_total');
    const send = (n: number, prefix: string) =>
      Promise.all(
        Array.from({ length: n }, () =>
          // 401s: authentication fails without the database too, and every one must be audited.
          t.inject({ method: 'POST', url: '/api/admin/api-keys', headers: { 'x-request-id': rid(prefix) } }),
        ),
      );
    try {
      // Flushed first, so the cut below finds warm pooled connections, one of them checked out by a batch: its socket
      // error once crashed the process (a checked-out pg client without an 'error' listener).
      await writer.flush();
      const liveRowsBefore = slabStats().liveRows;
      await send(150, 'chaos');
      const load = send(300, 'chaos');
      proxy.cut();
      const during = await load;
      expect(during.every((r) => r.statusCode === 401)).toBe(true);
      await send(150, 'chaos');
      await until(() => writer.stats().spooled > 0, 'records to reach the spool');
      expect(writer.stats().breaker).not.toBe('Closed');
      proxy.restore();
      await writer.flush();
      expect(writer.stats()).toMatchObject({ queued: 0, spooled: 0 });
      // Rows of spooled records and of replayed batches were all released: nothing pins slab space.
      expect(slabStats().liveRows).toBe(liveRowsBefore);
      const db = t.app.get(DataSource);
      const [{ n, dup }] = (await db.query(
        `SELECT count(*)::int AS n, count(*)::int - count(DISTINCT correlation_id)::int AS dup
           FROM audit_log WHERE correlation_id LIKE 'chaos-%'`,
      )) as Array<{ n: number; dup: number }>;
      expect({ n, dup }).toEqual({ n: 600, dup: 0 });
      const verify = await t.inject({
        method: 'GET',
        url: '/api/admin/audit-logs/verify',
        headers: { 'x-api-key': TEST_ADMIN_KEY },
      });
      expect(verify.json()).toMatchObject({ ok: true });
      expect((await counterValue('audit_dropped_total')) - droppedBefore).toBe(0);
    } finally {
      proxy.restore();
      await t.close();
      await proxy.stop();
      await database.drop();
    }
  });
});
