import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { spawnSync } from 'node:child_process';
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
import { uuidv7 } from '../src/common/uuid7';
import { AppConfig } from '../src/config/app.config';
import { buildDataSourceOptions } from '../src/database/database.options';
import { runMigrations } from '../src/database/migration.runner';
import {
  benchPort,
  fmt,
  HAS_TASKSET,
  LOAD_CPU,
  SERVER_CPU,
  load,
  median,
  pinSelf,
  spread,
  startServer,
  type Server,
} from './lib';

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
const WARMUP_S = 2;
const WINDOW_S = 1.5;

interface Sample {
  rps: number;
  pgCores: number;
  serverUsPerRequest: number;
}

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
    new Counter({ name: 'q', help: 'h', registers }),
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
    // As the service generates them (UUIDv7); entity ids stay random, as domain ids may be.
    correlation_id: uuidv7(),
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
    // As in production, the service and its database do not share a core: this process (the writer) moves to the
    // server core and the database's backends to the other one, so neither steals the other's CPU.
    const pinned = HAS_TASKSET && process.env.BENCH_PIN_DB !== '0';
    if (pinned) spawnSync('taskset', ['-cp', SERVER_CPU, String(process.pid)], { stdio: 'ignore' });
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
        const pg0 = postgresCpu();
        for (const r of records) writer.enqueue(r);
        await writer.flush();
        const seconds = (performance.now() - t0) / 1000;
        const cpu = process.cpuUsage(cpu0);
        nodeUsPerRecord.push((cpu.user + cpu.system) / N_BATCH);
        pgUsPerRecord.push((postgresCpuSince(pg0) * 1e6) / N_BATCH);
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
      // Backends are re-found each round: the pool opens connections when it needs them.
      if (pinned) await pinDatabaseBackends(dbName);
      const order = round % 2 === 0 ? [runBatch, runSingle] : [runSingle, runBatch];
      const got = new Map<unknown, number>();
      for (const fn of order) got.set(fn, await fn());
      batchRates.push(got.get(runBatch)!);
      singleRates.push(got.get(runSingle)!);
      ratios.push(got.get(runBatch)! / got.get(runSingle)!);
    }
    await singles.end();
    await writer.stop();
    console.log(
      `\nwriter ingest (batch ${config.env.AUDIT_BATCH_SIZE}, chained, ${N_BATCH} records/round; ${pinned ? `writer on CPU ${SERVER_CPU}, database backends on CPU ${LOAD_CPU}` : 'unpinned'})`,
    );
    console.log(`  writer records/s         : ${spread(batchRates)}`);
    console.log(`  single INSERT records/s  : ${spread(singleRates)}   (${N_SINGLE} records/round, autocommit each)`);
    console.log(`  ratio writer/single      : ${spread(ratios)}`);
    console.log(`  writer CPU µs/record     : node ${spread(nodeUsPerRecord)}, PostgreSQL ${spread(pgUsPerRecord)}`);
    const pass = median(ratios) >= 20;
    console.log(`  target >= 20x: ${pass ? 'MET' : 'NOT MET'} (median ${fmt(median(ratios))}x)`);
    return pass;
  } finally {
    // Back to the load generator's core: the HTTP part after this one generates load from this process.
    if (HAS_TASKSET) spawnSync('taskset', ['-cp', LOAD_CPU, String(process.pid)], { stdio: 'ignore' });
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
 * Audited vs audit-disabled throughput: two servers on one database, loaded in alternating windows (see below).
 * An earlier version booted a fresh server per measurement; on this machine its ratios spread from 0.4x to 1.2x.
 */
async function httpBench(): Promise<boolean> {
  const dbName = `bulwark_bench_audit_http_${process.pid}`;
  await admin((c) => c.query(`CREATE DATABASE "${dbName}"`));
  const spool = mkdtempSync(join(tmpdir(), 'bulwark-bench-spool-'));
  const entry = join(__dirname, '..', 'src', 'main.js');
  // A fresh port per boot: a port still held by the previous server cannot stall the next one.
  let port = benchPort();
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
    // Both servers run side by side (pinned to the same core, each idle while the other is loaded) and are loaded in
    // alternating short windows: this machine's speed drifts by up to 2x over tens of seconds, and adjacent windows
    // see the same drift, so the ratio of each adjacent pair is far steadier than a ratio of separate runs.
    // BENCH_CONTROL=1 runs two audit-disabled servers the same way: its ratio shows the method's own bias.
    const control = process.env.BENCH_CONTROL === '1';
    // The servers' PostgreSQL backends run on the load generator's core, as a database on its own host would not take
    // CPU from the service; their CPU is still reported below. BENCH_PIN_DB=0 leaves them to the scheduler.
    const pinBackends = HAS_TASKSET && process.env.BENCH_PIN_DB !== '0';
    const measure = async (server: Server, seconds: number): Promise<Sample> => {
      if (pinBackends) await pinDatabaseBackends(dbName);
      const cpu0 = postgresCpu();
      const server0 = processCpuSeconds(server.child.pid!);
      const res = await load({
        url: server.url + path,
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': key },
        body,
        duration: seconds,
        connections: 16,
      });
      if (res.errors || res.non2xx) throw new Error(`${server.url}: ${res.errors} errors, ${res.non2xx} non-2xx`);
      const serverSeconds = processCpuSeconds(server.child.pid!) - server0;
      return {
        rps: res.rps,
        pgCores: postgresCpuSince(cpu0) / seconds,
        serverUsPerRequest: (serverSeconds * 1e6) / (res.rps * seconds),
      };
    };
    const on: number[] = [];
    const off: number[] = [];
    const ratios: number[] = [];
    const pgOn: number[] = [];
    const pgOff: number[] = [];
    const cpuOn: number[] = [];
    const cpuOff: number[] = [];
    const pairs = 2 * Math.max(4, ROUNDS * 2);
    // Two sessions with opposite boot order: in control runs the server booted first measured 4-8% faster than its
    // twin, so each order gets half of the pairs and the bias cancels in the median.
    for (const auditedFirst of [false, true]) {
      const first = await boot(auditedFirst && !control);
      const second = await boot(!auditedFirst && !control);
      const [audited, disabled] = auditedFirst ? [first, second] : [second, first];
      try {
        for (const server of [audited, disabled, audited, disabled]) await measure(server, WARMUP_S);
        for (let pair = 0; pair < pairs / 2; pair++) {
          const order = pair % 2 === 0 ? [audited, disabled] : [disabled, audited];
          const got = new Map<Server, Sample>();
          for (const server of order) got.set(server, await measure(server, WINDOW_S));
          const a = got.get(audited)!;
          const d = got.get(disabled)!;
          on.push(a.rps);
          off.push(d.rps);
          pgOn.push(a.pgCores);
          pgOff.push(d.pgCores);
          cpuOn.push(a.serverUsPerRequest);
          cpuOff.push(d.serverUsPerRequest);
          ratios.push(a.rps / d.rps);
          if (process.env.BENCH_VERBOSE)
            console.log(
              `  ${auditedFirst ? 'audited' : 'disabled'} booted first, pair ${pair}: audited ${fmt(a.rps)} req/s, disabled ${fmt(d.rps)} req/s, ratio ${fmt(a.rps / d.rps)}`,
            );
        }
      } finally {
        await first.stop();
        await second.stop();
      }
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
      `\nPOST ${path}: ${control ? 'CONTROL, both servers audit-disabled' : 'audited vs AUDIT_ENABLED=false'} (${pairs} pairs of alternating ${WINDOW_S} s windows after ${WARMUP_S} s warm-up each, 16 connections; database backends ${pinBackends ? `pinned to CPU ${LOAD_CPU}` : 'unpinned'})`,
    );
    console.log(`  audited req/s            : ${spread(on)}`);
    console.log(`  audit disabled req/s     : ${spread(off)}`);
    console.log(`  ratio audited/disabled   : ${spread(ratios)}   (${n} audit rows written during the run)`);
    console.log(`  PostgreSQL CPU (cores)   : audited ${spread(pgOn)}, disabled ${spread(pgOff)}`);
    console.log(`  server CPU µs/request    : audited ${spread(cpuOn)}, disabled ${spread(cpuOff)}`);
    const pass = median(ratios) >= 0.85;
    console.log(`  target >= 0.85x: ${pass ? 'MET' : 'NOT MET'} (median ${fmt(median(ratios))}x)`);
    return pass;
  } finally {
    rmSync(spool, { recursive: true, force: true });
    await admin((c) => c.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`));
  }
}

/** Moves the PostgreSQL backends serving `db` to the load generator's core (they are re-found before each window). */
async function pinDatabaseBackends(db: string): Promise<void> {
  const pids = await admin(
    async (c) =>
      (await c.query('SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [db]))
        .rows as Array<{ pid: number }>,
  );
  for (const { pid } of pids) spawnSync('taskset', ['-p', '-c', LOAD_CPU, String(pid)], { stdio: 'ignore' });
}

/** CPU seconds (user + system) one process has used so far (Linux /proc). */
function processCpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** CPU seconds used so far by each local postgres process (Linux /proc), to show where audit cost lands. */
function postgresCpu(): Map<number, number> {
  const seconds = new Map<number, number>();
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'postgres')
        seconds.set(Number(pid), processCpuSeconds(Number(pid)));
    } catch {
      // the process ended between listing and reading
    }
  }
  return seconds;
}

/** CPU used by postgres processes since `before`, per process, so a backend that exits meanwhile cannot make it negative. */
function postgresCpuSince(before: Map<number, number>): number {
  let total = 0;
  for (const [pid, seconds] of postgresCpu()) total += Math.max(0, seconds - (before.get(pid) ?? 0));
  return total;
}

async function main(): Promise<boolean> {
  console.log(`\n== bench/audit (${ROUNDS} interleaved rounds; PostgreSQL ${new URL(PG).host})`);
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
