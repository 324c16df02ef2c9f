import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { airQualityDashboard } from './src/air-quality.ts';
import { overviewDashboard } from './src/overview.ts';
import { parkingDashboard } from './src/parking.ts';
import { DATASOURCE } from './src/shared.ts';
import { pipelineDashboard } from './src/pipeline.ts';
import { streetlightDashboard } from './src/streetlight.ts';
import { waterLevelDashboard } from './src/water-level.ts';

/**
 * Renders the dashboards-as-code to Grafana provisioning JSON. The JSON is committed
 * (Grafana reads it from disk); test/dashboards/drift.test.ts fails when it is stale
 * (STYLE.md habit 12). Run `npm run dashboards` (tsx dashboards/generate.ts) to refresh.
 */

/** File name (also the dashboard uid + .json) → builder. Order = order in Grafana's list. */
export const DASHBOARDS: ReadonlyArray<{ readonly file: string; readonly build: () => Dashboard }> = [
  { file: 'civic-overview.json', build: overviewDashboard },
  { file: 'civic-air-quality.json', build: airQualityDashboard },
  { file: 'civic-water-level.json', build: waterLevelDashboard },
  { file: 'civic-streetlight.json', build: streetlightDashboard },
  { file: 'civic-parking.json', build: parkingDashboard },
  { file: 'civic-pipeline.json', build: pipelineDashboard },
];

/** Where the generated JSON lives; mounted read-only into Grafana by docker-compose.yml. */
export const OUTPUT_DIR = fileURLToPath(new URL('./provisioning/dashboards/', import.meta.url));

/** Recursively sorts object keys so the output does not depend on builder call order. */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined && typeof v !== 'function') out[key] = sortKeys(v);
    }
    return out;
  }
  return value;
}

/**
 * Panel ids are stable positions (1..n) so links and repeats survive regeneration.
 * The SDK defaults annotation and link `placement` to "inControlsMenu", which hides the
 * alert toggles and the dashboard menu inside Grafana 12's controls drop-down; we want them
 * visible, so the field is dropped. Empty annotation/variable sets become `{ list: [] }`,
 * the shape Grafana itself saves.
 */
function finalize(d: Dashboard): unknown {
  (d.panels ?? []).forEach((p, i) => {
    p.id = i + 1;
    // Panel-level datasource = the targets' one; without it Grafana resolves the default datasource.
    if ('targets' in p && (p.targets ?? []).length > 0) p.datasource = DATASOURCE;
  });
  d.annotations = { list: (d.annotations?.list ?? []).map(({ placement: _p, ...a }) => a) };
  d.templating = { list: d.templating?.list ?? [] };
  d.links = (d.links ?? []).map(({ placement: _p, ...l }) => l);
  return sortKeys(d);
}

/** File name → JSON text (2-space indent, sorted keys, trailing newline). Pure: no I/O. */
export function renderDashboards(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const { file, build } of DASHBOARDS) out[file] = `${JSON.stringify(finalize(build()), null, 2)}\n`;
  return out;
}

/** Writes every dashboard and removes generated files no longer produced. Returns the files written. */
export function writeDashboards(dir: string = OUTPUT_DIR): string[] {
  mkdirSync(dir, { recursive: true });
  const rendered = renderDashboards();
  for (const name of readdirSync(dir)) {
    if (name.endsWith('.json') && !(name in rendered)) rmSync(join(dir, name));
  }
  for (const [name, text] of Object.entries(rendered)) writeFileSync(join(dir, name), text);
  return Object.keys(rendered);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const f of writeDashboards()) console.log(`wrote ${join(OUTPUT_DIR, f)}`);
}
