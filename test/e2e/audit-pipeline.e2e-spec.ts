import { Client, type Pool } from 'pg';
import { DataSource } from 'typeorm';
import { CopyBatchPipeline } from '../../src/audit/audit.copy-batch';
import { AuditRecordFactory } from '../../src/audit/audit.record.factory';
import {
  AuditRepository,
  BATCH_TIMEOUT_MS,
  HEAD_MOVED,
  type ChainedBatch,
  type ChainPoint,
} from '../../src/audit/audit.repository';
import { prepareRow } from '../../src/audit/audit.row-format';
import { AuditWriter } from '../../src/audit/audit.writer';
import { adminUrl } from '../utils/test-database';
import { counterValue, createAuditTestApp, createBatchingAuditTestApp, rid } from './audit-helpers';

type App = Awaited<ReturnType<typeof createAuditTestApp>>;

/** Batches go back to back on one connection only on PostgreSQL (PGlite takes one JSON statement per batch). */
const realPostgres = Boolean(adminUrl());
if (!realPostgres) console.log('[audit-pipeline] TEST_DATABASE_URL unset: skipping (COPY batches need PostgreSQL)');
const describePg = realPostgres ? describe : describe.skip;

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

async function stored(t: App, entityType: string): Promise<Array<{ id: string; seq: string }>> {
  return (await t.app
    .get(DataSource)
    .query(`SELECT id::text AS id, seq::text AS seq FROM audit_log WHERE entity_type = $1 ORDER BY audit_log.seq`, [
      entityType,
    ])) as Array<{ id: string; seq: string }>;
}

