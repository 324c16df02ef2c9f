#!/usr/bin/env node
// Map library choice for the console (CO-ids in ARCHITECTURE.md "Console"): 10,000 sensor points,
// no basemap, in Debian's headless chromium with the same flags the browser tests use.
// For Leaflet (canvas renderer, circle markers) and MapLibre GL JS (GeoJSON source, circle
// layer) it measures: time from page start to the points drawn, frames per second while
// panning and zooming for 3 s, a point click → handler latency, and the JS heap.
// Usage: node console/bench/map-10k.mjs [--points 10000] [--runs 3]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const arg = (name, dflt) => { const i = process.argv.indexOf(name); return i > 0 ? Number(process.argv[i + 1]) : dflt; };
const N = arg('--points', 10_000);
const RUNS = arg('--runs', 3);

// MapLibre is not a dependency (the console uses Leaflet, and one of MapLibre's packages wants
// Node >= 22, which would make every install warn): it is installed on demand into .bench/map.
const MAPLIBRE_VERSION = '6.20.0';
const mapDir = path.join(root, '.bench', 'map');
const maplibre = path.join(mapDir, 'node_modules', 'maplibre-gl', 'dist');
if (!existsSync(path.join(maplibre, 'maplibre-gl.mjs'))) {
  console.error(`installing maplibre-gl@${MAPLIBRE_VERSION} into ${path.relative(root, mapDir)} (once)`);
  mkdirSync(mapDir, { recursive: true });
  const r = spawnSync('npm', ['install', '--prefix', mapDir, '--no-save', '--no-fund', '--no-audit', '--silent', `maplibre-gl@${MAPLIBRE_VERSION}`], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('npm install maplibre-gl failed');
}
const rel = (p) => path.relative(root, path.join(maplibre, p));
const files = {
  '/leaflet.js': 'node_modules/leaflet/dist/leaflet.js',
  '/leaflet.css': 'node_modules/leaflet/dist/leaflet.css',
  '/maplibre-gl.mjs': rel('maplibre-gl.mjs'),
  '/maplibre-gl-shared.mjs': rel('maplibre-gl-shared.mjs'),
  '/maplibre-gl-worker.mjs': rel('maplibre-gl-worker.mjs'),
  '/maplibre-gl.css': rel('maplibre-gl.css'),
};

// Deterministic points around Taoyuan (24.99 N, 121.30 E), 4 colours like sensor kinds.
const points = `const N=${N};let s=20181001;const rnd=()=>((s=(s*1103515245+12345)%2147483648)/2147483648);
const pts=[];for(let i=0;i<N;i++)pts.push({id:'s'+i,lat:24.80+rnd()*0.35,lon:121.05+rnd()*0.45,c:['#2e7d32','#1565c0','#f9a825','#6d4c41'][i%4]});`;

const measureFps = `async function fps(step){const t0=performance.now();let frames=0;let worst=0;let last=t0;
return new Promise(res=>{function f(t){frames++;worst=Math.max(worst,t-last);last=t;step(t-t0);if(t-t0<3000)requestAnimationFrame(f);else res({fps:frames*1000/(t-t0),worstFrameMs:worst});}requestAnimationFrame(f);});}`;

const leafletPage = `<!doctype html><html><head><link rel="stylesheet" href="/leaflet.css"><style>html,body,#m{margin:0;height:100%}</style></head><body><div id="m"></div>
<script src="/leaflet.js"></script><script>${points}${measureFps}
(async()=>{const t0=performance.now();const map=L.map('m',{preferCanvas:true}).setView([24.97,121.27],11);
const r=L.canvas({padding:0.2});let clicked=0;
for(const p of pts)L.circleMarker([p.lat,p.lon],{renderer:r,radius:4,color:p.c,weight:1,fillOpacity:0.8}).on('click',()=>{clicked=performance.now();}).addTo(map);
await new Promise(r=>requestAnimationFrame(()=>requestAnimationFrame(r)));const drawn=performance.now()-t0;
const c=map.getCenter();const f=await fps((t)=>map.setView([c.lat+Math.sin(t/500)*0.05,c.lng+Math.cos(t/500)*0.05],11+Math.round((t/1000)%2),{animate:false}));
map.setView([24.97,121.27],11,{animate:false});
window.result={drawn,...f,heapMB:performance.memory.usedJSHeapSize/1048576,clickPoint:map.latLngToContainerPoint([pts[0].lat,pts[0].lon]),getClicked:()=>clicked};})();
</script></body></html>`;

const maplibrePage = `<!doctype html><html><head><link rel="stylesheet" href="/maplibre-gl.css"><style>html,body,#m{margin:0;height:100%}</style></head><body><div id="m"></div>
<script type="module">import * as maplibregl from '/maplibre-gl.mjs';${points}${measureFps}
const t0=performance.now();
const map=new maplibregl.Map({container:'m',center:[121.27,24.97],zoom:11,style:{version:8,sources:{},layers:[{id:'bg',type:'background',paint:{'background-color':'#f4f4f0'}}]}});
let clicked=0;
map.on('load',async()=>{map.addSource('s',{type:'geojson',data:{type:'FeatureCollection',features:pts.map(p=>({type:'Feature',properties:{id:p.id,c:p.c},geometry:{type:'Point',coordinates:[p.lon,p.lat]}}))}});
map.addLayer({id:'p',type:'circle',source:'s',paint:{'circle-radius':4,'circle-color':['get','c'],'circle-stroke-width':1,'circle-stroke-color':'#fff'}});
map.on('click','p',()=>{clicked=performance.now();});
map.once('idle',async()=>{const drawn=performance.now()-t0;
const f=await fps((t)=>map.jumpTo({center:[121.27+Math.cos(t/500)*0.05,24.97+Math.sin(t/500)*0.05],zoom:11+Math.round((t/1000)%2)}));
map.jumpTo({center:[121.27,24.97],zoom:11});await new Promise(r=>map.once('idle',r));
window.result={drawn,...f,heapMB:performance.memory.usedJSHeapSize/1048576,clickPoint:map.project([pts[0].lon,pts[0].lat]),getClicked:()=>clicked};});});
</script></body></html>`;

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const server = createServer(async (req, res) => {
  const url = (req.url ?? '/').split('?')[0];
  if (url === '/leaflet.html' || url === '/maplibre.html') {
    res.writeHead(200, { 'content-type': 'text/html' });
    return res.end(url === '/leaflet.html' ? leafletPage : maplibrePage);
  }
  const f = files[url];
  if (!f) { res.writeHead(404); return res.end(); }
  res.writeHead(200, { 'content-type': f.endsWith('css') ? 'text/css' : 'text/javascript' });
  res.end(await readFile(path.join(root, f)));
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${server.address().port}`;
const profile = await mkdtemp(path.join(tmpdir(), 'civic-bench-chromium-'));
const browser = await chromium.launchPersistentContext(profile, { executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS, viewport: { width: 1280, height: 800 } });

const out = {};
try {
  for (const lib of ['leaflet', 'maplibre']) {
    const runs = [];
    for (let i = 0; i < RUNS; i++) {
      const page = await browser.newPage();
      const errors = [];
      page.on("pageerror", (e) => errors.push(e.message));
      page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
      const t = Date.now();
      await page.goto(`${base}/${lib}.html`);
      const ok = await page.waitForFunction(() => window.result, null, { timeout: 60_000 }).then(() => true, () => false);
      if (!ok) { runs.push({ failed: true, errors }); await page.close(); break; }
      const r = await page.evaluate(() => ({ ...window.result, getClicked: undefined }));
      const before = await page.evaluate(() => performance.now());
      await page.mouse.click(r.clickPoint.x, r.clickPoint.y);
      await page.waitForFunction(() => window.result.getClicked() > 0, null, { timeout: 5000 }).catch(() => undefined);
      const clickedAt = await page.evaluate(() => window.result.getClicked());
      runs.push({ loadToDrawnMs: Math.round(r.drawn), wallMs: Date.now() - t, fps: +r.fps.toFixed(1), worstFrameMs: Math.round(r.worstFrameMs), clickMs: clickedAt ? Math.round(clickedAt - before) : null, heapMB: +r.heapMB.toFixed(1), errors });
      await page.close();
    }
    const med = (k) => [...runs.map((x) => x[k])].sort((a, b) => a - b)[Math.floor(runs.length / 2)];
    out[lib] = { points: N, runs, median: { loadToDrawnMs: med('loadToDrawnMs'), fps: med('fps'), worstFrameMs: med('worstFrameMs'), clickMs: med('clickMs'), heapMB: med('heapMB') } };
  }
} finally {
  await browser.close();
  server.close();
  await rm(profile, { recursive: true, force: true });
}
console.log(JSON.stringify(out, null, 2));
