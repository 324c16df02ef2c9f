/**
 * Heap retained by a loaded registry, per sensor, and its load time.
 * Usage: node --expose-gc --import tsx bench/registry-memory.ts <registry.yaml>
 * (the bench caches 10k/100k registries under .bench/ after a city-load run).
 */
import { Registry } from '../registry/index.ts';

const file = process.argv[2];
if (!file) throw new Error('usage: registry-memory.ts <registry.yaml>');
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
gc();
const before = process.memoryUsage().heapUsed;
const started = performance.now();
const registry = await Registry.load(file);
const loadMs = performance.now() - started;
gc();
gc();
const after = process.memoryUsage().heapUsed;
process.stdout.write(`${JSON.stringify({ sensors: registry.size, loadMs: Math.round(loadMs), heapPerSensorBytes: Math.round((after - before) / registry.size) })}\n`);
