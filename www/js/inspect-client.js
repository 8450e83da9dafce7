// inspect-client.js — the page's end of worker.js: `inspectImage` and `planPull` run in a module
// Web Worker (the same wasm module), with progress `{phase, layer, bytes, requests, entries}` and
// a cancel that stops both the requests and the CPU work (the worker is terminated, and a fresh
// one started for the next call). Where a worker cannot start (a host page's CSP or Trusted Types
// forbid it, or no Worker at all), the same calls run on the main thread instead, with the same
// result shapes: the page keeps working, only less smoothly.

import { loadModule } from './api.js';
import { adoptFileTables } from './file-table.js';

/** The Trusted Types policy the page's CSP allows for the worker's script URL (and nothing else). */
const POLICY = 'chunkscope-worker';
let policy;

function workerUrl() {
  const url = new URL('./worker.js', import.meta.url).href;
  const tt = globalThis.trustedTypes;
  if (!tt || !tt.createPolicy) return url;
  if (policy === undefined) {
    policy = null;
    // only this one URL: anything else passed to the policy is refused
    policy = tt.createPolicy(POLICY, { createScriptURL: (u) => { if (u !== url) throw new TypeError(`${POLICY}: not the worker script`); return u; } });
  }
  return policy.createScriptURL(url);
}

/**
 * A new worker and a promise of its start: resolves with it on its `ready`, rejects with its
 * startup error. Messages after `ready` go to `w.onmessage`, which the client sets when it adopts
 * the worker.
 */
function spawn() {
  let w;
  try {
    w = new Worker(workerUrl(), { type: 'module', name: 'chunkscope' });
  } catch (e) {
    const ready = Promise.reject(e);
    ready.catch(() => {}); // the caller decides what a refused worker means
    return { worker: null, ready };
  }
  const spawned = performance.timeOrigin + performance.now();
  const ready = new Promise((resolve, reject) => {
    // listeners beside the client's onmessage / onerror (set when it adopts the worker)
    w.addEventListener('message', (ev) => {
      const m = ev.data || {};
      if (m.type === 'ready') resolve(w);
      else if (m.id == null && m.type === 'error') reject(revive(m.error));
    });
    w.addEventListener('error', (ev) => {
      reject(Object.assign(new Error(`The inspection worker failed: ${ev.message || 'it could not load'}`), { kind: 'startup' }));
    });
  });
  ready.catch(() => {});
  return { worker: w, ready, spawned };
}

/** A worker started ahead of need (prewarm), adopted by the first client that starts. */
let spare = null;

/**
 * Starts a worker and the wasm compile now, idle, so that the first Inspect finds both warm
 * (the page calls it as it loads, www/js/warm.js; the element when it is connected). Does nothing
 * where there is no Worker or one is already waiting.
 */
export function prewarm() {
  if (spare || typeof Worker !== 'function') return;
  const s = spawn();
  if (!s.worker) return;
  spare = s;
  s.ready.catch(() => { if (spare === s) spare = null; });
}

/** An error as the module throws it (message, kind, status, url, registryCode, details). */
function revive(data) {
  return Object.assign(new Error(data.message), data);
}

export class InspectClient {
  constructor() {
    this.worker = null;
    this.ready = null;
    this.pending = new Map();
    this.seq = 0;
    /** 'worker' or 'main' (after a worker could not start). */
    this.mode = typeof Worker === 'function' ? 'worker' : 'main';
    /** {ms, prepareMs, memory} of the last call in the worker (the call, the tree shape and chunk
     * map segments made beside it, wasm memory bytes, `timings`: wall-clock milestones in ms since
     * the epoch — worker start, module imported, ready, called, done, prepared, received), for
     * benchmarks; `lastInspect` the same for the last inspectImage. */
    this.last = null;
    this.lastInspect = null;
  }

  /** Starts the worker (resolves when its module is ready); rejects where none can start. */
  start() {
    if (this.ready) return this.ready;
    if (this.mode !== 'worker') return Promise.reject(Object.assign(new Error('No worker here.'), { kind: 'startup' }));
    const { worker: w, ready, spawned } = spare || spawn();
    spare = null;
    this.worker = w;
    this.spawned = spawned;
    this.ready = ready;
    if (w) {
      w.onmessage = (ev) => {
        const m = ev.data || {};
        if (m.id == null) return; // `ready` and startup errors: spawn's promise has them
        const p = this.pending.get(m.id);
        if (!p) return;
        if (m.type === 'progress') {
          if (p.onProgress) p.onProgress(m);
        } else if (m.type === 'result') {
          this.pending.delete(m.id);
          this.last = { ms: m.ms, prepareMs: m.prepareMs, memory: m.memory, timings: { spawned: this.spawned, ...m.timings, received: performance.timeOrigin + performance.now() } };
          if (m.timings && m.timings.fn === 'inspectImage') this.lastInspect = this.last;
          p.resolve(m.value);
        } else if (m.type === 'error') {
          this.pending.delete(m.id);
          p.reject(revive(m.error));
        }
      };
      w.onerror = (ev) => {
        const e = Object.assign(new Error(`The inspection worker failed: ${ev.message || 'it could not load'}`), { kind: 'startup' });
        for (const p of this.pending.values()) p.reject(e);
        this.pending.clear();
        this.stop();
      };
    }
    this.ready.catch(() => {
      // no worker here (CSP, Trusted Types, no module workers): the main thread does the work
      this.mode = 'main';
      this.stop();
    });
    return this.ready;
  }

  /** Ends the worker and whatever it was doing; the next call starts a new one. */
  stop() {
    if (this.worker) this.worker.terminate();
    this.worker = null;
    this.ready = null;
  }

  /**
   * Cancels every call in flight: the worker is terminated (its fetches and its parsing stop),
   * and the calls reject with `{kind: 'cancelled'}`.
   */
  cancel() {
    this.stop();
    const e = Object.assign(new Error('Cancelled.'), { kind: 'cancelled' });
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  /** `fn(args)` in the worker (or on the main thread, see above); `onProgress(ev)` as it goes. */
  async call(fn, args, { onProgress = null } = {}) {
    if (this.mode === 'worker') {
      try {
        await this.start();
      } catch { /* falls through to the main thread */ }
    }
    if (this.mode === 'main' || !this.worker) return this.callHere(fn, args, onProgress);
    const id = ++this.seq;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onProgress });
      this.worker.postMessage({ id, type: 'call', fn, args });
    });
  }

  async callHere(fn, args, onProgress) {
    const cs = await loadModule();
    return cs[fn]({
      ...args,
      ...(onProgress ? {
        onProgress: (p) => onProgress({
          phase: p.phase, layer: p.layer, bytes: p.bytesFetched || 0, requests: p.requests || 0,
          ...(p.entries != null ? { entries: p.entries } : {}),
        }),
      } : {}),
    });
  }

  /** `inspectImage` with columnar file tables, adopted as lazy `fileList`s (file-table.js). */
  async inspectImage(args, opts) {
    return adoptFileTables(await this.call('inspectImage', { ...args, fileTable: true }, opts));
  }

  /** The module's `parseReference(registry, image)`, in the worker (or on the main thread). */
  async parseReference(registry, image) {
    if (this.mode === 'worker') {
      try {
        await this.start();
      } catch { /* falls through to the main thread */ }
    }
    if (this.mode === 'main' || !this.worker) return (await loadModule()).parseReference(registry, image);
    return this.call('parseReference', { registry, image });
  }

  planPull(args, opts) {
    return this.call('planPull', args, opts);
  }
}
