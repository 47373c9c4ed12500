import { slabStats } from '../../src/audit/audit.row-slabs';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { copyBatch } from '../../src/audit/audit.copy-batch';
import { AuditRecordFactory } from '../../src/audit/audit.record.factory';
import { AuditRepository, HEAD_MOVED, type ChainPoint } from '../../src/audit/audit.repository';
import { prepareRow } from '../../src/audit/audit.row-format';
import type { AuditRecord } from '../../src/audit/audit.types';
import { AuditWriter } from '../../src/audit/audit.writer';
import { AppConfig } from '../../src/config/app.config';
import { buildDataSourceOptions } from '../../src/database/database.options';
import { adminUrl, withAdminClient } from '../utils/test-database';
import { auditRows, counterValue, createAuditTestApp, rid } from './audit-helpers';

type App = Awaited<ReturnType<typeof createAuditTestApp>>;

async function verify(
  t: App,
  query = '',
): Promise<{ ok: boolean; rowsChecked: number; firstBrokenSeq: string | null; reason: string | null }> {
  const res = await t.asAdmin({ method: 'GET', url: `/api/admin/audit-logs/verify${query}` });
  expect(res.statusCode).toBe(200);
  return res.json();
}

/** Runs statements on one session of the app's own database, as the superuser the tests connect as. */
async function asSuperuser(t: App, statements: string[]): Promise<void> {
  const runner = t.app.get(DataSource).createQueryRunner();
  await runner.connect();
  try {
    for (const sql of statements) await runner.query(sql);
  } finally {
    await runner.release();
  }
}

async function mutate(t: App, n: number): Promise<void> {
  await Promise.all(
    Array.from({ length: n }, () =>
      t.inject({ method: 'POST', url: '/api/admin/api-keys', headers: { 'x-request-id': rid('load') } }),
    ),
  );
}

