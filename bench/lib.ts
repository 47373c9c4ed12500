import autocannon from 'autocannon';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Shared benchmark plumbing. Every benchmark measures its baseline in the same run, interleaving A and B
 * several rounds, and reports the median with min–max. Servers are pinned to core 0 and the load
 * generator (this process) to core 1 when `taskset` exists, so they do not steal each other's CPU.
 */
export const SERVER_CPU = '0';
export const LOAD_CPU = '1';
export const HAS_TASKSET = existsSync('/usr/bin/taskset');

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function spread(xs: number[]): string {
  return `${fmt(median(xs))} (min ${fmt(Math.min(...xs))}, max ${fmt(Math.max(...xs))})`;
}

export function fmt(x: number, digits = 2): string {
  return Number.isFinite(x) ? x.toFixed(digits) : String(x);
}

/** Pins the current process to the load-generator core (best effort). */
export function pinSelf(): string {
  if (!HAS_TASKSET) return 'taskset not found: processes not pinned';
  const res = spawn('taskset', ['-cp', LOAD_CPU, String(process.pid)], { stdio: 'ignore' });
  res.on('error', () => undefined);
  return `server pinned to CPU ${SERVER_CPU}, load generator to CPU ${LOAD_CPU} (taskset)`;
}

/**
 * A random port below Linux's ephemeral range (32768-60999): a port picked inside it can be held at that moment by
 * the local end of an outgoing connection (the load generator's, PostgreSQL clients'), and the server then fails to
 * bind (seen: a benchmark server exiting with EADDRINUSE).
 */
export function benchPort(): number {
  return 20_000 + Math.floor(Math.random() * 12_000);
}

export interface Server {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts a Node entry point pinned to the server core, and waits until `readyPath` answers 200. */
export async function startServer(
  entry: string,
  port: number,
  env: Record<string, string>,
  readyPath = '/health/live',
): Promise<Server> {
  const args = HAS_TASKSET ? ['-c', SERVER_CPU, process.execPath, entry] : [entry];
  const command = HAS_TASKSET ? 'taskset' : process.execPath;
  const child = spawn(command, args, {
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${entry} exited with ${child.exitCode}`);
    try {
      const res = await fetch(url + readyPath);
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${entry} did not become ready`);
    await sleep(100);
  }
  return {
    url,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

export interface LoadResult {
  rps: number;
  p99: number;
  p50: number;
  errors: number;
  non2xx: number;
}

export async function load(options: autocannon.Options): Promise<LoadResult> {
  const result = await autocannon({ connections: 32, duration: 3, ...options });
  return {
    rps: result.requests.average,
    p99: result.latency.p99,
    p50: result.latency.p50,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}
