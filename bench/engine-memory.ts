/**
 * Heap the alert engine holds per registered sensor, with the default rules (issue 16: bytes per
 * sensor). Every sensor is registered by the ticks (EN5), none has reported.
 * Usage: node --expose-gc --import tsx bench/engine-memory.ts <registry file>
 * (a city-load run caches fleet registries under .bench/, e.g. fleet-200000-200-320-1000.registry.ndjson).
 */
import { createAlertEngine, loadAqiTable, loadRules } from '../alerts/index.ts';
import { Registry } from '../registry/index.ts';

const file = process.argv[2];
if (!file) throw new Error('usage: engine-memory.ts <registry file>');
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
const registry = await Registry.load(file);
const rules = await loadRules([new URL('../config/rules.default.yaml', import.meta.url).pathname]);
gc();
gc();
const before = process.memoryUsage().heapUsed;
const engine = createAlertEngine({ rules, aqiTable: loadAqiTable(), sensors: () => registry.sensors() });
const t0 = Date.now();
// Enough ticks for EN5 to register the whole fleet (5,000 a tick).
for (let i = 0; i * 5_000 < registry.size + 5_000; i++) engine.onTick(t0 + i * 1000);
gc();
gc();
const after = process.memoryUsage().heapUsed;
process.stdout.write(`${JSON.stringify({ sensors: registry.size, openAlerts: engine.open().length, engineHeapPerSensorBytes: Math.round((after - before) / registry.size) })}\n`);