describe('audit hash chain', () => {
  let t: App;
  beforeEach(async () => {
    t = await createAuditTestApp();
    await mutate(t, 20);
    await auditRows(t);
  });
  afterEach(() => t.close());

  it('verifies an untouched chain', async () => {
    const report = await verify(t);
    expect(report).toMatchObject({ ok: true, firstBrokenSeq: null });
    expect(report.rowsChecked).toBeGreaterThanOrEqual(21);
  });

  it('detects a row edited by a superuser who bypassed the append-only trigger', async () => {
    await asSuperuser(t, [
      'SET session_replication_role = replica',
      `UPDATE audit_log SET outcome = 'success', status_code = 201 WHERE seq = 7`,
      'RESET session_replication_role',
    ]);
    expect(await verify(t)).toMatchObject({
      ok: false,
      firstBrokenSeq: '7',
      reason: 'hash does not match the row content',
    });
    expect(await verify(t, '?fromSeq=8')).toMatchObject({ ok: true });
  });

  it('detects a deleted row and a rewritten link', async () => {
    await asSuperuser(t, [
      'SET session_replication_role = replica',
      'DELETE FROM audit_log WHERE seq = 5',
      'RESET session_replication_role',
    ]);
    expect(await verify(t)).toMatchObject({ ok: false, firstBrokenSeq: '5', reason: 'row missing' });
  });

  it('detects a truncated tail through the chain head', async () => {
    const [{ max }] = (await t.app.get(DataSource).query('SELECT max(seq)::text AS max FROM audit_log')) as Array<{
      max: string;
    }>;
    await asSuperuser(t, [
      'SET session_replication_role = replica',
      `DELETE FROM audit_log WHERE seq = ${Number(max)}`,
      'RESET session_replication_role',
    ]);
    expect(await verify(t)).toMatchObject({ ok: false, firstBrokenSeq: max });
  });

  it.each([
    ['UPDATE', `UPDATE audit_log SET outcome = 'failure' WHERE seq = 3`],
    ['DELETE', 'DELETE FROM audit_log WHERE seq = 3'],
    ['TRUNCATE', 'TRUNCATE audit_log'],
  ])('refuses %s even for the table owner', async (_op, sql) => {
    await expect(t.app.get(DataSource).query(sql)).rejects.toThrow(/append-only/);
    expect(await verify(t)).toMatchObject({ ok: true });
  });

  it('allows setting a legal hold without breaking the chain', async () => {
    await t.app.get(DataSource).query('UPDATE audit_log SET legal_hold = true WHERE seq = 3');
    expect(await verify(t)).toMatchObject({ ok: true });
  });

  it('verifies a time range', async () => {
    const from = new Date(Date.now() - 60_000).toISOString();
    const report = await verify(t, `?from=${from}&to=${new Date(Date.now() + 60_000).toISOString()}`);
    expect(report.ok).toBe(true);
    expect(report.rowsChecked).toBeGreaterThanOrEqual(21);
  });

  it('rejects an invalid range', async () => {
    const res = await t.asAdmin({ method: 'GET', url: '/api/admin/audit-logs/verify?from=yesterday' });
    expect(res.statusCode).toBe(400);
  });

  it('keeps the chain verifiable after retention purges the oldest rows', async () => {
    const factory = t.app.get(AuditRecordFactory);
    const repo = t.app.get(AuditRepository);
    const db = t.app.get(DataSource);
    const [{ before }] = (await db.query('SELECT count(*)::int AS before FROM audit_log')) as Array<{ before: number }>;
    // Mark the existing rows expired by writing a fresh chain segment after them that is not expired.
    await asSuperuser(t, [
      'SET session_replication_role = replica',
      `UPDATE audit_log SET retention_until = now() - interval '1 day'`,
      'RESET session_replication_role',
    ]);
    const record: AuditRecord = { ...factory.fromEvent({ action: 'DATA_WRITE' }), id: randomUUID() };
    await repo.insertChained([prepareRow(record, repo.rowFormat)], false);
    const [{ deleted }] = (await db.query('SELECT audit_log_purge(1000)::int AS deleted')) as Array<{
      deleted: number;
    }>;
    expect(deleted).toBe(before);
    const report = await verify(t);
    // The edited (expired) rows are gone; what remains links to the checkpoint the purge recorded.
    expect(report).toMatchObject({ ok: true, rowsChecked: 1 });
  });

  it('stores rows in monthly partitions', async () => {
    const rows = (await t.app
      .get(DataSource)
      .query(`SELECT DISTINCT tableoid::regclass::text AS part FROM audit_log`)) as Array<{ part: string }>;
    const now = new Date();
    const expected = `audit_log_p${now.getUTCFullYear()}${String(now.getUTCMonth() + 1).padStart(2, '0')}`;
    expect(rows.map((r) => r.part)).toEqual([expected]);
  });

  it('refuses a fast-path batch chained from a stale head and writes none of it', async () => {
    const repo = t.app.get(AuditRepository);
    const factory = t.app.get(AuditRecordFactory);
    const rows = (n: number) =>
      Array.from({ length: n }, () => prepareRow(factory.fromEvent({ action: 'DATA_WRITE' }), repo.rowFormat));
    const stale = await repo.head();
    const moved = await repo.append(repo.chain(stale, rows(3)));
    expect(moved.seq).toBe(stale.seq + 3n);
    await expect(repo.append(repo.chain(stale, rows(4)))).rejects.toMatchObject({ code: HEAD_MOVED });
    const [{ n }] = (await t.app.get(DataSource).query('SELECT count(*)::int AS n FROM audit_log')) as Array<{
      n: number;
    }>;
    expect(BigInt(n)).toBe(moved.seq);
    expect(await repo.head()).toMatchObject({ seq: moved.seq, hash: moved.hash });
    expect(await verify(t)).toMatchObject({ ok: true, rowsChecked: n });
  });

  it('rolls back a batch PostgreSQL refuses mid-insert, and the next batch still goes through', async () => {
    const repo = t.app.get(AuditRepository);
    const factory = t.app.get(AuditRecordFactory);
    const head = await repo.head();
    const good = () => prepareRow(factory.fromEvent({ action: 'DATA_WRITE' }), repo.rowFormat);
    const bad = prepareRow({ ...factory.fromEvent({ action: 'DATA_WRITE' }), ip_address: 'not-an-ip' }, repo.rowFormat);
    await expect(repo.append(repo.chain(head, [good(), bad, good()]))).rejects.toThrow(/inet/);
    expect(await repo.head()).toMatchObject({ seq: head.seq, hash: head.hash });
    // Every pooled connection is usable again: several batches in a row, each from the head the last one left.
    let at: ChainPoint = head;
    for (let i = 0; i < 4; i++) at = await repo.append(repo.chain(at, [good(), good()]));
    expect(at.seq).toBe(head.seq + 8n);
    expect(await verify(t)).toMatchObject({ ok: true, rowsChecked: Number(at.seq) });
  });

  it('refuses to advance the head over rows that do not continue the chain', async () => {
    const head = await t.app.get(AuditRepository).head();
    await expect(
      t.app
        .get(DataSource)
        .query(`SELECT audit_chain_advance($1::bigint, decode($2, 'hex'), $3::bigint, decode($4, 'hex'))`, [
          head.seq.toString(),
          head.hash,
          (head.seq + 1n).toString(),
          'ab'.repeat(32),
        ]),
    ).rejects.toThrow(/do not continue the chain/);
    expect((await t.app.get(AuditRepository).head()).seq).toBe(head.seq);
  });

  it('stores text that the batch format must escape exactly as given', async () => {
    const repo = t.app.get(AuditRepository);
    const tricky = 'tab\there\nline \\ back\\slash "quoted" \\N ünïcödé 🚀 \u2028';
    const record: AuditRecord = {
      ...t.app.get(AuditRecordFactory).fromEvent({ action: 'DATA_WRITE', details: { note: tricky } }),
      user_agent: 'agent\\with\tcontrol\r\n',
      request_path: '/api/x\\N',
      entity_id: '\\N',
    };
    await repo.insertChained([prepareRow(record, repo.rowFormat)], false);
    const [row] = await repo.page({ correlationId: undefined, entityId: '\\N' }, 1, undefined, 'desc');
    expect(row).toMatchObject({
      id: record.id,
      user_agent: record.user_agent,
      request_path: record.request_path,
      entity_id: '\\N',
      details: record.details,
    });
    expect(await verify(t)).toMatchObject({ ok: true });
  });

  it('writes a burst of many batches as one chain, each batch hashed from the head the one before it leaves', async () => {
    const burst = await createAuditTestApp({ env: { AUDIT_BATCH_SIZE: '20', AUDIT_FLUSH_MS: '1000' } });
    try {
      const writer = burst.app.get(AuditWriter);
      const repo = burst.app.get(AuditRepository);
      const factory = burst.app.get(AuditRecordFactory);
      await writer.flush();
      const before = await repo.head();
      const liveRowsBefore = slabStats().liveRows;
      const locking = jest.spyOn(repo, 'insertChained');
      const ids = Array.from({ length: 500 }, (_, i) => {
        const record = factory.fromEvent({ action: 'DATA_WRITE', entityType: 'burst', entityId: `b${i}` });
        writer.enqueue(record);
        return record.id;
      });
      await writer.flush();
      // One writer alone: every batch after the first goes out on the fast path, chained ahead from the in-memory
      // head; a wrong head would be refused (HEAD_MOVED) and retried under the lock, which this would count.
      expect(locking.mock.calls.length).toBeLessThanOrEqual(1);
      // Every prepared row was released when its batch committed, so its slab space is reused.
      expect(slabStats().liveRows).toBe(liveRowsBefore);
      const rows = (await burst.app
        .get(DataSource)
        .query(
          `SELECT id::text AS id, seq::text AS seq FROM audit_log WHERE entity_type = 'burst' ORDER BY audit_log.seq`,
        )) as Array<{
        id: string;
        seq: string;
      }>;
      // Exactly once each, in the order they were accepted, right after the head the burst found.
      expect(rows.map((r) => r.id)).toEqual(ids);
      expect(BigInt(rows[0].seq)).toBe(before.seq + 1n);
      expect(await verify(burst)).toMatchObject({ ok: true });
    } finally {
      await burst.close();
    }
  });

  it('writes deferred records in arrival order with records enqueued directly, and a failing build loses only its own', async () => {
    const writer = t.app.get(AuditWriter);
    const factory = t.app.get(AuditRecordFactory);
    const droppedBefore = await counterValue('audit_dropped_total');
    const batch = rid('deferred');
    const event = (i: number): AuditRecord =>
      factory.fromEvent({ action: 'DATA_WRITE', entityType: batch, entityId: `e${i}` });
    writer.enqueueDeferred(0, event);
    writer.enqueueDeferred(1, () => {
      throw new Error('build failed');
    });
    writer.enqueueDeferred(2, event);
    // Not built yet: the records wait in the writer, where stats and flush see them.
    expect(writer.stats().queued).toBeGreaterThanOrEqual(2);
    writer.enqueue(event(3));
    writer.enqueueDeferred(4, event);
    await writer.flush();
    const rows = await auditRows(t, 'entity_type = $1', [batch]);
    // Chain order is arrival order: the direct enqueue built the two deferred records ahead of it first.
    expect(rows.map((r) => r.entity_id)).toEqual(['e0', 'e2', 'e3', 'e4']);
    expect(rows.map((r) => BigInt(r.seq) - BigInt(rows[0].seq))).toEqual([0n, 1n, 2n, 3n]);
    // The one record whose build threw is counted as lost; the others around it are stored.
    expect((await counterValue('audit_dropped_total')) - droppedBefore).toBe(1);
    expect(await verify(t)).toMatchObject({ ok: true });
  });

  it('builds deferred records in batches of at most 64 without waiting for the timer', async () => {
    const writer = t.app.get(AuditWriter);
    const factory = t.app.get(AuditRecordFactory);
    await writer.flush();
    const build = jest.fn((i: number) => factory.fromEvent({ action: 'DATA_WRITE', entityId: `x${i}` }));
    for (let i = 0; i < 64; i++) writer.enqueueDeferred(i, build);
    // The 64th built all of them at once, synchronously.
    expect(build).toHaveBeenCalledTimes(64);
    writer.enqueueDeferred(64, build);
    expect(build).toHaveBeenCalledTimes(64);
    await writer.flush();
    expect(build).toHaveBeenCalledTimes(65);
  });

  it('keeps one chain when several writers insert concurrently', async () => {
    const repo = t.app.get(AuditRepository);
    const factory = t.app.get(AuditRecordFactory);
    const batch = () =>
      Array.from({ length: 25 }, () => {
        return prepareRow(factory.fromEvent({ action: 'DATA_WRITE' }), repo.rowFormat);
      });
    await Promise.all(Array.from({ length: 6 }, () => repo.insertChained(batch(), false)));
    const [{ n, max }] = (await t.app
      .get(DataSource)
      .query(
        'SELECT count(*)::int AS n, max(seq)::int AS max, count(DISTINCT seq)::int AS d FROM audit_log',
      )) as Array<{ n: number; max: number }>;
    expect(max).toBe(n);
    expect(await verify(t)).toMatchObject({ ok: true });
  });
});

