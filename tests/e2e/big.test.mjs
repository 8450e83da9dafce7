// big.test.mjs — a layer of 100,000 one-byte files (100,100 entries, 100,000 chunk segments) opens,
// lists, filters, sorts, scrolls end to end and draws its chunk map, with the times printed and
// written to test-output/e2e/big-timings.json.
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startUi, pageUrl, waitForReport, screenshot, registryEnv, skipReason, chunkedLayout, pushLayout, registryHost, writeOut } from './helpers.mjs';

const skip = skipReason();
const env = registryEnv();
const N = 100000;
let ui;
const timings = {};

before(async () => {
  if (skip) return;
  const { layout, converted, ms } = await chunkedLayout({ name: 'big100k', generate: `many:${N}` });
  if (converted) timings.fixtureConvertMs = ms;
  timings.pushMs = await pushLayout(layout, registryHost(env), 'big100k');
  ui = await startUi();
});
after(async () => {
  if (ui) await ui.close();
  if (Object.keys(timings).length) {
    writeOut('big-timings.json', `${JSON.stringify(timings, null, 2)}\n`);
    console.log(`# 100k-entry layer timings (ms): ${JSON.stringify(timings)}`);
  }
});

/** Runs `fn` in the page and waits two frames; returns the elapsed ms (as the page measures it). */
async function timed(page, fn) {
  await page.evaluate(() => { window.__t0 = performance.now(); });
  await page.evaluate(fn);
  return page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(performance.now() - window.__t0)))));
}

