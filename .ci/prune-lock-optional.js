#!/usr/bin/env node
// The registry this project installs from serves only the Linux builds of packages with per-platform
// binaries (@swc/core-*, @unrs/resolver-binding-*). npm then writes a lock whose entries still name the
// other platforms' optional packages without locking them, and `npm ci` refuses that lock as out of sync.
// This drops, from each locked package's optionalDependencies, the names the lock has no entry for, so
// `npm ci` installs exactly what the lock holds. Run it (npm run lock:prune) after any `npm install`.
const fs = require('node:fs');
const path = require('node:path');

const file = path.join(__dirname, '..', 'package-lock.json');
const lock = JSON.parse(fs.readFileSync(file, 'utf8'));
const locked = new Set(Object.keys(lock.packages).map((k) => k.replace(/^.*node_modules\//, '')));
let removed = 0;
for (const entry of Object.values(lock.packages)) {
  if (!entry.optionalDependencies) continue;
  for (const name of Object.keys(entry.optionalDependencies)) {
    if (!locked.has(name)) {
      delete entry.optionalDependencies[name];
      removed++;
    }
  }
}
fs.writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`package-lock.json: removed ${removed} unlockable optional dependency names`);
