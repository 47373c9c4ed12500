/**
 * Engine guard benchmark. Every figure is a ratio against a baseline measured in the same run, A and B
 * interleaved several times, reported as median and min-max.
 *   1. Serialisation: sanitise + JSON.stringify vs plain JSON.stringify on clean 1/10/100 KB payloads and on
 *      a worst case (every other number non-finite).
 *   2. End to end: /api/calculate throughput with the guard on vs off (two server processes).
 *   3. /health/live p99 latency while calculation requests saturate the server.
 * Run: npm run build && node dist/bench/engine-guard.js
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { benchPort } from './lib';
import { sanitizeValue, type SanitizeOptions } from '../src/engine-guard/sanitize';

const ROUNDS = 9;
const SLICE_MS = 120;
const E2E_ROUNDS = 5;
const E2E_SECONDS = 3;
const WARMUP_SECONDS = 3;
const CONNECTIONS = 16;
const TASKSET = '/usr/bin/taskset';
const SERVER_CORE = '0';
const LOAD_CORE = '1';
const GUARD: SanitizeOptions = { mode: 'null', maxDepth: 64, maxNodes: 100_000 };

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (xs: number[], digits = 2): string =>
  `median ${median(xs).toFixed(digits)}  (min ${Math.min(...xs).toFixed(digits)}, max ${Math.max(...xs).toFixed(digits)})`;

/** Calculation-result-like records: numbers, nested objects, arrays, strings, some nulls. */
function payload(bytes: number, bad: boolean): unknown {
  const items: unknown[] = [];
  let i = 0;
  const num = (x: number): number => (bad && i % 2 === 0 ? [Number.NaN, Infinity, -Infinity][i % 3] : x);
  while (JSON.stringify(items).length < bytes) {
    items.push({
      id: `fund-${i}`,
      asOf: '2024-12-31',
      irr: num(0.1 + i / 1000),
      moic: num(1.2 + i / 100),
      dpi: i % 7 === 0 ? null : 0.4,
      flows: [-1000, 250.5, num(300.25), 800],
      percentiles: { p5: 0.8, p25: 1.1, p50: num(1.3), p75: 1.5, p95: num(1.9) },
    });
    i++;
  }
  return { count: items.length, items };
}

function opsPerMs(fn: () => void): number {
  let ops = 0;
  const start = performance.now();
  let now = start;
  while (now - start < SLICE_MS) {
    for (let k = 0; k < 10; k++) fn();
    ops += 10;
    now = performance.now();
  }
  return ops / (now - start);
}

function serialisation(): void {
  console.log('\n1. Serialisation, in process: guarded = sanitizeValue + JSON.stringify; baseline = JSON.stringify');
  console.log(`   ${ROUNDS} interleaved rounds of ${SLICE_MS} ms each; ratio = guarded time / baseline time`);
  const cases: Array<[string, unknown, number]> = [
    ['clean 1 KB', payload(1024, false), 1.3],
    ['clean 10 KB', payload(10 * 1024, false), 1.3],
    ['clean 100 KB', payload(100 * 1024, false), 1.3],
    ['worst 100 KB (1 in 2 numbers non-finite)', payload(100 * 1024, true), 2.5],
  ];
  for (const [name, value, target] of cases) {
    const plain = (): void => void JSON.stringify(value);
    const guarded = (): void => void JSON.stringify(sanitizeValue(value, GUARD).value);
    opsPerMs(plain);
    opsPerMs(guarded);
    const ratios: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      // Alternate which side goes first so drift in the machine's speed does not favour one.
      let plainOps: number;
      let guardedOps: number;
      if (r % 2) {
        guardedOps = opsPerMs(guarded);
        plainOps = opsPerMs(plain);
      } else {
        plainOps = opsPerMs(plain);
        guardedOps = opsPerMs(guarded);
      }
      ratios.push(plainOps / guardedOps);
    }
    const verdict = median(ratios) <= target ? 'ok' : 'OVER TARGET';
    console.log(`   ${name.padEnd(42)} ${fmt(ratios)}  target <= ${target}x  ${verdict}`);
  }
}

interface Server {
  name: string;
  url: string;
  child: ChildProcess;
  stopping: boolean;
}

const ADMIN_KEY = `bench-${randomBytes(24).toString('hex')}`;
const canPin = existsSync(TASKSET);

