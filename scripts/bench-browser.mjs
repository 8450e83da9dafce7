// bench-browser.mjs — the browser half of the big-layer benchmarks (scripts/bench-browser.sh runs
// it): for each image, in headless Chromium (playwright-core), each measurement in a fresh page:
//
//   api-none      inspectImage() without file lists: the core's own time (fetch, decode, parse)
//   api-objects   inspectImage({files: true}) on the main thread: fileList as JS objects
//                 (serde-wasm-bindgen); ms, peak wasm memory, + building the list's tree from them
//   api-table     inspectImage({fileTable: true}) on the main thread: columnar typed arrays;
//                 ms, peak wasm memory, + the tree from the columns (lazy rows) and, for
//                 comparison, materialising every row eagerly
//   api-tarsplit  inspectImage({verifyTarSplit: true}) on the main thread, no file list: the core
//                 plus the tar-split read and checked against the TOC (one thread in wasm);
//                 ms, peak wasm memory, and the check's state (it must have run and passed)
//   api-worker    the same call in the page's Web Worker (www/js/inspect-client.js), until the
//                 page holds the table (transferred)
//   page          index.html?registry=…&image=…: navigation (and the Inspect start) → first file
//                 rows rendered, the longest
//                 main-thread task (PerformanceObserver 'longtask') from navigation to rows, and
//                 whether a click was handled while loading (a click every 50 ms, its delay),
//                 and `split`: ms from the Inspect start to each of the worker's milestones
//                 (spawned, start, imported, ready, called, done, paths, shape, segments,
//                 prepared; www/js/worker.js) and the page's (received, rows)
//
//   node scripts/bench-browser.mjs REGISTRY_URL image[,image…]      (prints one JSON line each)
//   BENCH_RUNS=N (best of N, default 2), BENCH_ONLY=api|page
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { serve } from './serve.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const RUNS = Number(process.env.BENCH_RUNS || 2);
const [registry, images] = process.argv.slice(2);
if (!registry || !images) {
  console.error('usage: node scripts/bench-browser.mjs REGISTRY_URL image[,image…]');
  process.exit(2);
}

const server = await serve({ root: path.join(ROOT, 'www'), port: 0 });
const browser = await chromium.launch({
  executablePath: CHROMIUM, headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu', '--js-flags=--expose-gc'],
});

async function fresh() {
  const context = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error(`[page] ${e}`));
  return { page, close: () => context.close() };
}

/** One API variant in a fresh page (the bench page is the inspector's own origin). */
async function api(variant, target) {
  const { page, close } = await fresh();
  await page.goto(server.url);
  const r = await page.evaluate(async ({ variant, target }) => {
    const mb = (b) => Math.round(b / 1e5) / 10;
    if (variant === 'worker') {
      const { InspectClient } = await import('./js/inspect-client.js');
      const { TocTree } = await import('./js/toc-tree.js');
      const c = new InspectClient();
      await c.start();
      const t0 = performance.now();
      const rep = await c.inspectImage(target);
      const ms = performance.now() - t0;
      const t1 = performance.now();
      const tree = new TocTree(rep.layers[0].fileList);
      return { ms: Math.round(ms), workerMs: Math.round(c.last.ms), prepareMs: Math.round(c.last.prepareMs), treeMs: Math.round(performance.now() - t1), wasmMB: mb(c.last.memory), files: tree.files.length };
    }
    const m = await import('./pkg/chunkscope.js');
    const w = await m.default();
    const { TocTree } = await import('./js/toc-tree.js');
    const { adoptFileTables } = await import('./js/file-table.js');
    const t0 = performance.now();
    const opts = { objects: { files: true }, table: { fileTable: true }, none: {}, tarsplit: { verifyTarSplit: true } }[variant];
    const rep = await m.inspectImage({ ...target, ...opts });
    const ms = performance.now() - t0;
    const out = { ms: Math.round(ms), wasmMB: mb(w.memory.buffer.byteLength) };
    if (variant === 'none') return out;
    if (variant === 'tarsplit') {
      const c = rep.layers[0].checks.toc_matches_tarsplit;
      out.tocMatchesTarsplit = c ? c.state : 'not run';
      return out;
    }
    const t1 = performance.now();
    if (variant === 'table') adoptFileTables(rep);
    const files = rep.layers.reduce((a, l) => (l.fileList && l.fileList.length > a.length ? l.fileList : a), []);
    const tree = new TocTree(files);
    out.treeMs = Math.round(performance.now() - t1);
    out.files = tree.files.length;
    if (variant === 'table') {
      // the alternative to lazy rows: every row made up front
      const t2 = performance.now();
      let s = 0;
      for (let i = 0; i < files.length; i++) { const f = files[i]; s += f.path.length + f.chunks.length; }
      out.eagerRowsMs = Math.round(performance.now() - t2);
      out.check = s > 0;
    }
    return out;
  }, { variant, target });
  await close();
  return r;
}

