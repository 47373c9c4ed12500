import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import pino from 'pino';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { canonicalParts, extendChain, GENESIS_HASH } from '../src/audit/audit.hash-chain';
import { AuditMetrics } from '../src/audit/audit.metrics';
import { AuditRecordFactory } from '../src/audit/audit.record.factory';
import { AuditRepository } from '../src/audit/audit.repository';
import { AuditWriter } from '../src/audit/audit.writer';
import type { AuditRecord } from '../src/audit/audit.types';
import { Redactor } from '../src/common/redactor';
import { AppConfig } from '../src/config/app.config';
import { buildDataSourceOptions } from '../src/database/database.options';
import { runMigrations } from '../src/database/migration.runner';
import { fmt, load, median, pinSelf, spread, startServer } from './lib';

/**
 * The audit trail's three performance targets, each a ratio measured side by side in this run:
 * 1. writer ingest (batched, chained) >= 20x one INSERT per record, on local PostgreSQL;
 * 2. redacting a ~10 KB request body <= 3x JSON.stringify of it;
 * 3. audited POST /api/calculate >= 0.85x its throughput with AUDIT_ENABLED=false.
 */
const PG = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
/** `node dist/bench/audit.js [rounds] [writer|redact|http]` */
const ROUNDS = Number(process.argv[2] ?? 3);
const ADMIN_KEY = 'bench-admin-key-0123456789abcdefghijklmnopqrstu';

function urlFor(db: string): string {
  const u = new URL(PG);
  u.pathname = `/${db}`;
  return u.toString();
}

async function admin<T>(fn: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: PG });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

function metrics(): AuditMetrics {
  const registers = [new Registry()];
  return new AuditMetrics(
    new Counter({ name: 'e', help: 'h', labelNames: ['action', 'outcome'], registers }),
    new Gauge({ name: 'b', help: 'h', registers }),
    new Gauge({ name: 'a', help: 'h', registers }),
    new Gauge({ name: 'd', help: 'h', registers }),
    new Histogram({ name: 'w', help: 'h', registers }),
    new Counter({ name: 'bt', help: 'h', labelNames: ['result'], registers }),
    new Counter({ name: 'dr', help: 'h', registers }),
  );
}

/** A typical automatic record: an authenticated POST with a small redacted body. */
function sampleRecord(factory: AuditRecordFactory): AuditRecord {
  return {
    ...factory.fromEvent({
      action: 'DATA_WRITE',
      entityType: 'invoice',
      entityId: randomUUID(),
      details: { body: { amount: 1234.5, currency: 'EUR', lines: [{ sku: 'A-1', qty: 2 }] } },
    }),
    ip_address: '10.1.2.3',
    user_agent: 'bench/1.0',
    correlation_id: randomUUID(),
    request_path: '/api/invoices',
    route: '/api/invoices',
    http_method: 'POST',
    status_code: 201,
    duration_ms: 3.2,
  };
}

