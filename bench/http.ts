import { join } from 'node:path';
import { fmt, load, median, pinSelf, spread, startServer } from './lib';

/**
 * Full Bulwark stack (pino request logging, metrics, API-key auth, problem filter, validation pipe) against
 * a bare NestJS-Fastify app serving the same routes. Target: full >= 0.5x bare throughput on /health/live.
 */
const ROUNDS = Number(process.argv[2] ?? 5);
const ADMIN_KEY = 'bench-admin-key-0123456789abcdefghijklmnopqrstu';

export async function runHttpBench(): Promise<boolean> {
  console.log(
    `\n== bench/http: full Bulwark vs bare NestJS-Fastify (${ROUNDS} interleaved rounds, 3 s each, 32 connections)`,
  );
  console.log(pinSelf());
  const bare = await startServer(join(__dirname, 'bare-app.js'), 3101, {});
  const full = await startServer(join(__dirname, '..', 'src', 'main.js'), 3102, {
    NODE_ENV: 'development',
    PGLITE_DIR: 'memory://',
    DATABASE_URL: '',
    ADMIN_API_KEY: ADMIN_KEY,
    LOG_LEVEL: 'info',
    SHUTDOWN_DRAIN_MS: '0',
  });
  try {
    const created = await fetch(`${full.url}/api/admin/api-keys`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': ADMIN_KEY },
      body: JSON.stringify({ name: 'bench', role: 'client', tenantId: 'bench' }),
    });
    const { key } = (await created.json()) as { key: string };
    const routes = [
      { name: 'GET /health/live', path: '/health/live', headers: {} },
      { name: 'GET /api/whoami (auth + JSON)', path: '/api/whoami', headers: { 'x-api-key': key } },
    ];
    const results = new Map<
      string,
      { bare: number[]; full: number[]; ratio: number[]; bareP99: number[]; fullP99: number[] }
    >();
    for (const r of routes) results.set(r.name, { bare: [], full: [], ratio: [], bareP99: [], fullP99: [] });
    for (const r of routes) {
      await load({ url: bare.url + r.path, headers: r.headers, duration: 1 });
      await load({ url: full.url + r.path, headers: r.headers, duration: 1 });
    }
    for (let round = 0; round < ROUNDS; round++) {
      for (const r of routes) {
        const entry = results.get(r.name)!;
        const order = round % 2 === 0 ? (['bare', 'full'] as const) : (['full', 'bare'] as const);
        const got: Record<string, { rps: number; p99: number }> = {};
        for (const which of order) {
          const res = await load({ url: (which === 'bare' ? bare : full).url + r.path, headers: r.headers });
          if (res.errors || res.non2xx)
            throw new Error(`${which} ${r.path}: ${res.errors} errors, ${res.non2xx} non-2xx`);
          got[which] = res;
        }
        entry.bare.push(got.bare.rps);
        entry.full.push(got.full.rps);
        entry.bareP99.push(got.bare.p99);
        entry.fullP99.push(got.full.p99);
        entry.ratio.push(got.full.rps / got.bare.rps);
      }
    }
    let ok = true;
    for (const [name, e] of results) {
      console.log(`\n${name}`);
      console.log(`  bare Nest-Fastify req/s: ${spread(e.bare)}   p99 ms: ${spread(e.bareP99)}`);
      console.log(`  full Bulwark      req/s: ${spread(e.full)}   p99 ms: ${spread(e.fullP99)}`);
      console.log(`  ratio full/bare        : ${spread(e.ratio)}`);
      if (name.startsWith('GET /health/live')) {
        const pass = median(e.ratio) >= 0.5;
        ok &&= pass;
        console.log(`  target >= 0.50x on /health/live: ${pass ? 'MET' : 'NOT MET'} (median ${fmt(median(e.ratio))}x)`);
      }
    }
    return ok;
  } finally {
    await Promise.all([bare.stop(), full.stop()]);
  }
}

if (require.main === module) {
  // A wedged server must fail the run, not hang it.
  setTimeout(() => {
    console.error('bench/http: timed out after 10 minutes');
    process.exit(1);
  }, 600_000).unref();
  runHttpBench().then(
    (ok) => process.exit(ok ? 0 : 1),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
