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
// are kept as the bytes read, never decoded: a line is a number, the index of its place
// (read buffer, start, end) in three arrays, so reading 1,000,000 lines makes no object per
// line but its id; an edited line is a Buffer of its own. A write copies each run of untouched
// lines as one region: a few hundred large writes instead of encoding and joining the whole
// file again (0.85 s → ~0.1 s at 1,000,000 sensors).
const LINE = /\.(ndjson|jsonl)$/i;
const NL = 10;
const NEWLINE = Buffer.from('\n');
let lineDoc; // { header, sensors: Map<id, number (a place in `spans`) | Buffer (an edited line)>, spans }

const ID_PREFIX = Buffer.from('{"id":"');
/** The bytes allowed in an id ([A-Za-z0-9._-], schema.ts). */
const ID_BYTE = new Uint8Array(256);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-') ID_BYTE[c.charCodeAt(0)] = 1;

/** The id of the line `bytes[start, end)`. */
function lineId(bytes, start, end) {
  // Our own files start every entry with its id, read here from the bytes; anything else is parsed.
  if (end - start > 9 && bytes.compare(ID_PREFIX, 0, 7, start, start + 7) === 0) {
    let j = start + 7;
    while (j < end && j < start + 71 && ID_BYTE[bytes[j]] === 1) j++;
    if (j > start + 7 && bytes[j] === 0x22) return bytes.toString('latin1', start + 7, j);
  }
  return String(JSON.parse(bytes.toString('utf8', start, end)).id);
}

async function readLines(file) {
  let header;
  const sensors = new Map();
  const spans = { buffers: [], buffer: [], start: [], end: [] };
  // one line: bytes[start, end) of read buffer `b` (-1: `bytes` is a line of its own, joined across reads)
  const take = (bytes, b, start, end) => {
    if (end > start && bytes[end - 1] === 13) end--;
    // blank as String.prototype.trim sees it (a line starting with '{' is not)
    if (bytes[start] !== 0x7b && bytes.toString('utf8', start, end).trim() === '') return;
    if (header === undefined) return void (header = JSON.parse(bytes.toString('utf8', start, end)));
    const id = lineId(bytes, start, end);
    if (b < 0) return void sensors.set(id, bytes.subarray(start, end));
    sensors.set(id, spans.start.length);
    spans.buffer.push(b);
    spans.start.push(start);
    spans.end.push(end);
  };
  let carry; // the start of a line cut by the end of a read
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    const b = spans.buffers.push(chunk) - 1;
    let start = 0;
    for (let end = chunk.indexOf(NL, start); end >= 0; end = chunk.indexOf(NL, start)) {
      if (carry) {
        const line = Buffer.concat([carry, chunk.subarray(start, end)]);
        take(line, -1, 0, line.length);
        carry = undefined;
      } else take(chunk, b, start, end);
      start = end + 1;
    }
    if (start < chunk.length) carry = carry ? Buffer.concat([carry, chunk.subarray(start)]) : Buffer.from(chunk.subarray(start));
  }
  if (carry) take(carry, -1, 0, carry.length);
  return { header, sensors, spans };
}

/** The text of a kept line. */
function lineText(line) {
  const { spans } = lineDoc;
  return typeof line === 'number' ? spans.buffers[spans.buffer[line]].toString('utf8', spans.start[line], spans.end[line]) : line.toString('utf8');
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
      else lineDoc.sensors.set(e.id, Buffer.from(JSON.stringify(patched(JSON.parse(lineText(line)), e.patch))));
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
 * The file's bytes after the header: every line followed by '\n', in map order. Untouched lines
 * that lie one after the other in the same read buffer with a '\n' between them become one
 * region (the separator byte is checked), so the output is the lines and their newlines.
 */
function* regions({ sensors, spans }) {
  let bytes; // the read buffer of the current run
  let start = -1;
  let end = -1;
  for (const line of sensors.values()) {
    if (typeof line === 'number') {
      const b = spans.buffers[spans.buffer[line]];
      const s = spans.start[line];
      if (b === bytes && s === end + 1 && bytes[end] === NL) {
        end = spans.end[line];
        continue;
      }
      if (start >= 0) yield* region(bytes, start, end);
      bytes = b;
      start = s;
      end = spans.end[line];
      continue;
    }
    if (start >= 0) yield* region(bytes, start, end);
    start = -1;
    bytes = undefined;
    yield line;
    yield NEWLINE;
  }
  if (start >= 0) yield* region(bytes, start, end);
}

/** A run of lines and its '\n': the one after it in the buffer when there is one. */
function region(bytes, start, end) {
  return end < bytes.length && bytes[end] === NL ? [bytes.subarray(start, end + 1)] : [bytes.subarray(start, end), NEWLINE];
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
    for (const region of regions(lineDoc)) {
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
