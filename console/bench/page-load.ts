// Page-load figures for the README (CO10): the whole pipeline in-process on loopback, Debian's
// headless chromium with the browser tests' flags.
//  1. public page on the demo registry with the simulators running: first contentful paint and
//     "first meaningful paint" = the sensor list holds rows and the map canvas is drawn;
//  2. staff console map with a 10,000-sensor registry: sign-in → all 10,000 points drawn, then
//     frames per second while panning/zooming for 3 s, and the JS heap.
// Usage: node --import tsx console/bench/page-load.ts [--runs 5]
// README pictures: add `--screenshots docs/console`; `--screenshots-only` skips the measurements
// (the demo pipeline with simulators only; shrunk with pngquant when it is installed).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import type { Page } from 'playwright-core';
import { App } from '../../app/app.ts';
import { loadConfig } from '../../app/config.ts';
import { PasswordFile } from '../../exporter/console/index.ts';
import { ensureFleet } from '../../bench/fleet.ts';
import { launch } from '../../test/console/browser.ts';
import { buildConsole } from '../../scripts/build-console.mjs';

const i = process.argv.indexOf('--runs');
const RUNS = i > 0 ? Number(process.argv[i + 1]) : 5;
const si = process.argv.indexOf('--screenshots');
const SHOTS = si > 0 ? path.resolve(process.argv[si + 1]!) : undefined;
const SHOTS_ONLY = process.argv.includes('--screenshots-only');
if (SHOTS_ONLY && !SHOTS) throw new Error('--screenshots-only needs --screenshots DIR');
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function withApp<T>(overrides: Record<string, unknown>, run: (url: string, dataDir: string, app: App) => Promise<T>): Promise<T> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'civic-page-bench-'));
  const app = new App(loadConfig({}, { dataDir, 'mqtt.port': 0, 'mqtt.publicWsPort': -1, 'http.port': 0, 'log.level': 'silent', ...overrides }), pino({ level: 'silent' }));
  const { url } = await app.start();
  try {
    return await run(url, dataDir, app);
  } finally {
    await app.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await buildConsole();
const browser = await launch();
const out: Record<string, unknown> = {};
try {
  // Screenshots only: the simulators in real time (an accelerated run replays the past day
  // first, and ingest takes minutes to catch up), until nine in ten sensors are live.
  out.publicPage = await withApp({ 'simulate.enabled': true, 'simulate.speed': SHOTS_ONLY ? 1 : 30 }, async (url, dataDir, app) => {
    if (!SHOTS_ONLY) await new Promise((r) => setTimeout(r, 8000)); // the simulators fill the latest values
    else {
      const end = Date.now() + 180_000;
      for (;;) {
        const l = (await (await fetch(url + '/api/v1/latest')).json()) as { items: { stale: boolean }[] };
        if (l.items.filter((x) => !x.stale).length >= 0.9 * app.registry.size) break;
        if (Date.now() > end) throw new Error('the simulators did not catch up within 3 minutes');
        await new Promise((r) => setTimeout(r, 2000));
      }
    }
    const fcp: number[] = [];
    const fmp: number[] = [];
    let rows = 0;
    for (let r = 0; r < (SHOTS_ONLY ? 0 : RUNS); r++) {
      const page: Page = await browser.context.newPage();
      await page.goto(url + '/', { waitUntil: 'commit' });
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="public-sensors"] tbody tr').length > 0 && document.querySelector('[data-testid="public-map"] canvas'), null, { timeout: 20_000, polling: 'raf' });
      const m = await page.evaluate(() => ({ now: performance.now(), fcp: performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN, rows: document.querySelectorAll('[data-testid="public-sensors"] tbody tr').length }));
      fcp.push(Math.round(m.fcp));
      fmp.push(Math.round(m.now));
      rows = m.rows;
      await page.close();
    }
    if (SHOTS) {
      // README pictures with live demo data (--screenshots docs/console).
      const { mkdirSync } = await import('node:fs');
      mkdirSync(SHOTS, { recursive: true });
      const files: string[] = [];
      const shot = async (p: Page, name: string) => {
        const file = path.join(SHOTS, `${name}.png`);
        await p.screenshot({ path: file });
        files.push(file);
      };
      const page = await browser.context.newPage();
      await page.setViewportSize({ width: 1100, height: 760 });
      const outlines = page.waitForResponse((r) => r.url().endsWith('/console/api/districts')); // district outlines (canvas)
      await page.goto(url + '/');
      await page.waitForSelector('[data-testid="public-sensors"] tbody tr');
      await outlines;
      await page.waitForTimeout(500);
      await shot(page, 'public-page');
      await PasswordFile.inDataDir(dataDir).set('demo', 'operator', 'demo-password-123');
      await page.goto(url + '/console');
      await page.fill('input[name="username"]', 'demo');
      await page.fill('input[name="password"]', 'demo-password-123');
      await page.click('button[type="submit"]');
      await page.waitForSelector('[data-testid="alert-board"]');
      await page.waitForTimeout(1500);
      // A fresh demo often has no alert yet: then the board and alert-page pictures are the
      // browser test's (test/console/console.test.ts → .artifacts/console).
      const first = await page.locator('[data-testid="alert-board"] tbody tr a').first().getAttribute('href', { timeout: 2000 }).catch(() => null);
      if (!first) process.stdout.write('no alert on the demo board: console-board.png and console-alert.png not written\n');
      else {
        await shot(page, 'console-board');
        // The board's first row (highest severity, oldest) → its alert page.
        await page.goto(url + '/console' + first);
        await page.waitForSelector('[data-testid="alert-history"] tbody tr');
        await page.waitForSelector('[data-testid="alert-chart"] .uplot canvas', { timeout: 10_000 }).catch(() => undefined);
        await page.waitForTimeout(500);
        await shot(page, 'console-alert');
      }
      await page.goto(url + '/console#/map');
      await page.waitForSelector('[data-testid="console-map"] canvas');
      await page.waitForTimeout(800);
      await shot(page, 'console-map');
      await page.goto(url + '/console#/sensors');
      await page.waitForSelector('[data-testid="sensor-list"] td.completeness:not([data-completeness=""])');
      await page.waitForTimeout(300);
      await shot(page, 'console-sensors');
      await page.goto(url + '/console#/sensor/wl-nankan-taoyuan');
      await page.waitForSelector('[data-testid="sensor-chart"] .uplot canvas');
      await page.waitForTimeout(500);
      await shot(page, 'console-sensor');
      await page.close();
      // 256-colour palette PNGs: far smaller, still sharp for UI text (when pngquant is installed).
      const q = spawnSync('pngquant', ['--force', '--skip-if-larger', '--quality', '70-95', '--ext', '.png', ...files]);
      process.stdout.write(`${q.error ? 'pngquant not installed: PNGs as chromium wrote them' : 'pngquant'}: ${files.map((f) => `${path.basename(f)} ${Math.round(statSync(f).size / 1024)} KB`).join(', ')}\n`);
    }
    if (SHOTS_ONLY) return { screenshots: SHOTS };
    return { runs: RUNS, sensorsListed: rows, firstContentfulPaintMs: { median: med(fcp), all: fcp }, firstMeaningfulPaintMs: { median: med(fmp), all: fmp } };
  });

  if (!SHOTS_ONLY) {
    const fleet = await ensureFleet(path.resolve('.bench'), { sensors: 10_000, direct: 0, probes: 0, perGateway: 500 });
    out.consoleMap10k = await withApp({ 'simulate.enabled': false, registry: fleet.registryFile }, async (url, dataDir, app) => {
      await PasswordFile.inDataDir(dataDir).set('bench', 'viewer', 'bench-password-123');
      const page = await browser.context.newPage();
      await page.goto(url + '/console');
      await page.fill('input[name="username"]', 'bench');
      await page.fill('input[name="password"]', 'bench-password-123');
      await page.click('button[type="submit"]');
      await page.waitForSelector('[data-testid="alert-board"]');
      const drawn: number[] = [];
      let fps = 0;
      let heapMB = 0;
      for (let r = 0; r < RUNS; r++) {
        await page.goto('about:blank');
        const t0 = Date.now();
        await page.goto(url + '/console#/map');
        await page.waitForFunction(() => document.querySelector('#h-map .muted')?.textContent?.includes('10000') && document.querySelector('[data-testid="console-map"] canvas'), null, { timeout: 60_000, polling: 'raf' });
        await page.evaluate(() => new Promise((res) => requestAnimationFrame(() => requestAnimationFrame(res))));
        drawn.push(Date.now() - t0);
      }
      const box = (await page.locator('[data-testid="console-map"]').boundingBox())!;
      // A string, not a function: tsx would wrap a named inner function with a helper the page lacks.
      const f = (await page.evaluate(`new Promise((res) => { let frames = 0; const start = performance.now(); const tick = (t) => { frames++; if (t - start < 3000) requestAnimationFrame(tick); else res((frames * 1000) / (t - start)); }; requestAnimationFrame(tick); })`)) as number;
      // Drag-pan while the frame counter above is running would need two flows; pan explicitly instead.
      const t1 = Date.now();
      let frames = 0;
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      await page.mouse.down();
      for (let k = 0; k < 60; k++) {
        await page.mouse.move(box.x + box.width / 2 + Math.sin(k / 6) * 150, box.y + box.height / 2 + Math.cos(k / 6) * 100);
        frames++;
      }
      await page.mouse.up();
      fps = (frames * 1000) / (Date.now() - t1);
      heapMB = await page.evaluate(() => (performance as unknown as { memory: { usedJSHeapSize: number } }).memory.usedJSHeapSize / 1048576);
      // 500 open alerts on the board (through the alert service, as the engine would hand them over).
      const at = Date.now();
      const mk = (i: number) => {
        const s = [...app.registry.sensors()][i]!;
        return { type: 'opened' as const, alert: { id: `bench:${s.id}:${at}`, ruleId: 'bench.rule', subject: s.id, kind: s.kind, district: s.district.code, severity: (['critical', 'warning', 'advisory'] as const)[i % 3]!, state: 'open' as const, openedAt: at - i * 1000, updatedAt: at - i * 1000, message: { 'zh-TW': `測試示警 ${i}`, en: `Bench alert ${i}` } } };
      };
      await app.alerts.service.handle(Array.from({ length: 500 }, (_, k) => mk(k)));
      await page.goto('about:blank');
      const b0 = Date.now();
      await page.goto(url + '/console');
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="alert-board"] tbody tr').length >= 500 && document.querySelector('[data-testid="stream-state"].live'), null, { timeout: 60_000, polling: 'raf' });
      const boardMs = Date.now() - b0;
      const e0 = Date.now();
      await app.alerts.service.handle([mk(500)]);
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="alert-board"] tbody tr').length >= 501, null, { timeout: 10_000, polling: 'raf' });
      const eventMs = Date.now() - e0;
      return { openAlerts: 500, boardLoadTo500RowsMs: boardMs, newAlertOnBoardWith500Ms: eventMs, sensors: 10_000, runs: RUNS, loadToAllPointsDrawnMs: { median: med(drawn), all: drawn }, idleFps: Math.round(f), dragPanEventsPerSecond: Math.round(fps), heapMB: Math.round(heapMB) };
    });
  }
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify(out, null, 2) + '\n');