describePg(CopyBatchPipeline.name, () => {
  let t: App;
  let client: Client;
  beforeEach(async () => {
    t = await createAuditTestApp();
    client = new Client({ connectionString: t.database!.url });
    await client.connect();
    await client.query('CREATE TEMP TABLE copy_probe (a int PRIMARY KEY, b text)');
  });
  afterEach(async () => {
    await client.end();
    await t.close();
  });

  it('answers batches written back to back each on its own, and one that fails takes only itself down', async () => {
    const pipeline = new CopyBatchPipeline(client);
    const copy = 'COPY copy_probe (a, b) FROM STDIN; SELECT 1';
    const outcomes = await Promise.allSettled([
      pipeline.send(copy, Buffer.from('1\tx\n')),
      // Duplicate key: PostgreSQL refuses this batch mid-COPY and drops the rest of its data.
      pipeline.send(copy, Buffer.from('2\ty\n1\tdup\n3\tz\n')),
      pipeline.send('COPY no_such_table (a) FROM STDIN', Buffer.from('9\n')),
      pipeline.send(copy, Buffer.from('4\tw\n')),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    expect(outcomes[0]).toMatchObject({ value: ['COPY 1', 'SELECT 1'] });
    expect(outcomes[1]).toMatchObject({ reason: { code: '23505' } });
    expect(outcomes[2]).toMatchObject({ reason: { code: '42P01' } });
    expect(outcomes[3]).toMatchObject({ value: ['COPY 1', 'SELECT 1'] });
    expect(pipeline.outstanding).toBe(0);
    // Each batch is its own implicit transaction: the refused one left nothing, and the connection is in step.
    const { rows } = await client.query('SELECT a, b FROM copy_probe ORDER BY a');
    expect(rows).toEqual([
      { a: 1, b: 'x' },
      { a: 4, b: 'w' },
    ]);
  });

  it('fails every outstanding batch when the connection dies', async () => {
    const victim = new Client({ connectionString: t.database!.url });
    await victim.connect();
    // The client reports the lost connection as an 'error' event too; the batches' rejections are what is tested.
    victim.on('error', () => undefined);
    const { rows } = await victim.query('SELECT pg_backend_pid() AS pid');
    const pipeline = new CopyBatchPipeline(victim);
    const pending = [
      pipeline.send('CREATE TEMP TABLE p (a int); COPY p (a) FROM STDIN; SELECT pg_sleep(30)', Buffer.from('1\n')),
      pipeline.send('COPY p (a) FROM STDIN', Buffer.from('2\n')),
      pipeline.send('COPY p (a) FROM STDIN', Buffer.from('3\n')),
    ];
    await client.query('SELECT pg_terminate_backend($1)', [rows[0].pid]);
    const outcomes = await Promise.allSettled(pending);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(pipeline.outstanding).toBe(0);
  });
});

describePg('audit batches sent ahead', () => {
  let t: App;
  beforeEach(async () => {
    t = await createBatchingAuditTestApp();
  });
  afterEach(() => t.close());

  it('sends a batch appended while one is in the database on the same connection, and one behind a refused batch commits nothing', async () => {
    const repo = t.app.get(AuditRepository);
    const factory = t.app.get(AuditRecordFactory);
    const pool = (t.app.get(DataSource).driver as unknown as { master: Pool }).master;
    const row = (ip = '10.0.0.1') =>
      prepareRow({ ...factory.fromEvent({ action: 'DATA_WRITE' }), ip_address: ip }, repo.rowFormat);
    const head = await repo.head();
    const good = repo.chain(head, [row(), row()]);
    const behind = repo.chain(good.head, [row(), row(), row()]);
    const connect = jest.spyOn(pool, 'connect');
    await expect(Promise.all([repo.append(good), repo.append(behind)])).resolves.toEqual([good.head, behind.head]);
    expect(connect).toHaveBeenCalledTimes(1);

    const refused = repo.chain(behind.head, [row(), row('not-an-ip')]);
    const orphan: ChainedBatch = repo.chain(refused.head, [row()]);
    const outcomes = await Promise.allSettled([repo.append(refused), repo.append(orphan)]);
    expect(outcomes[0]).toMatchObject({ status: 'rejected', reason: { message: expect.stringMatching(/inet/) } });
    // Chained from a head that never came to be: audit_chain_advance refuses it.
    expect(outcomes[1]).toMatchObject({ status: 'rejected', reason: { code: HEAD_MOVED } });
    expect(await repo.head()).toMatchObject({ seq: behind.head.seq, hash: behind.head.hash });
    const [{ n }] = (await t.app.get(DataSource).query('SELECT count(*)::int AS n FROM audit_log')) as Array<{
      n: number;
    }>;
    expect(BigInt(n)).toBe(behind.head.seq);
    // The connection is back in the pool, in step: the next batch goes through.
    const next = repo.chain(behind.head, [row()]);
    await expect(repo.append(next)).resolves.toEqual(next.head);
  });

  it('abandons a connection whose batch goes unanswered past the stall limit, and the next batch takes a new one', async () => {
    const repo = t.app.get(AuditRepository);
    const factory = t.app.get(AuditRecordFactory);
    const pool = (t.app.get(DataSource).driver as unknown as { master: Pool }).master;
    const row = () => prepareRow(factory.fromEvent({ action: 'DATA_WRITE' }), repo.rowFormat);
    const head = await repo.head();
    // Another session holds the chain head: the batch's rows go in, then its advance waits for the lock, as a batch
    // on a connection that stopped answering would wait.
    const holder = new Client({ connectionString: t.database!.url });
    await holder.connect();
    let next: Promise<ChainPoint> | undefined;
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM audit_chain_head WHERE id = 1 FOR UPDATE');
      const stuck = repo.append(repo.chain(head, [row()]));
      stuck.catch(() => undefined);
      const waiting = async () =>
        (
          await holder.query(
            `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
          )
        ).rows[0].n as number;
      while ((await waiting()) !== 1);
      repo.laneStallMs = 0;
      const connect = jest.spyOn(pool, 'connect');
      next = repo.append(repo.chain(head, [row()]));
      next.catch(() => undefined);
      // Failed while the lock is still held: nothing waits for the stalled connection any more.
      await expect(stuck).rejects.toThrow();
      expect(connect).toHaveBeenCalledTimes(1);
    } finally {
      await holder.query('COMMIT');
      await holder.end();
    }
    // Both batches continue the same head: whichever reaches it first commits (the abandoned backend may still finish
    // its transaction), the other is refused. Either way the chain stays one chain.
    await next.catch((err: { code?: string }) => expect(err.code).toBe(HEAD_MOVED));
    repo.laneStallMs = BATCH_TIMEOUT_MS;
    const after = await repo.head();
    expect(after.seq).toBe(head.seq + 1n);
    const res = await t.asAdmin({ method: 'GET', url: '/api/admin/audit-logs/verify' });
    expect(res.json()).toMatchObject({ ok: true, rowsChecked: Number(after.seq) });
  });

  it('writes the batch sent behind one whose outcome it lost only through the deduplicating path', async () => {
    const writer = t.app.get(AuditWriter);
    const repo = t.app.get(AuditRepository);
    const factory = t.app.get(AuditRecordFactory);
    const entityType = rid('ahead');
    const droppedBefore = await counterValue('audit_dropped_total');
    const append = repo.append.bind(repo);
    const secondSent = deferred();
    let second: Promise<ChainPoint> | undefined;
    let calls = 0;
    // The first batch commits, but the writer hears of a lost connection only after the second batch, chained behind
    // it, was sent and committed too: both outcomes are unknown to the writer, and neither may be stored twice.
    jest.spyOn(repo, 'append').mockImplementation(async (batch) => {
      calls++;
      if (calls === 1) {
        await append(batch);
        await secondSent.promise;
        await second!.catch(() => undefined);
        throw new Error('Connection terminated unexpectedly');
      }
      const sent = append(batch);
      if (calls === 2) {
        second = sent;
        secondSent.resolve();
      }
      return sent;
    });
    // Ids as each locking call sees them (a row's bytes are released once its batch commits).
    const insertChained = repo.insertChained.bind(repo);
    const deduped: string[][] = [];
    jest.spyOn(repo, 'insertChained').mockImplementation((batch, dedupe) => {
      if (dedupe) deduped.push(batch.map((b) => b.id));
      return insertChained(batch, dedupe);
    });
    const ids = Array.from({ length: 60 }, (_, i) => {
      const record = factory.fromEvent({ action: 'DATA_WRITE', entityType, entityId: `r${i}` });
      writer.enqueue(record);
      return record.id;
    });
    await writer.flush();

    const rows = await stored(t, entityType);
    expect(rows.map((r) => r.id)).toEqual(ids);
    // The retried first batch and the second batch both went through the locking path with deduplication.
    expect(deduped).toEqual([ids.slice(0, 20), ids.slice(20, 40)]);
    // On the fast path: the first batch, the second (sent ahead) and the third. Sending the second again there would
    // be a fourth call (which only the primary key would stop from storing its records twice).
    expect(calls).toBe(3);
    expect((await counterValue('audit_dropped_total')) - droppedBefore).toBe(0);
    const res = await t.asAdmin({ method: 'GET', url: '/api/admin/audit-logs/verify' });
    expect(res.json()).toMatchObject({ ok: true });
  });
});
