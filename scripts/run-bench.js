#!/usr/bin/env node
// Runs every compiled benchmark under dist/bench (files named *.bench.js), one
// after the other so they do not compete for the two cores. Arguments keep only
// the benchmarks whose name contains one of them (`npm run bench -- jit`).
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const dir = new URL('../dist/bench/', import.meta.url).pathname;
const filters = process.argv.slice(2);
const benches = readdirSync(dir).filter((n) => n.endsWith('.bench.js')).sort()
  .filter((n) => filters.length === 0 || filters.some((f) => n.includes(f)));
let failed = 0;
for (const name of benches) {
  console.log(`\n## ${name.replace(/\.bench\.js$/, '')}\n`);
  const r = spawnSync(process.execPath, ['--expose-gc', join(dir, name)], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