test('a 100k-entry layer opens, filters, sorts and scrolls smoothly; its chunk map draws fast', { skip, timeout: 90000 }, async () => {
  const page = await ui.page();
  const t0 = Date.now();
  await page.goto(pageUrl(ui.base, { registry: env.REGISTRY_URL, image: 'big100k:latest' }));
  assert.equal(await waitForReport(page, 60000), 'report');
  await page.locator('.toc-view .count', { hasText: '100,000 files' }).waitFor({ timeout: 30000 });
  timings.openToListMs = Date.now() - t0;
  const row = await page.locator('tr.layer-row').evaluate((r) => ({
    entries: r.querySelector('td.entries').textContent, files: r.querySelector('td.files').textContent,
  }));
  assert.deepEqual(row, { entries: '100,100', files: '100,000' });
  const inner = await page.evaluate(() => {
    const i = document.querySelector('chunkscope-inspector');
    return { layerMs: i.layerMs, tocBuildMs: i.toc.buildMs, mapBuildMs: i.map.buildMs, rows: i.toc.spacer.children.length };
  });
  timings.layerViewBuildMs = Math.round(inner.layerMs);
  timings.tocBuildMs = Math.round(inner.tocBuildMs);
  timings.mapBuildMs = Math.round(inner.mapBuildMs);
  assert.ok(inner.rows < 120, `virtualised: ${inner.rows} row elements in the DOM`);

  // flat list of all 100,100 entries
  timings.listModeMs = Math.round(await timed(page, () => {
    document.querySelector('chunkscope-inspector').toc.setMode('list');
  }));

  // scroll the whole list in 60 jumps, then wheel-like small steps; every frame must be short
  const scroll = await page.evaluate(async () => {
    const toc = document.querySelector('chunkscope-inspector').toc;
    const s = toc.scroller;
    const frame = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    const times = [];
    const max = s.scrollHeight - s.clientHeight;
    for (let i = 0; i <= 60; i++) {
      const t = performance.now();
      s.scrollTop = (max * i) / 60;
      s.dispatchEvent(new Event('scroll'));
      toc.render();
      times.push(performance.now() - t);
      await frame();
    }
    const t1 = performance.now();
    for (let i = 0; i < 120; i++) {
      s.scrollTop -= 90;
      await new Promise((r) => requestAnimationFrame(r));
    }
    const wheelAvg = (performance.now() - t1) / 120;
    s.scrollTop = max;
    toc.render();
    await frame();
    const rows = [...toc.spacer.querySelectorAll('.row:not([hidden])')].map((r) => r.dataset.path);
    return {
      jumpAvgMs: times.reduce((a, b) => a + b, 0) / times.length,
      jumpMaxMs: Math.max(...times),
      frameAvgMs: wheelAvg,
      last: rows.sort().at(-1),
      domRows: toc.spacer.children.length,
    };
  });
  timings.scrollRenderAvgMs = +scroll.jumpAvgMs.toFixed(2);
  timings.scrollRenderMaxMs = +scroll.jumpMaxMs.toFixed(2);
  timings.scrollFrameAvgMs = +scroll.frameAvgMs.toFixed(2);
  assert.equal(scroll.last, '/d0099/f099999');
  assert.ok(scroll.domRows < 120, `${scroll.domRows} row elements`);
  assert.ok(scroll.jumpMaxMs < 50, `a scroll step took ${scroll.jumpMaxMs} ms`);
  await page.locator('.row[data-path="/d0099/f099999"]').waitFor();
  await page.locator('.workspace').evaluate((el) => el.scrollIntoView());
  await screenshot(page, 'big100k-list-end', { fullPage: false });

  // real wheel scrolling through the page
  const box = await page.locator('.toc-scroll').boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  const tw = Date.now();
  for (let i = 0; i < 20; i++) await page.mouse.wheel(0, -2000);
  await page.waitForFunction(() => document.querySelector('chunkscope-inspector').toc.scroller.scrollTop < 1e9);
  timings.wheel20StepsMs = Date.now() - tw;

  // sort by offset and by size; filter; selection of the last file
  timings.sortOffsetMs = Math.round(await timed(page, () => document.querySelector('chunkscope-inspector').toc.setSort('offset')));
  timings.sortPathMs = Math.round(await timed(page, () => document.querySelector('chunkscope-inspector').toc.setSort('path')));
  timings.filterMs = Math.round(await timed(page, () => document.querySelector('chunkscope-inspector').toc.setQuery('f09999')));
  await page.locator('.toc-view .count', { hasText: '10 of 100,100 paths match' }).waitFor();
  await page.locator('.row[data-path="/d0099/f099999"]').click();
  await page.locator('.file-details h3.path', { hasText: '/d0099/f099999' }).waitFor();
  assert.equal(await page.locator('tr.chunk-row').count(), 1);

  // the tree: filter cleared, open the last folder
  timings.treeModeMs = Math.round(await timed(page, () => {
    const toc = document.querySelector('chunkscope-inspector').toc;
    toc.setQuery('');
    toc.setMode('tree');
  }));

  // chunk map: 100,000 segments; draw, zoom, hover, click
  await page.locator('[data-tab="map"]').click();
  await page.locator('.chunk-map[data-draw-ms]').waitFor();
  const map = await page.evaluate(async () => {
    const m = document.querySelector('chunkscope-inspector').map;
    const frame = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    const draws = [];
    for (const z of [1, 4, 16, 64, 1]) {
      m.setZoom(z, m.size / 2);
      await frame();
      draws.push(m.lastDrawMs);
    }
    return { segments: m.segCount, draws };
  });
  assert.ok(map.segments >= N, `${map.segments} segments`);
  timings.mapSegments = map.segments;
  timings.mapDrawMs = map.draws.map((d) => +d.toFixed(1));
  assert.ok(Math.max(...map.draws) < 100, `map draw took ${Math.max(...map.draws)} ms`);
  const mb = await page.locator('canvas.map-canvas').boundingBox();
  await page.mouse.move(mb.x + mb.width * 0.5, mb.y + mb.height * 0.4);
  await page.locator('.map-tooltip:not([hidden])').waitFor();
  await page.mouse.click(mb.x + mb.width * 0.5, mb.y + mb.height * 0.4);
  await page.locator('.map-panel .file-details h3.path').waitFor();
  assert.match(await page.locator('.map-panel .file-details h3.path').textContent(), /^\/d\d{4}\/f\d{6}$/);
  await screenshot(page, 'big100k-map');

  assert.deepEqual(page.problems.pageerror, []);
  assert.deepEqual(page.problems.console, []);
});