/** The page: navigation → first rows, longest main-thread task, clicks handled while loading. */
async function pageLoad(image) {
  const { page, close } = await fresh();
  await page.addInitScript(() => {
    window.__long = [];
    new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__long.push(e.duration); })
      .observe({ type: 'longtask', buffered: true });
  });
  const url = `${server.url}?registry=${encodeURIComponent(registry)}&image=${encodeURIComponent(image)}`;
  await page.goto(url);
  // clicks on the Pull-cost tab while loading: how long each waits for the main thread
  const clicks = [];
  let done = false;
  const clicker = (async () => {
    while (!done) {
      const t = Date.now();
      await page.evaluate(() => new Promise((r) => { setTimeout(r, 0); })).catch(() => {});
      clicks.push(Date.now() - t);
      await new Promise((r) => { setTimeout(r, 50); });
    }
  })();
  await page.waitForFunction(() => {
    const r = document.querySelector('chunkscope-inspector')?.shadowRoot;
    return r && r.querySelector('.toc-view .row[data-path]');
  }, null, { timeout: 120000, polling: 'raf' });
  const [rowsMs, fromInspect, split] = await page.evaluate(() => {
    const m = performance.getEntriesByName('chunkscope:inspect').pop();
    // where the time went, ms from the Inspect start: the worker's milestones (worker.js) and
    // the page's (the result received, first rows)
    const t = document.querySelector('chunkscope-inspector').controller.client.lastInspect?.timings;
    const split = {};
    if (m && t) {
      const base = performance.timeOrigin + m.startTime;
      for (const [k, v] of Object.entries(t)) if (typeof v === 'number') split[k] = Math.round(v - base);
      split.rows = Math.round(performance.now() - m.startTime);
    }
    return [performance.now(), m ? performance.now() - m.startTime : null, split];
  });
  done = true;
  await clicker;
  const r = await page.evaluate(() => ({
    longest: Math.round(Math.max(0, ...window.__long)),
    longTasks: window.__long.length,
    mode: document.querySelector('chunkscope-inspector').controller.client.mode,
  }));
  await close();
  return { rowsMs: Math.round(rowsMs), inspectToRowsMs: Math.round(fromInspect), split, longestTaskMs: r.longest, longTasks: r.longTasks, maxInputDelayMs: Math.max(0, ...clicks), via: r.mode };
}

const best = (xs, k) => xs.reduce((a, b) => (b[k] < a[k] ? b : a));
for (const image of images.split(',')) {
  const [repository, reference = 'latest'] = image.split(':');
  const target = { registry, repository, reference };
  const out = { image };
  const only = process.env.BENCH_ONLY || 'api page';
  for (const v of only.includes('api') ? ['none', 'tarsplit', 'objects', 'table', 'worker'] : []) {
    const runs = [];
    for (let i = 0; i < RUNS; i++) runs.push(await api(v, target));
    out[`api-${v}`] = best(runs, 'ms');
  }
  const runs = [];
  for (let i = 0; only.includes('page') && i < RUNS; i++) runs.push(await pageLoad(image));
  if (runs.length) out.page = best(runs, 'rowsMs');
  console.log(JSON.stringify(out));
}
await browser.close();
await server.close();
