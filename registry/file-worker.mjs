// RG1/RG6/RG8: renders and writes the registry file (YAML, or NDJSON lines) off the main thread, so that re-rendering a
// 10,000-entry document (seconds) never stalls the broker's event loop. Plain JavaScript so it
// runs in a worker thread without the TypeScript loader. Owned by registry/writer.ts.
import { createReadStream } from 'node:fs';
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
  return replaceFile(file, (fh) => fh.writeFile(text));
}

/** Writes a temp file through `fill`, fsyncs it and renames it over `file`; returns the new stamp. */
async function replaceFile(file, fill) {
  const tmp = `${file}.${process.pid}.tmp`;
  const fh = await open(tmp, 'w', 0o600);
  try {
    await fill(fh);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, file);
  docStamp = await stampOf(file);
  return docStamp;
}

// RG8: an NDJSON registry is a header line and one sensor per line. Unchanged lines are written
// back as they were read; an edit re-serialises only its own line (or the header). The lines
// are kept as the bytes read (views into the read buffers, never decoded), and a write copies
// each run of untouched lines as one region, so at 1,000,000 sensors a write is a few hundred
// large writes instead of encoding and joining the whole file again (0.85 s → ~0.1 s).
const LINE = /\.(ndjson|jsonl)$/i;
const NL = 10;
const NEWLINE = Buffer.from('\n');
let lineDoc; // { header, sensors: Map<id, Buffer of the line, without its '\n'> }

const ID_PREFIX = Buffer.from('{"id":"');
/** The bytes allowed in an id ([A-Za-z0-9._-], schema.ts). */
const ID_BYTE = new Uint8Array(256);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-') ID_BYTE[c.charCodeAt(0)] = 1;

function lineId(line) {
  // Our own files start every entry with its id, read here from the bytes; anything else is parsed.
  if (line.length > 9 && line.compare(ID_PREFIX, 0, 7, 0, 7) === 0) {
    let j = 7;
    while (j < line.length && j < 71 && ID_BYTE[line[j]] === 1) j++;
    if (j > 7 && line[j] === 0x22) return line.toString('latin1', 7, j);
  }
  return JSON.parse(line.toString('utf8')).id;
}

async function readLines(file) {
  let header;
  const sensors = new Map();
  const take = (line) => {
    if (line.length && line[line.length - 1] === 13) line = line.subarray(0, line.length - 1);
    // blank as String.prototype.trim sees it (a line starting with '{' is not)
    if (line[0] !== 0x7b && line.toString('utf8').trim() === '') return;
    if (header === undefined) header = JSON.parse(line.toString('utf8'));
    else sensors.set(String(lineId(line)), line);
  };
  let carry; // the start of a line cut by the end of a read
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    let start = 0;
    for (let end = chunk.indexOf(NL, start); end >= 0; end = chunk.indexOf(NL, start)) {
      take(carry ? Buffer.concat([carry, chunk.subarray(start, end)]) : chunk.subarray(start, end));
      carry = undefined;
      start = end + 1;
    }
    if (start < chunk.length) carry = carry ? Buffer.concat([carry, chunk.subarray(start)]) : chunk.subarray(start);
  }
  if (carry) take(carry);
  return { header, sensors };
}

function patched(obj, patch) {
  for (const [k, v] of Object.entries(patch)) {
    if (v === null || (k === 'disabled' && v === false)) delete obj[k];
    else obj[k] = v;
  }
  return obj;
}

function applyLines(edits) {
  for (const e of edits) {
    if (e.kind === 'sensor') {
      const line = lineDoc.sensors.get(e.id);
      if (e.op === 'add') lineDoc.sensors.set(e.id, Buffer.from(JSON.stringify(e.entry)));
      else if (line === undefined) throw new Error(`registry file has no sensor ${e.id}`);
      else if (e.op === 'delete') lineDoc.sensors.delete(e.id);
      else lineDoc.sensors.set(e.id, Buffer.from(JSON.stringify(patched(JSON.parse(line.toString('utf8')), e.patch))));
      continue;
    }
    const key = SECTION[e.kind];
    const list = (lineDoc.header[key] ??= []);
    if (e.op === 'add') {
      list.push(e.entry);
      continue;
    }
    const i = list.findIndex((x) => x.id === e.id);
    if (i < 0) throw new Error(`registry file has no ${e.kind} ${e.id}`);
    if (e.op === 'delete') list.splice(i, 1);
    else list[i] = patched(list[i], e.patch);
  }
}

/**
 * The file's bytes after the header: every line followed by '\n', in map order. Lines that lie
 * one after the other in the same read buffer with a '\n' between them (untouched neighbours)
 * become one region; the separator byte is checked, so the output is the lines and newlines
 * whatever the buffers' layout.
 */
function* regions(lines) {
  let buffer; // the ArrayBuffer of the current run
  let bytes; // and its bytes
  let start = -1;
  let end = -1;
  for (const line of lines) {
    if (line.buffer === buffer && line.byteOffset === end + 1 && bytes[end] === NL) {
      end = line.byteOffset + line.length;
      continue;
    }
    if (start >= 0) yield* region(buffer, bytes, start, end);
    if (line.buffer !== buffer) {
      buffer = line.buffer;
      bytes = new Uint8Array(buffer);
    }
    start = line.byteOffset;
    end = start + line.length;
  }
  if (start >= 0) yield* region(buffer, bytes, start, end);
}

/** A run of lines and its '\n': the one after it in the buffer when there is one. */
function region(buffer, bytes, start, end) {
  return end < bytes.length && bytes[end] === NL ? [Buffer.from(buffer, start, end + 1 - start)] : [Buffer.from(buffer, start, end - start), NEWLINE];
}

async function writeLines(file, edits) {
  const stamp = await stampOf(file);
  if (!lineDoc || stamp !== docStamp) lineDoc = await readLines(file);
  try {
    applyLines(edits);
  } catch (err) {
    lineDoc = undefined;
    throw err;
  }
  return replaceFile(file, async (fh) => {
    let batch = [Buffer.from(`${JSON.stringify(lineDoc.header)}\n`)];
    for (const region of regions(lineDoc.sensors.values())) {
      batch.push(region);
      if (batch.length === 512) {
        await fh.writev(batch);
        batch = [];
      }
    }
    if (batch.length) await fh.writev(batch);
  });
}

parentPort.on('message', (m) => {
  if (m.type === 'release') {
    doc = undefined;
    lineDoc = undefined;
    return;
  }
  (LINE.test(m.file) ? writeLines : write)(m.file, m.edits).then(
    (stamp) => parentPort.postMessage({ seq: m.seq, ok: true, stamp }),
    (err) => {
      doc = undefined;
      lineDoc = undefined;
      parentPort.postMessage({ seq: m.seq, ok: false, error: String(err && err.message ? err.message : err) });
    },
  );
});