async function startServer(name: string, port: number, guardEnabled: boolean): Promise<Server> {
  const main = join(__dirname, '..', 'src', 'main.js');
  const env = {
    NODE_ENV: 'development',
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'warn',
    PGLITE_DIR: 'memory://',
    ADMIN_API_KEY: ADMIN_KEY,
    ENGINE_GUARD_ENABLED: String(guardEnabled),
    SHUTDOWN_DRAIN_MS: '0',
  };
  const [cmd, args] = canPin ? [TASKSET, ['-c', SERVER_CORE, process.execPath, main]] : [process.execPath, [main]];
  const child = spawn(cmd, args, { env, stdio: ['ignore', 'ignore', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  const server: Server = { name, url, child, stopping: false };
  child.once('exit', (code, signal) => {
    if (!server.stopping)
      console.log(`   ERROR ${name} server (pid ${child.pid}) exited: code ${code}, signal ${signal}`);
  });
  for (let i = 0; i < 300 && child.exitCode === null; i++) {
    try {
      if ((await fetch(`${url}/health/ready`)).ok) return server;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`${name} server did not become ready (exit code ${child.exitCode})`);
}

async function stopServer(server: Server): Promise<void> {
  server.stopping = true;
  if (server.child.exitCode !== null || server.child.signalCode !== null) return;
  const exited = new Promise((resolve) => server.child.once('exit', resolve));
  server.child.kill('SIGTERM');
  await exited;
}

const FUND = {
  cashFlows: Array.from({ length: 20 }, (_, i) => ({
    date: `${2015 + Math.floor(i / 2)}-${i % 2 ? '06' : '01'}-15`,
    amount: i < 8 ? -250_000 : 180_000,
  })),
  residualValue: 900_000,
  volatility: 0.25,
  horizonYears: 3,
  seed: 42,
};

function load(url: string, path: string, body: unknown, connections: number, seconds: number) {
  return autocannon({
    url: `${url}${path}`,
    connections,
    duration: seconds,
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': ADMIN_KEY },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

function checkClean(result: autocannon.Result, what: string): void {
  if (result['2xx'] === 0) throw new Error(`${what}: no successful response (${result.errors} errors); aborting`);
  if (result.non2xx || result.errors)
    console.log(`   WARNING ${what}: ${result.non2xx} non-2xx, ${result.errors} errors (figures suspect)`);
}

async function endToEnd(on: Server, off: Server): Promise<void> {
  const body = { ...FUND, simulations: 1_000 };
  console.log(`\n2. End to end: POST /api/calculate (20 flows, 1 000 simulations), ${CONNECTIONS} connections`);
  console.log(
    `   ${E2E_ROUNDS} interleaved rounds of ${E2E_SECONDS} s per side; ratio = guarded req/s / unguarded req/s`,
  );
  // JIT warm-up of both servers before anything is measured.
  for (const s of [on, off]) await load(s.url, '/api/calculate', body, CONNECTIONS, WARMUP_SECONDS);
  const ratios: number[] = [];
  for (let r = 0; r < E2E_ROUNDS; r++) {
    const order = r % 2 ? [off, on] : [on, off];
    const rps = new Map<Server, number>();
    for (const s of order) {
      const result = await load(s.url, '/api/calculate', body, CONNECTIONS, E2E_SECONDS);
      checkClean(result, s.name);
      rps.set(s, result['2xx'] / result.duration);
    }
    ratios.push(rps.get(on)! / rps.get(off)!);
    console.log(
      `   round ${r + 1}: guarded ${rps.get(on)!.toFixed(0)} req/s, unguarded ${rps.get(off)!.toFixed(0)} req/s`,
    );
  }
  console.log(
    `   throughput ratio ${fmt(ratios, 3)}  target >= 0.9x  ${median(ratios) >= 0.9 ? 'ok' : 'UNDER TARGET'}`,
  );
}

async function liveness(server: Server): Promise<void> {
  console.log(`\n3. /health/live latency while ${CONNECTIONS} connections saturate /api/calculate (guard on)`);
  for (const simulations of [10_000, 100_000]) {
    const body = { ...FUND, simulations };
    const [calc, live] = await Promise.all([
      load(server.url, '/api/calculate', body, CONNECTIONS, 5),
      load(server.url, '/health/live', undefined, 1, 5),
    ]);
    checkClean(calc, 'calculate');
    checkClean(live, 'live');
    const rps = calc['2xx'] / calc.duration;
    const p99 = live.latency.p99;
    console.log(
      `   ${String(simulations).padStart(7)} simulations/request: calculate ${rps.toFixed(0)} req/s, ` +
        `calc p99 ${calc.latency.p99} ms; /health/live p50 ${live.latency.p50} ms, p99 ${p99} ms, max ${live.latency.max} ms` +
        `  target p99 < 50 ms  ${p99 < 50 ? 'ok' : 'OVER TARGET'}`,
    );
  }
}

async function main(): Promise<void> {
  const pinned = canPin && spawnSync(TASKSET, ['-pc', LOAD_CORE, String(process.pid)]).status === 0;
  console.log('Engine guard benchmark');
  console.log(
    pinned
      ? `   pinning: servers on core ${SERVER_CORE}, this process (load generator, micro-benchmarks) on core ${LOAD_CORE} (taskset)`
      : '   pinning: taskset unavailable, processes share cores (figures noisier)',
  );
  const loadAverage = (): string =>
    loadavg()
      .map((l) => l.toFixed(2))
      .join(' ');
  console.log(`   load average at start: ${loadAverage()} (other processes on this 2-core machine add noise)`);
  serialisation();
  // Random ports: other benchmarks or servers on this machine may hold fixed ones.
  const base = benchPort();
  const on = await startServer('guarded', base, true);
  const off = await startServer('unguarded', base + 1, false);
  try {
    await endToEnd(on, off);
    await liveness(on);
  } finally {
    await Promise.all([stopServer(on), stopServer(off)]);
  }
  console.log(`\n   load average at end: ${loadAverage()}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
