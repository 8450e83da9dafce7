// worker.test.mjs — a big layer (100,000 one-byte files, as big.test.mjs) is inspected in the page's
// Web Worker: the page shows progress in bytes, stays clickable while the TOC is fetched and parsed
// (a tab click is handled at once), and Cancel stops the load (the worker and its requests end; the
// next load works). The worker's file table arrives columnar and becomes the same file list.
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startUi, pageUrl, waitForReport, screenshot, registryEnv, skipReason, chunkedLayout, pushLayout, registryHost } from './helpers.mjs';

const skip = skipReason();
const env = registryEnv();
let ui;

before(async () => {
  if (skip) return;
  const { layout } = await chunkedLayout({ name: 'big100k', generate: 'many:100000' });
  await pushLayout(layout, registryHost(env), 'big100k');
  ui = await startUi();
});
after(async () => {
  if (ui) await ui.close();
});

const inspector = (page) => page.locator('chunkscope-inspector');

/** Starts inspecting `image` from the page's controller (as the form's Inspect does). */
function startLoad(page, image) {
  return page.evaluate(([registry, image]) => {
    const el = document.querySelector('chunkscope-inspector');
    window.__load = el.controller.inspect({ registry, image });
  }, [env.REGISTRY_URL, image]);
}

/** Delays the big layer's blob answers (the TOC read), so the load lasts long enough to act on. */
async function slowBlobs(page, ms) {
  const seen = { started: 0, finished: 0, failed: 0 };
  const blob = /\/v2\/big100k\/blobs\//;
  page.context().on('requestfinished', (r) => { if (blob.test(r.url())) seen.finished++; });
  page.context().on('requestfailed', (r) => { if (blob.test(r.url())) seen.failed++; });
  await page.context().route(blob, async (route) => {
    seen.started++;
    await new Promise((r) => { setTimeout(r, ms); });
    await route.continue().catch(() => { /* the worker is gone */ });
  });
  return seen;
}

test('a 100k-entry layer loads in the worker: progress shown, tabs clickable meanwhile, same file list', { skip, timeout: 120000 }, async () => {
  const page = await ui.page();
  await page.goto(pageUrl(ui.base, { registry: env.REGISTRY_URL, image: 'tiny-current:latest' }));
  assert.equal(await waitForReport(page), 'report');
  await slowBlobs(page, 1500);
  await startLoad(page, 'big100k:latest');
  const progress = inspector(page).locator('.progress');
  await progress.waitFor({ state: 'visible' });
  await screenshot(page, 'worker-progress', { fullPage: false });
  // while the load runs: tab clicks are handled at once (no long main-thread task in the way)
  const delays = [];
  for (const tab of ['plan', 'map', 'files']) {
    const t0 = Date.now();
    await inspector(page).locator(`#tab-${tab}`).click();
    await page.waitForFunction((t) => document.querySelector('chunkscope-inspector').shadowRoot
      .querySelector(`#tab-${t}`).getAttribute('aria-selected') === 'true', tab);
    delays.push(Date.now() - t0);
    assert.ok(await progress.isVisible(), `still loading when the ${tab} tab was clicked`);
  }
  assert.ok(Math.max(...delays) < 1000, `tab clicks during the load took ${delays.join(', ')} ms`);
  // progress in bytes, from the worker's transport, before the report
  await page.waitForFunction(() => Number(document.querySelector('chunkscope-inspector').shadowRoot
    .querySelector('.progress').dataset.bytes || 0) > 0, null, { timeout: 60000 });
  await page.evaluate(() => window.__load);
  await inspector(page).locator('.toc-view .count', { hasText: '100,000 files' }).waitFor({ timeout: 60000 });
  const s = await page.evaluate(() => {
    const el = document.querySelector('chunkscope-inspector');
    const files = el.state.report.layers[0].fileList;
    const f = files[5];
    return {
      via: el.controller.client.mode,
      progress: el.controller.progress,
      columnar: !!files.table,
      count: files.length,
      file: JSON.parse(JSON.stringify(f)),
    };
  });
  assert.equal(s.via, 'worker');
  assert.equal(s.columnar, true);
  assert.equal(s.count, 100100);
  assert.equal(s.progress.phase, 'done');
  assert.ok(s.progress.entries > 100000, `entries in the progress: ${s.progress.entries}`);
  assert.ok(s.progress.bytes > 1e6, `bytes in the progress: ${s.progress.bytes}`);
  // a row as the module's fileList has it (same fields), made from the columns
  assert.deepEqual(Object.keys(s.file).sort(), ['chunks', 'devMajor', 'devMinor', 'digest', 'gid', 'linkName', 'mode', 'modtime', 'path', 'size', 'type', 'uid', 'xattrs']);
  assert.equal(s.file.type, 'reg');
  assert.equal(s.file.size, 1);
  assert.equal(s.file.chunks.length, 1);
  assert.match(s.file.digest, /^sha256:[0-9a-f]{64}$/);
  assert.equal(s.file.chunks[0].digest, s.file.digest);
  // the file list works on it: filter, details
  await inspector(page).locator('.toc-view input[type="search"]').fill(s.file.path.split('/').pop());
  await inspector(page).locator(`.toc-view .row[data-path="${s.file.path}"]`).first().click();
  await inspector(page).locator('.file-details .path', { hasText: s.file.path }).waitFor();
  assert.deepEqual(page.problems.pageerror, []);
  await screenshot(page, 'worker-loaded', { fullPage: false });
});

