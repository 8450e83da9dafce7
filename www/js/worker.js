// worker.js — the inspection off the page's main thread: a module Web Worker that loads the same
// wasm module (../pkg/chunkscope.js) and runs `inspectImage` (with `fileTable: true`) and
// `planPull` for the page (inspect-client.js is its other end), so decoding and parsing a big TOC
// never blocks clicks and scrolls. The worker keeps the module's cache of inspected images, so
// `planPull` after `inspectImage` costs no request again.
//
// Messages in:  {id, type: 'call', fn: 'inspectImage' | 'planPull' | 'parseReference', args}
//               (parseReference's args: {registry, image})
// Messages out: {id, type: 'progress', phase, layer, bytes, requests, entries}
//               {id, type: 'result', value}          (file tables' buffers are transferred)
//               {id, type: 'error', error: {kind, message, …fields}}
//               {type: 'ready'} once the module has started, or {type: 'error', error} if not.

import { FileTable } from './file-table.js';
import { treeShape } from './toc-tree.js';
import { buildSegments } from './chunk-map-layout.js';

const CALLS = new Set(['inspectImage', 'planPull', 'parseReference']);
/** At most this often a progress message (ms); the last one before a result always goes. */
const PROGRESS_EVERY = 100;

/** Wall-clock milestones (ms since the epoch, `performance.timeOrigin + now()`), for benchmarks. */
const at = () => performance.timeOrigin + performance.now();
const startup = { start: at() };
let cs = null;
let wasm = null; // the module's exports (its memory, for the peak reported with each result)
// The worker compiles its own copy of the wasm. Instantiating the page's compiled
// WebAssembly.Module here instead (posted from the main thread: one fetch and compile per page)
// made the inspection itself 0.3-0.4 s slower at 154k entries (README "Big layers in the browser").
const started = (async () => {
  const m = await import('../pkg/chunkscope.js');
  startup.imported = at();
  wasm = await m.default();
  startup.ready = at();
  cs = m;
})();
started.then(
  () => self.postMessage({ type: 'ready' }),
  (e) => self.postMessage({ type: 'error', error: { kind: 'startup', message: `The chunkscope module could not start in a worker: ${e && e.message}` } }),
);

/** An Error from the module (kind, status, url, registryCode, details) as plain data. */
function errorData(e) {
  const out = { kind: (e && e.kind) || 'internal', message: String((e && e.message) || e) };
  for (const k of ['status', 'url', 'registryCode', 'details', 'sniffed']) {
    if (e && e[k] !== undefined) out[k] = e[k];
  }
  try {
    structuredClone(out);
  } catch {
    delete out.details;
  }
  return out;
}

/**
 * What the page would otherwise compute on its main thread, done here beside each file table:
 * the directory tree's shape (toc-tree.js treeShape) and the chunk map's segments
 * (chunk-map-layout.js buildSegments). Returns the buffers to transfer (moved, not copied).
 */
function prepare(report, timings = {}) {
  const out = [];
  const add = (o) => {
    for (const v of Object.values(o)) if (ArrayBuffer.isView(v) && !out.includes(v.buffer)) out.push(v.buffer);
  };
  for (const l of (report && report.layers) || []) {
    const raw = l.fileTable;
    if (!raw) continue;
    const t = new FileTable(raw);
    t.allPaths();
    timings.paths = at();
    raw.shape = treeShape(t.length, (i) => t.path(i), (i) => t.types[i] === 1);
    timings.shape = at();
    raw.segments = buildSegments(l, t.asList());
    timings.segments = at();
    add(raw);
    add(raw.shape);
    add(raw.segments);
  }
  return out;
}

self.onmessage = async (ev) => {
  const { id, type, fn, args } = ev.data || {};
  if (type !== 'call') return;
  try {
    if (!CALLS.has(fn)) throw Object.assign(new Error(`worker: no such call ${fn}`), { kind: 'internal' });
    await started;
    let last = 0;
    let pending = null;
    const send = (p) => self.postMessage({ id, type: 'progress', ...p });
    const onProgress = (p) => {
      const msg = {
        phase: p.phase, layer: p.layer, bytes: p.bytesFetched || 0, requests: p.requests || 0,
        ...(p.entries != null ? { entries: p.entries } : {}),
      };
      const now = performance.now();
      if (p.phase !== 'body' || now - last >= PROGRESS_EVERY) {
        last = now;
        pending = null;
        send(msg);
      } else {
        pending = msg;
      }
    };
    const t0 = performance.now();
    const called = at();
    const value = fn === 'parseReference'
      ? cs.parseReference(args.registry, args.image)
      : await cs[fn]({ ...args, onProgress });
    if (pending) send(pending);
    const ms = performance.now() - t0;
    // wasm memory never shrinks: its size is the peak so far
    const memory = wasm && wasm.memory ? wasm.memory.buffer.byteLength : undefined;
    const t1 = performance.now();
    const timings = { fn, ...startup, called, done: called + ms };
    const transfer = fn === 'inspectImage' ? prepare(value, timings) : [];
    const prepareMs = performance.now() - t1;
    timings.prepared = at();
    self.postMessage({ id, type: 'result', value, ms, prepareMs, memory, timings }, transfer);
  } catch (e) {
    self.postMessage({ id, type: 'error', error: errorData(e) });
  }
};
