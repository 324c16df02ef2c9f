// RG1/RG6: renders and writes the registry YAML off the main thread, so that re-rendering a
// 10,000-entry document (seconds) never stalls the broker's event loop. Plain JavaScript so it
// runs in a worker thread without the TypeScript loader. Owned by registry/writer.ts.
import { open, readFile, rename, stat } from 'node:fs/promises';
import { parentPort } from 'node:worker_threads';
import YAML, { isMap, isSeq } from 'yaml';

const SECTION = { sensor: 'sensors', gateway: 'gateways', integration: 'integrations' };
const FLOW_KEYS = ['name', 'location', 'params'];
let doc;
let docStamp;

async function stampOf(file) {
  const s = await stat(file);
  return `${s.ino}:${s.size}:${s.mtimeMs}`;
}

function apply(edits) {
  const index = new Map();
  for (const kind of Object.keys(SECTION)) {
    const seq = doc.get(SECTION[kind]);
    if (isSeq(seq)) for (const item of seq.items) if (isMap(item)) index.set(`${kind}:${String(item.get('id'))}`, item);
  }
  for (const e of edits) {
    const key = `${e.kind}:${e.id}`;
    if (e.op === 'add') {
      let seq = doc.get(SECTION[e.kind]);
      if (!isSeq(seq)) {
        seq = doc.createNode([]);
        doc.set(SECTION[e.kind], seq);
      }
      seq.flow = false;
      const node = doc.createNode(e.entry);
      // The demo registry writes small nested maps on one line; new entries follow that style.
      for (const k of FLOW_KEYS) {
        const child = node.get(k, true);
        if (isMap(child)) child.flow = true;
      }
      seq.items.push(node);
      index.set(key, node);
      continue;
    }
    const node = index.get(key);
    if (!node) throw new Error(`registry file has no ${e.kind} ${e.id}`);
    if (e.op === 'delete') {
      const seq = doc.get(SECTION[e.kind]);
      seq.items.splice(seq.items.indexOf(node), 1);
      index.delete(key);
      continue;
    }
    for (const [k, v] of Object.entries(e.patch)) {
      if (v === null || (k === 'disabled' && v === false)) node.delete(k);
      else {
        const child = doc.createNode(v);
        if (isMap(child) && FLOW_KEYS.includes(k)) child.flow = true;
        node.set(k, child);
      }
    }
  }
}

async function write(file, edits) {
  const stamp = await stampOf(file);
  if (!doc || stamp !== docStamp) doc = YAML.parseDocument(await readFile(file, 'utf8'));
  try {
    apply(edits);
  } catch (err) {
    doc = undefined; // partly edited: re-read next time
    throw err;
  }
  const text = doc.toString({ lineWidth: 0 });
  const tmp = `${file}.${process.pid}.tmp`;
  const fh = await open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, file);
  docStamp = await stampOf(file);
  return docStamp;
}

parentPort.on('message', (m) => {
  if (m.type === 'release') {
    doc = undefined;
    return;
  }
  write(m.file, m.edits).then(
    (stamp) => parentPort.postMessage({ seq: m.seq, ok: true, stamp }),
    (err) => {
      doc = undefined;
      parentPort.postMessage({ seq: m.seq, ok: false, error: String(err && err.message ? err.message : err) });
    },
  );
});