test('Cancel stops a big load: the worker ends, its requests are aborted, nothing is shown, the next load works', { skip, timeout: 120000 }, async () => {
  const page = await ui.page();
  await page.goto(ui.base);
  const seen = await slowBlobs(page, 3000);
  await startLoad(page, 'big100k:latest');
  await inspector(page).locator('.progress').waitFor({ state: 'visible' });
  await page.waitForFunction(() => document.querySelector('chunkscope-inspector').controller.client.worker);
  // the TOC request is on its way (held by the route)
  for (let i = 0; i < 100 && !seen.started; i++) await new Promise((r) => { setTimeout(r, 50); });
  assert.ok(seen.started >= 1, 'the blob request started');
  await inspector(page).locator('.progress .cancel').click();
  await inspector(page).locator('.notice[data-cancelled="true"]').waitFor();
  assert.equal(await inspector(page).locator('.progress').isVisible(), false);
  assert.equal(await page.evaluate(() => document.querySelector('chunkscope-inspector').controller.client.worker), null);
  await page.evaluate(() => window.__load);
  // the held request never reaches the registry: the worker that made it is gone
  await new Promise((r) => { setTimeout(r, 3500); });
  assert.equal(seen.finished, 0, 'the cancelled blob request went on');
  console.log(`# cancelled load: ${JSON.stringify(seen)}`);
  assert.equal(await inspector(page).locator('tr.layer-row').count(), 0, 'no report from the cancelled load');
  await screenshot(page, 'worker-cancelled', { fullPage: false });
  // the page is usable: the next load runs in a fresh worker
  await page.context().unrouteAll();
  await startLoad(page, 'tiny-current:latest');
  assert.equal(await waitForReport(page), 'report');
  assert.equal(await page.evaluate(() => document.querySelector('chunkscope-inspector').controller.client.mode), 'worker');
  assert.deepEqual(page.problems.pageerror, []);
});

test('where no worker can start, the same inspector runs on the main thread', { skip, timeout: 60000 }, async () => {
  const page = await ui.page();
  // as in a host page whose CSP refuses the worker (its Trusted Types policy or worker-src)
  await page.addInitScript(() => {
    window.Worker = function Worker() { throw new TypeError('workers are refused here'); };
  });
  await page.goto(ui.base);
  await startLoad(page, 'tiny-current:latest');
  assert.equal(await waitForReport(page), 'report');
  await page.evaluate(() => window.__load);
  const s = await page.evaluate(() => {
    const el = document.querySelector('chunkscope-inspector');
    const files = el.state.report.layers[0].fileList;
    return { mode: el.controller.client.mode, worker: el.controller.client.worker, columnar: !!files.table, count: files.length };
  });
  assert.deepEqual(s, { mode: 'main', worker: null, columnar: true, count: 66 });
  await inspector(page).locator('.toc-view .row[data-path]').first().waitFor();
  // the plan too (on the main thread's module, from its cache)
  await page.locator('chunkscope-inspector').locator('#tab-plan').click();
  await inspector(page).locator('.bar-row[data-plan="reference"]').waitFor({ timeout: 30000 });
  assert.deepEqual(page.problems.pageerror, []);
});