const realPostgres = Boolean(adminUrl());
if (!realPostgres)
  console.log('[audit-chain] TEST_DATABASE_URL unset: skipping role and multi-instance suites (need real PostgreSQL)');
const describePg = realPostgres ? describe : describe.skip;

describePg('audit on real PostgreSQL', () => {
  it('lets the application role INSERT and SELECT but not UPDATE or DELETE audit rows', async () => {
    const t = await createAuditTestApp();
    const role = `bulwark_app_${Math.random().toString(36).slice(2, 10)}`;
    try {
      await mutate(t, 2);
      await auditRows(t);
      await withAdminClient(async (c) => {
        await c.query(`CREATE ROLE ${role} LOGIN IN ROLE bulwark_audit_writer`);
      });
      const url = new URL(t.database!.url);
      url.username = role;
      const client = new Client({ connectionString: url.toString() });
      await client.connect();
      try {
        const { rows } = await client.query('SELECT count(*)::int AS n FROM audit_log');
        expect(rows[0].n).toBeGreaterThan(0);
        await expect(client.query(`UPDATE audit_log SET outcome = 'failure'`)).rejects.toThrow(/permission denied/);
        await expect(client.query('DELETE FROM audit_log')).rejects.toThrow(/permission denied/);
        await expect(client.query('SELECT audit_log_purge(10)')).rejects.toThrow(/permission denied/);
        await expect(client.query('SELECT audit_log_ensure_partitions(now(), 1)')).resolves.toBeDefined();
      } finally {
        await client.end();
      }
      // The writer's own paths (locking insert, and COPY plus audit_chain_advance) work with only the role's grants.
      const asRole = new DataSource(buildDataSourceOptions(AppConfig.withOverrides({ DATABASE_URL: url.toString() })));
      await asRole.initialize();
      try {
        const repo = new AuditRepository(asRole);
        const factory = t.app.get(AuditRecordFactory);
        const { head } = await repo.insertChained(
          [prepareRow(factory.fromEvent({ action: 'DATA_WRITE' }), repo.rowFormat)],
          false,
        );
        const row = prepareRow(factory.fromEvent({ action: 'DATA_WRITE' }), repo.rowFormat);
        expect((await repo.append(repo.chain(head, [row]))).seq).toBe(head.seq + 1n);
      } finally {
        await asRole.destroy();
      }
      expect(await verify(t)).toMatchObject({ ok: true });
    } finally {
      await t.close();
      await withAdminClient((c) => c.query(`DROP ROLE IF EXISTS ${role}`));
    }
  });

  it('keeps the connection in step when a one-round-trip batch fails before its COPY starts', async () => {
    const t = await createAuditTestApp();
    const client = new Client({ connectionString: t.database!.url });
    await client.connect();
    try {
      await client.query('CREATE TEMP TABLE copy_probe (a int PRIMARY KEY, b text)');
      // The COPY data travels right behind the statement text; when an earlier statement fails, PostgreSQL must
      // drop it, or the next query on this connection would read it as a protocol message.
      await expect(
        copyBatch(client, 'BEGIN; COPY no_such_table (a) FROM STDIN; COMMIT', Buffer.from('1\n')),
      ).rejects.toMatchObject({ code: '42P01' });
      await client.query('ROLLBACK');
      await expect(
        copyBatch(client, 'BEGIN; COPY copy_probe (a, b) FROM STDIN; SELECT 1; COMMIT', Buffer.from('1\tx\n2\ty\n')),
      ).resolves.toEqual(['BEGIN', 'COPY 2', 'SELECT 1', 'COMMIT']);
      const { rows } = await client.query('SELECT a, b FROM copy_probe ORDER BY a');
      expect(rows).toEqual([
        { a: 1, b: 'x' },
        { a: 2, b: 'y' },
      ]);
    } finally {
      await client.end();
      await t.close();
    }
  });

  it('keeps one valid chain with several service instances writing at once', async () => {
    const first = await createAuditTestApp({ env: { AUDIT_BATCH_SIZE: '7', AUDIT_FLUSH_MS: '2' } });
    const others = await Promise.all(
      [1, 2].map(() =>
        createAuditTestApp({ database: first.database, env: { AUDIT_BATCH_SIZE: '7', AUDIT_FLUSH_MS: '2' } }),
      ),
    );
    const apps = [first, ...others];
    try {
      await Promise.all(apps.map((a) => mutate(a, 60)));
      await Promise.all(apps.map((a) => auditRows(a)));
      const [{ n, max, load }] = (await first.app
        .get(DataSource)
        .query(
          `SELECT count(*)::int AS n, max(seq)::int AS max, count(*) FILTER (WHERE correlation_id LIKE 'load-%')::int AS load FROM audit_log`,
        )) as Array<{ n: number; max: number; load: number }>;
      expect(load).toBe(180);
      expect(max).toBe(n);
      expect(await verify(first)).toMatchObject({ ok: true, rowsChecked: n });
    } finally {
      for (const a of others) await a.close();
      await first.close();
    }
  });
});
