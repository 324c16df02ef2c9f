#!/usr/bin/env node
// Node 20's test runner takes no glob patterns, so this lists test files itself.
// Usage: node scripts/run-tests.mjs <dir> [--exclude <dir>]... [-- extra node --test flags]
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';

const args = process.argv.slice(2);
const sep = args.indexOf('--');
const own = sep >= 0 ? args.slice(0, sep) : args;
const extra = sep >= 0 ? args.slice(sep + 1) : [];
const roots = [];
const excluded = [];
for (let i = 0; i < own.length; i++) {
  if (own[i] === '--exclude') excluded.push(path.normalize(own[++i]));
  else roots.push(own[i]);
}
const files = [];
const walk = (dir) => {
  if (excluded.includes(path.normalize(dir))) return;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p);
    else if (e.name.endsWith('.test.ts')) files.push(p);
  }
};
roots.forEach(walk);
files.sort();
if (files.length === 0) {
  console.error(`no test files under ${roots.join(', ')}`);
  process.exit(1);
}
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', ...extra, ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