async function writerBench(): Promise<boolean> {
  const dbName = `bulwark_bench_audit_${process.pid}`;
  await admin((c) => c.query(`CREATE DATABASE "${dbName}"`));
  const spool = mkdtempSync(join(tmpdir(), 'bulwark-bench-spool-'));
  const config = AppConfig.withOverrides({
    NODE_ENV: 'development',
    DATABASE_URL: urlFor(dbName),
    AUDIT_SPOOL_DIR: spool,
    DB_POOL_MAX: '4',
  });
  const ds = new DataSource(buildDataSourceOptions(config));
  await ds.initialize();
  try {
    await runMigrations(ds);
    const repo = new AuditRepository(ds);
    const factory = new AuditRecordFactory(config);
    const writer = new AuditWriter(repo, metrics(), config, pino({ level: 'silent' }));
    await writer.start();
    const singles = new Client({ connectionString: urlFor(dbName) });
    await singles.connect();
    const batchRates: number[] = [];
    const singleRates: number[] = [];
    const ratios: number[] = [];
    const nodeUsPerRecord: number[] = [];
    const pgUsPerRecord: number[] = [];
    const N_BATCH = 20_000;
    const N_SINGLE = 1_500;
    for (let round = 0; round < ROUNDS; round++) {
      const runBatch = async (): Promise<number> => {
        const records = Array.from({ length: N_BATCH }, () => sampleRecord(factory));
        const t0 = performance.now();
        const cpu0 = process.cpuUsage();
        const pg0 = postgresCpuSeconds();
        for (const r of records) writer.enqueue(r);
        await writer.flush();
        const seconds = (performance.now() - t0) / 1000;
        const cpu = process.cpuUsage(cpu0);
        nodeUsPerRecord.push((cpu.user + cpu.system) / N_BATCH);
        pgUsPerRecord.push(((postgresCpuSeconds() - pg0) * 1e6) / N_BATCH);
        return N_BATCH / seconds;
      };
      const runSingle = async (): Promise<number> => {
        // Hashes are precomputed: the baseline pays only for the per-record round trip and commit.
        const items = Array.from({ length: N_SINGLE }, () => {
          const record = sampleRecord(factory);
          return { record, parts: canonicalParts(record) };
        });
        const { rows } = extendChain(items, { seq: 10_000_000_000n + BigInt(round) * 1_000_000n, hash: GENESIS_HASH });
        const t0 = performance.now();
        for (const r of rows) {
          await singles.query(
            `INSERT INTO audit_log (id, seq, occurred_at, tenant_id, actor_type, actor_id, action, outcome, entity_type,
               entity_id, changes, details, ip_address, user_agent, correlation_id, session_id_hash, request_path, route,
               http_method, status_code, duration_ms, retention_until, prev_hash, hash)
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,decode($23,'hex'),decode($24,'hex'))`,
            [
              r.id,
              r.seq,
              r.occurred_at,
              r.tenant_id,
              r.actor_type,
              r.actor_id,
              r.action,
              r.outcome,
              r.entity_type,
              r.entity_id,
              JSON.stringify(r.changes),
              JSON.stringify(r.details),
              r.ip_address,
              r.user_agent,
              r.correlation_id,
              r.session_id_hash,
              r.request_path,
              r.route,
              r.http_method,
              r.status_code,
              r.duration_ms,
              r.retention_until,
              r.prev_hash,
              r.hash,
            ],
          );
        }
        return N_SINGLE / ((performance.now() - t0) / 1000);
      };
      const order = round % 2 === 0 ? [runBatch, runSingle] : [runSingle, runBatch];
      const got = new Map<unknown, number>();
      for (const fn of order) got.set(fn, await fn());
      batchRates.push(got.get(runBatch)!);
      singleRates.push(got.get(runSingle)!);
      ratios.push(got.get(runBatch)! / got.get(runSingle)!);
    }
    await singles.end();
    await writer.stop();
    console.log(`\nwriter ingest (batch ${config.env.AUDIT_BATCH_SIZE}, chained, ${N_BATCH} records/round)`);
    console.log(`  writer records/s         : ${spread(batchRates)}`);
    console.log(`  single INSERT records/s  : ${spread(singleRates)}   (${N_SINGLE} records/round, autocommit each)`);
    console.log(`  ratio writer/single      : ${spread(ratios)}`);
    console.log(`  writer CPU µs/record     : node ${spread(nodeUsPerRecord)}, PostgreSQL ${spread(pgUsPerRecord)}`);
    const pass = median(ratios) >= 20;
    console.log(`  target >= 20x: ${pass ? 'MET' : 'NOT MET'} (median ${fmt(median(ratios))}x)`);
    return pass;
  } finally {
    await ds.destroy();
    rmSync(spool, { recursive: true, force: true });
    await admin((c) => c.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`));
  }
}

/** A ~10 KB body as clients send it: nested objects, arrays, ordinary text, numbers, dates, an email or two. */
function typicalBody(): unknown {
  const lines = Array.from({ length: 60 }, (_, i) => ({
    sku: `SKU-${1000 + i}`,
    description: `Consulting services for project phase ${i}, billed monthly`,
    quantity: i + 1,
    unitPrice: 125.5 + i,
    date: `2024-0${(i % 9) + 1}-15`,
    tags: ['consulting', 'q3'],
  }));
  return {
    customer: {
      id: 'cus_8f2a',
      name: 'Jane Doe',
      email: 'jane.doe@example.com',
      address: { city: 'Berlin', zip: '10115' },
    },
    invoice: {
      number: 'INV-2024-0042',
      currency: 'EUR',
      notes: 'Payment within 30 days. Thank you for your business.',
    },
    lines,
  };
}

function redactionBench(): boolean {
  const body = typicalBody();
  const size = JSON.stringify(body).length;
  // The audit configuration (sorted keys, as AuditRecordFactory uses it).
  const redactor = new Redactor({ sortKeys: true });
  const ITER = 2_000;
  const ratios: number[] = [];
  let sink = 0;
  for (let round = 0; round < ROUNDS * 2 + 1; round++) {
    const t0 = performance.now();
    for (let i = 0; i < ITER; i++) sink += JSON.stringify(body).length;
    const t1 = performance.now();
    for (let i = 0; i < ITER; i++) sink += (redactor.redact(body) as object) ? 1 : 0;
    const t2 = performance.now();
    if (round > 0) ratios.push((t2 - t1) / (t1 - t0));
  }
  console.log(`\nredaction of a ${(size / 1024).toFixed(1)} KB body vs JSON.stringify of it (${ITER} each per round)`);
  console.log(`  ratio redact/stringify   : ${spread(ratios)}${sink < 0 ? '' : ''}`);
  const pass = median(ratios) <= 3;
  console.log(`  target <= 3x: ${pass ? 'MET' : 'NOT MET'} (median ${fmt(median(ratios))}x)`);
  return pass;
}

const CALC_BODY = JSON.stringify({
  cashFlows: [
    { date: '2020-01-15', amount: -1_000_000 },
    { date: '2021-06-30', amount: 150_000 },
    { date: '2022-12-31', amount: 400_000 },
    { date: '2024-03-31', amount: 700_000 },
  ],
  residualValue: 250_000,
  simulations: 200,
  seed: 7,
});

/**
 * Audited vs audit-disabled throughput. One server runs at a time (each measurement boots a fresh one, alternating
 * which goes first), because two servers pinned to the same core bias the one started first by ~10%.
 */
async function httpBench(): Promise<boolean> {
  const dbName = `bulwark_bench_audit_http_${process.pid}`;
  await admin((c) => c.query(`CREATE DATABASE "${dbName}"`));
  const spool = mkdtempSync(join(tmpdir(), 'bulwark-bench-spool-'));
  const entry = join(__dirname, '..', 'src', 'main.js');
  // A fresh port per boot: a port still held by the previous server cannot stall the next one.
  let port = 41_000 + Math.floor(Math.random() * 10_000);
  const boot = (enabled: boolean) =>
    startServer(entry, port++, {
      NODE_ENV: 'development',
      DATABASE_URL: urlFor(dbName),
      ADMIN_API_KEY: ADMIN_KEY,
      LOG_LEVEL: 'silent',
      SHUTDOWN_DRAIN_MS: '0',
      AUDIT_ENABLED: String(enabled),
      AUDIT_SPOOL_DIR: spool,
    });
  try {
    const first = await boot(true);
    let path = '/api/calculate';
    let body = CALC_BODY;
    let key: string;
    try {
      const created = await fetch(`${first.url}/api/admin/api-keys`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': ADMIN_KEY },
        body: JSON.stringify({ name: 'bench', role: 'client', tenantId: 'bench' }),
      });
      key = ((await created.json()) as { key: string }).key;
      const probe = await fetch(first.url + path, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': key },
        body,
      });
      if (probe.status !== 200) {
        console.log(`  POST /api/calculate answered ${probe.status}; measuring POST /api/admin/api-keys instead`);
        path = '/api/admin/api-keys';
        body = JSON.stringify({ name: 'bench', role: 'client', tenantId: 'bench' });
        key = ADMIN_KEY;
      }
    } finally {
      await first.stop();
    }
    const measure = async (enabled: boolean): Promise<{ rps: number; pgCores: number }> => {
      const server = await boot(enabled);
      try {
        const opts = (duration: number) => ({
          url: server.url + path,
          method: 'POST' as const,
          headers: { 'content-type': 'application/json', 'x-api-key': key },
          body,
          duration,
          connections: 16,
        });
        await load(opts(1));
        const cpu0 = postgresCpuSeconds();
        const res = await load(opts(3));
        if (res.errors || res.non2xx) throw new Error(`audit ${enabled}: ${res.errors} errors, ${res.non2xx} non-2xx`);
        return { rps: res.rps, pgCores: (postgresCpuSeconds() - cpu0) / 3 };
      } finally {
        await server.stop();
      }
    };
    const on: number[] = [];
    const off: number[] = [];
    const ratios: number[] = [];
    const pgOn: number[] = [];
    const pgOff: number[] = [];
    const rounds = ROUNDS + 2;
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? [true, false] : [false, true];
      const got = new Map<boolean, { rps: number; pgCores: number }>();
      for (const enabled of order) got.set(enabled, await measure(enabled));
      on.push(got.get(true)!.rps);
      off.push(got.get(false)!.rps);
      pgOn.push(got.get(true)!.pgCores);
      pgOff.push(got.get(false)!.pgCores);
      ratios.push(got.get(true)!.rps / got.get(false)!.rps);
    }
    const [{ n }] = await admin(async () => {
      const c = new Client({ connectionString: urlFor(dbName) });
      await c.connect();
      try {
        return (await c.query('SELECT count(*)::int AS n FROM audit_log')).rows as Array<{ n: number }>;
      } finally {
        await c.end();
      }
    });
    console.log(
      `\nPOST ${path}: audited vs AUDIT_ENABLED=false (${rounds} interleaved rounds, fresh server each, 1 s warm-up + 3 s, 16 connections)`,
    );
    console.log(`  audited req/s            : ${spread(on)}`);
    console.log(`  audit disabled req/s     : ${spread(off)}`);
    console.log(`  ratio audited/disabled   : ${spread(ratios)}   (${n} audit rows written during the run)`);
    console.log(`  PostgreSQL CPU (cores)   : audited ${spread(pgOn)}, disabled ${spread(pgOff)}`);
    const pass = median(ratios) >= 0.85;
    console.log(`  target >= 0.85x: ${pass ? 'MET' : 'NOT MET'} (median ${fmt(median(ratios))}x)`);
    return pass;
  } finally {
    rmSync(spool, { recursive: true, force: true });
    await admin((c) => c.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`));
  }
}

/** CPU seconds used so far by local postgres processes (Linux /proc), to show where audit cost lands. */
function postgresCpuSeconds(): number {
  let ticks = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'postgres') continue;
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // the process ended between listing and reading
    }
  }
  return ticks / 100;
}

async function main(): Promise<boolean> {
  console.log(`\n== bench/audit (${ROUNDS} interleaved rounds; PostgreSQL ${new URL(PG).host}, unpinned)`);
  console.log(pinSelf());
  const only = process.argv[3];
  const results: boolean[] = [];
  if (!only || only === 'writer') results.push(await writerBench());
  if (!only || only === 'redact') results.push(redactionBench());
  if (!only || only === 'http') results.push(await httpBench());
  return results.every(Boolean);
}

if (require.main === module) {
  main().then(
    (ok) => process.exit(ok ? 0 : 1),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
