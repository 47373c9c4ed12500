import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * `npm run bench`: runs every compiled benchmark in dist/bench (all but this runner and the helpers) one
 * after the other, each in its own process, and exits non-zero if any missed its target or failed.
 */
const HELPERS = new Set(['run.js', 'lib.js', 'bare-app.js']);
const only = process.argv.slice(2);
const benches = readdirSync(__dirname)
  .filter((f) => f.endsWith('.js') && !HELPERS.has(f))
  .filter((f) => only.length === 0 || only.some((o) => f.startsWith(o)))
  .sort();

let failed = 0;
for (const file of benches) {
  const res = spawnSync(process.execPath, [join(__dirname, file)], { stdio: 'inherit' });
  if (res.status !== 0) {
    failed++;
    console.log(`!! ${file} exited with ${res.status}`);
  }
}
console.log(`\nbench: ${benches.length - failed} met target, ${failed} missed or failed`);
process.exit(failed ? 1 : 0);
