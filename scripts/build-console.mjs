#!/usr/bin/env node
// Builds the public page and the staff console (console/ → console/dist) with Vite when the
// build is missing or older than its sources. Run by `npm install` (prepare), `npm start`
// (prestart) and the browser tests; `--force` always builds. Nothing built is committed.
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dir = path.join(root, 'console');
const stamp = path.join(dir, 'dist', '.built');
const sources = [path.join(dir, 'src'), path.join(dir, 'index.html'), path.join(dir, 'console'), path.join(dir, 'vite.config.ts'), path.join(root, 'alerts', 'aqi', 'moenv-2025.json'), path.join(root, 'package-lock.json')];

function newest(p) {
  if (!existsSync(p)) return 0;
  const st = statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  return readdirSync(p).reduce((m, f) => Math.max(m, newest(path.join(p, f))), st.mtimeMs);
}

export async function buildConsole({ force = false } = {}) {
  const built = existsSync(stamp) ? statSync(stamp).mtimeMs : 0;
  if (!force && built && built >= Math.max(...sources.map(newest))) return false;
  const { build } = await import('vite');
  await build({ configFile: path.join(dir, 'vite.config.ts'), logLevel: 'warn' });
  writeFileSync(stamp, new Date().toISOString() + '\n');
  return true;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const t = Date.now();
  const did = await buildConsole({ force: process.argv.includes('--force') });
  process.stdout.write(did ? `console built in ${Date.now() - t} ms → console/dist\n` : 'console build is up to date\n');
}
