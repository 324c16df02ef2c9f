#!/usr/bin/env node
// Keeps package-lock.json usable by `npm ci` on every platform.
//
// DuckDB ships its native binding as optional per-platform packages. With this
// workplace's npm settings (no registry URLs in the lock) npm records only the binding
// of the machine that ran `npm install`, and `npm ci` then refuses the lock as "out of
// sync". This adds the missing per-platform entries (version, os, cpu, libc, optional);
// npm skips them on other platforms and fetches the one that fits. Run it after any
// `npm install` that changes the lock.
import { readFileSync, writeFileSync } from 'node:fs';

const file = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(file, 'utf8'));
let added = 0;
for (const entry of Object.values(lock.packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const key = `node_modules/${name}`;
    if (lock.packages[key]) continue;
    const m = /-(darwin|linux|win32)-(arm64|x64)(-musl)?$/.exec(name);
    if (!m) continue;
    const libc = m[3] ? { libc: ['musl'] } : m[1] === 'linux' ? { libc: ['glibc'] } : {};
    lock.packages[key] = { version, cpu: [m[2]], ...libc, optional: true, os: [m[1]] };
    added++;
  }
}
lock.packages = Object.fromEntries(Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : 1)));
writeFileSync(file, JSON.stringify(lock, null, 2) + '\n');
console.log(`lock-platforms: added ${added} optional platform entries`);
