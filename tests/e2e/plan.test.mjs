// plan.test.mjs — the Pull cost panel shows the planner's numbers (compared with planPull called
// in the same page), re-plans on option changes, and the Registry check shows the right verdicts
// for the plain registry and for the nginx front that answers multi-range requests with 200.
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startUi, pageUrl, waitForReport, screenshot, registryEnv, skipReason } from './helpers.mjs';
import { bytes } from '../../www/js/format.js';
import { LayerCoverage } from '../../www/js/plan-coverage.js';

const skip = skipReason();
const env = registryEnv();
let ui;

before(async () => { if (!skip) ui = await startUi(); });
after(async () => { if (ui) await ui.close(); });

/** planPull in the page, through the module the inspector loaded. */
function planInPage(page, want, have, opts = {}) {
  return page.evaluate(async ([registry, w, hv, o]) => {
    const cs = await (await import('./js/api.js')).loadModule();
    const ref = (s) => { const i = s.lastIndexOf(':'); return { registry, repository: s.slice(0, i), reference: s.slice(i + 1) }; };
    return cs.planPull({ want: ref(w), have: hv.map(ref), ...o });
  }, [env.REGISTRY_URL, want, have, opts]);
}

/** The panel's "Planning read … in N requests." line. */
function planningCost(page) {
  return page.locator('.plan-view .totals-panel p.muted.small').textContent();
}

/** The selected layer's files and the file list's pull marks (0 none, 1 present, 2 fetched). */
function listMarks(page) {
  return page.evaluate(() => {
    const toc = document.querySelector('chunkscope-inspector').toc;
    // rows may be lazy (www/js/file-table.js): their JSON is the fileList's
    return { files: JSON.parse(JSON.stringify(toc.files)), status: toc.status ? [...toc.status] : null };
  });
}

/** The marks the plan's request list implies for `files` (plan-coverage.js's rule). */
function marksFromPlan(planLayer, files) {
  return [...new LayerCoverage(planLayer).fileStatus(files)];
}

/** What the panel shows: bars, totals and per-layer cells, as numbers from data attributes. */
function panelNumbers(page) {
  return page.locator('.plan-view').evaluate((root) => ({
    bars: Object.fromEntries([...root.querySelectorAll('.bar-row')].map((b) => [b.dataset.plan, { bytes: Number(b.dataset.bytes), requests: Number(b.dataset.requests) }])),
    totals: Object.fromEntries([...root.querySelectorAll('[data-plan-total]')].map((e) => [e.dataset.planTotal, Number(e.dataset.value)])),
    layers: [...root.querySelectorAll('tr[data-plan-layer]')].map((tr) => ({
      digest: tr.dataset.planLayer,
      ...Object.fromEntries([...tr.querySelectorAll('td[data-key]')].map((td) => [td.dataset.key, Number(td.dataset.value)])),
    })),
  }));
}

function assertPanelMatches(shown, plan) {
  const t = plan.totals;
  const pulled = plan.layers.filter((l) => !l.reused);
  assert.deepEqual(shown.bars.reference, { bytes: t.fetchBytes, requests: t.requests }, 'reference bar');
  assert.deepEqual(shown.bars.single, { bytes: t.singleRange.bytes, requests: t.singleRange.requests }, 'single-range bar');
  assert.deepEqual(shown.bars.ignores, { bytes: t.ignoresMultiRangeBytes, requests: t.requests }, 'ignores-multi-range bar');
  assert.deepEqual(shown.bars.full, { bytes: pulled.reduce((a, l) => a + l.fullPullBytes, 0), requests: pulled.length }, 'full bar');
  for (const k of ['metadataBytes', 'metadataRequests', 'missingFiles', 'missingChunks', 'ranges', 'requests', 'fetchBytes']) {
    assert.equal(shown.totals[k], t[k], `total ${k}`);
  }
  assert.equal(shown.layers.length, plan.layers.length);
  plan.layers.forEach((l, i) => {
    const row = shown.layers[i];
    assert.equal(row.digest, l.digest);
    for (const k of ['metadataBytes', 'missingFiles', 'missingChunks', 'ranges', 'requests', 'fetchBytes', 'fullPullBytes', 'ignoresMultiRangeBytes']) {
      assert.equal(row[k], l[k], `layer ${i + 1} ${k}`);
    }
    assert.equal(row.singleRange, l.singleRange.bytes, `layer ${i + 1} singleRange`);
  });
}

test('Pull cost: pair-b over pair-a shows the planner\'s numbers; the budget re-plans', { skip, timeout: 60000 }, async () => {
  const page = await ui.page();
  await page.goto(pageUrl(ui.base, { registry: env.REGISTRY_URL, image: 'pair-b:latest', have: 'pair-a:latest', tab: 'plan', layer: '2' }));
  assert.equal(await waitForReport(page), 'report');
  const hasPlanner = await page.evaluate(async () => typeof (await (await import('./js/api.js')).loadModule()).planPull === 'function');
  assert.ok(hasPlanner, 'the wasm module exports planPull');
  await page.locator('.bar-row[data-plan="reference"]').waitFor({ timeout: 30000 });
  const plan = await planInPage(page, 'pair-b:latest', ['pair-a:latest'], { chunkReuse: true, hardLinks: false });
  assertPanelMatches(await panelNumbers(page), plan);
  // the first plan read only the have-image: the wanted one came from the module's cache
  assert.equal(await planningCost(page), `Planning read ${bytes(plan.have[0].bytesFetched)} in ${plan.have[0].requests} requests.`);
  // layer 1 is the same blob in both images: reused, nothing fetched
  assert.equal(plan.layers[0].reused, true);
  assert.equal(await page.locator('tr[data-plan-layer] .badge').first().textContent(), 'reused');
  // a partial pull costs a fraction of the full pull, and the bars say so
  assert.ok(plan.totals.fetchBytes < plan.layers[1].fullPullBytes / 2);
  assert.match(await page.locator('.bar-row.reference .bar-value').textContent(), /\d+% of full/);
  // the curve is drawn for layer 2 with both points
  assert.equal(await page.locator('svg.curve polyline.curve-line').count(), 1);
  assert.equal(await page.locator('svg.curve .chosen-point').count(), 1);
  assert.equal(await page.locator('svg.curve .ref-point').count(), 1);
  await screenshot(page, 'plan-pair-b-over-pair-a');

  // budget 4: the panel re-plans and still matches
  await page.locator('input.budget').fill('4');
  await page.locator('input.budget').dispatchEvent('change');
  await page.waitForFunction(() => {
    const root = document.querySelector('chunkscope-inspector').shadowRoot;
    const td = root.querySelector('tr[data-plan-layer]:nth-child(2) td[data-key="singleRange"]');
    return td && /\/ 5$/.test(td.textContent.trim());
  }, null, { timeout: 20000 });
  const plan4 = await planInPage(page, 'pair-b:latest', ['pair-a:latest'], { chunkReuse: true, hardLinks: false, budget: 4 });
  assert.equal(plan4.layers[1].singleRange.requests, 5, 'metadata + 4 data requests');
  assertPanelMatches(await panelNumbers(page), plan4);
  // re-planning costs nothing: both images come from the module's cache
  assert.equal(await planningCost(page), 'Planning read 0 B in 0 requests.');
  assert.equal(plan4.requests, 0);

  // the file list's marks are the plan's: layer 2 is shown
  const before = await listMarks(page);
  assert.deepEqual(before.status, marksFromPlan(plan4.layers[1], before.files));
  assert.ok(before.status.includes(2) && before.status.includes(1), 'layer 2 has fetched and present files');

  // chunk reuse off: re-planned (still 0 requests), and the colours follow the new plan
  await page.locator('.plan-view label.check', { hasText: 'Reuse chunks' }).locator('input').uncheck();
  const planNoReuse = await planInPage(page, 'pair-b:latest', ['pair-a:latest'], { chunkReuse: false, hardLinks: false, budget: 4 });
  await page.waitForFunction((n) => {
    const root = document.querySelector('chunkscope-inspector').shadowRoot;
    const td = root.querySelector('.plan-view [data-plan-total="missingChunks"]');
    return td && Number(td.dataset.value) === n;
  }, planNoReuse.totals.missingChunks, { timeout: 20000 });
  assertPanelMatches(await panelNumbers(page), planNoReuse);
  assert.equal(await planningCost(page), 'Planning read 0 B in 0 requests.');
  const after = await listMarks(page);
  assert.deepEqual(after.status, marksFromPlan(planNoReuse.layers[1], after.files));
  const fetched = (m) => m.status.filter((x) => x === 2).length;
  assert.ok(fetched(after) >= fetched(before), 'without chunk reuse a pull fetches at least as many files');
  const mapState = await page.evaluate(() => document.querySelector('chunkscope-inspector').map.el.dataset.colours);
  assert.equal(mapState, 'plan');
  assert.deepEqual(page.problems.console, []);
  assert.deepEqual(page.problems.pageerror, []);
});

test('Pull cost: a cold pull of tiny-current', { skip, timeout: 60000 }, async () => {
  const page = await ui.page();
  await page.goto(pageUrl(ui.base, { registry: env.REGISTRY_URL, image: 'tiny-current:latest', tab: 'plan' }));
  assert.equal(await waitForReport(page), 'report');
  await page.locator('.bar-row[data-plan="reference"]').waitFor({ timeout: 30000 });
  const plan = await planInPage(page, 'tiny-current:latest', [], { chunkReuse: true, hardLinks: false });
  assertPanelMatches(await panelNumbers(page), plan);
  assert.match(await page.locator('.scenario').textContent(), /empty machine/);
  assert.deepEqual(page.problems.console, []);
});

test('Pull cost: corners-current, whose pull fails once its tar-split is read', { skip, timeout: 60000 }, async () => {
  const page = await ui.page();
  await page.goto(pageUrl(ui.base, { registry: env.REGISTRY_URL, image: 'corners-current:latest', tab: 'plan' }));
  assert.equal(await waitForReport(page), 'report');
  await page.locator('.bar-row[data-plan="reference"]').waitFor({ timeout: 30000 });
  // planned from the TOC-only inspection: partial, if the tar-split matches
  const row = page.locator('tr[data-plan-layer]');
  assert.equal(await row.locator('.badge').first().textContent(), 'partial?');
  await page.locator('details.options summary').click();
  await page.locator('input[name="verifyTarSplit"]').check();
  await page.locator('form.query button[type="submit"]').click();
  await row.locator('.badge.bad', { hasText: 'pull fails' }).waitFor({ timeout: 30000 });
  assert.match(await page.locator('.note.bad').textContent(),
    /The reference pull fails on 1 layer: .*tar-split and TOC data is inconsistent/);
  assert.deepEqual(page.problems.console, []);
});

test('Registry check: plain distribution → partial pulls work; max_ranges 1 front → whole layers, with the fix', { skip, timeout: 60000 }, async () => {
  const page = await ui.page();
  await page.goto(pageUrl(ui.base, { registry: env.REGISTRY_URL, image: 'pair-b:latest', tab: 'probe' }));
  assert.equal(await waitForReport(page), 'report');
  await page.locator('.probe-view button.btn.primary').click();
  const verdict = page.locator('.verdict');
  await verdict.waitFor({ timeout: 20000 });
  assert.equal(await verdict.getAttribute('data-verdict'), 'partial-pulls-work');
  assert.equal(await verdict.getAttribute('data-class'), 'multipart');
  assert.match(await verdict.getAttribute('class'), /\bgood\b/);
  assert.match(await page.locator('.probe-table').textContent(), /206 · multipart/);

  await page.goto(pageUrl(ui.base, { registry: env.RANGE1_URL, image: 'pair-b:latest', tab: 'probe' }));
  assert.equal(await waitForReport(page), 'report');
  await page.locator('.probe-view button.btn.primary').click();
  await verdict.waitFor({ timeout: 20000 });
  assert.equal(await verdict.getAttribute('data-verdict'), 'whole-layers');
  assert.equal(await verdict.getAttribute('data-class'), 'whole-body');
  assert.match(await verdict.getAttribute('class'), /\bwarn\b/);
  assert.match(await page.locator('.probe-table').textContent(), /200 · whole-body/);
  assert.ok((await page.locator('.fix-text').textContent()).length > 20, 'a configuration fix is shown');
  // the configuration text is the module's: the probe's fix for this verdict (nginx / storage
  // lines) and the CORS config.yml (corsFix = corsConfig())
  const { probe, corsConfig } = await page.evaluate(async ([registry, repository, digest]) => {
    const cs = await (await import('./js/api.js')).loadModule();
    return { probe: await cs.probeRange({ registry, repository, digest, multiRange: true }), corsConfig: cs.corsConfig() };
  }, [env.RANGE1_URL, 'pair-b', await page.locator('tr.layer-row').first().getAttribute('data-layer-digest')]);
  assert.equal(await page.locator('.fix-text').textContent(), probe.fix);
  assert.match(probe.fix, /location \/v2\/ \{/);
  assert.equal(probe.corsFix, corsConfig);
  assert.equal(await page.locator('.snippets pre.cors-config').textContent(), corsConfig);
  assert.match(corsConfig, /Access-Control-Expose-Headers: \[Content-Range/);
  await screenshot(page, 'probe-range1');
  assert.deepEqual(page.problems.console, []);
  assert.deepEqual(page.problems.pageerror, []);
});

test('Pull cost: the prediction on a chosen registry behaviour (halving on range-cap:400:64)', { skip, timeout: 60000 }, async () => {
  const page = await ui.page();
  await page.goto(pageUrl(ui.base, { registry: env.REGISTRY_URL, image: 'pair-b:latest', have: 'pair-a:latest', tab: 'plan', layer: '2' }));
  assert.equal(await waitForReport(page), 'report');
  await page.locator('.bar-row[data-plan="reference"]').waitFor({ timeout: 30000 });
  assert.equal(await page.locator('.bar-row[data-plan="predicted"]').count(), 0, 'no prediction without a behaviour');
  await page.locator('select.behaviour').selectOption('range-cap:400:64');
  await page.locator('.bar-row[data-plan="predicted"]').waitFor({ timeout: 20000 });
  const opts = { chunkReuse: true, hardLinks: false, registryBehaviour: { class: 'range-cap', status: 400, cap: 64 }, errorBody: 'text' };
  const plan = await planInPage(page, 'pair-b:latest', ['pair-a:latest'], opts);
  const pt = plan.totals.predicted;
  assert.equal(pt.behaviour, 'range-cap:400:64');
  assert.equal(pt.outcome, 'partial');
  // 78 ranges refused with 400, then 38 accepted
  assert.deepEqual(plan.layers[1].predicted.requests.map((r) => [r.ranges.length, r.status]), [[2, 206], [78, 400], [38, 206]]);
  const shown = await panelNumbers(page);
  assert.deepEqual(shown.bars.predicted, { bytes: pt.bytes, requests: pt.requests });
  assert.equal(shown.layers[1].predicted, plan.layers[1].predicted.bytes);
  assert.match(await page.locator('.plan-view [data-predicted="partial"]').textContent(), /range-cap:400:64/);
  // a failing class: the note carries podman's error as text
  await page.locator('select.behaviour').selectOption('first-range-only');
  await page.locator('.plan-view [data-predicted="fails"]').waitFor({ timeout: 20000 });
  assert.match(await page.locator('.plan-view [data-predicted="fails"]').textContent(), /stream closed/);
  assert.deepEqual(page.problems.console, []);
  assert.deepEqual(page.problems.pageerror, []);
});

test('Registry check with the ladder: a front that caps ranges at 16 (416 above) → range-cap:416:16, pulls fail', { skip, timeout: 60000 }, async () => {
  const url = env.BEHAVIOUR_RANGE_CAP_416_16_URL;
  assert.ok(url, 'BEHAVIOUR_RANGE_CAP_416_16_URL is not set: run through scripts/test.sh');
  const page = await ui.page();
  await page.goto(pageUrl(ui.base, { registry: url, image: 'pair-b:latest', tab: 'probe' }));
  assert.equal(await waitForReport(page), 'report');
  await page.locator('.probe-view input.ladder').check();
  await page.locator('.probe-view button.btn.primary').click();
  const verdict = page.locator('.verdict');
  await verdict.waitFor({ timeout: 30000 });
  assert.equal(await verdict.getAttribute('data-verdict'), 'pull-fails');
  assert.equal(await verdict.getAttribute('data-class'), 'range-cap');
  assert.match(await verdict.getAttribute('class'), /\bbad\b/);
  assert.equal(await page.locator('.probe-table .behaviour').textContent(), 'range-cap:416:16');
  assert.match(await page.locator('.probe-table').textContent(), /16→206 64→416/);
  assert.match(await page.locator('.fix-text').textContent(), /max_ranges 1024/);
  await screenshot(page, 'probe-range-cap');
  assert.deepEqual(page.problems.pageerror, []);
});

test('Registry check after TOC reads on a first-200 registry: the class comes from what the reads saw', { skip, timeout: 60000 }, async () => {
  const url = env.BEHAVIOUR_FIRST_200_URL;
  assert.ok(url, 'BEHAVIOUR_FIRST_200_URL is not set: run through scripts/test.sh');
  assert.equal((await fetch(`${url}/_behaviour/reset`)).status, 200);
  const page = await ui.page();
  await page.goto(pageUrl(ui.base, { registry: url, image: 'pair-a:latest', tab: 'probe' }));
  assert.equal(await waitForReport(page), 'report');
  await page.locator('.probe-view button.btn.primary').click();
  const verdict = page.locator('.verdict');
  await verdict.waitFor({ timeout: 30000 });
  assert.equal(await verdict.getAttribute('data-class'), 'first-200');
  assert.equal(await verdict.getAttribute('data-verdict'), 'whole-layers');
  assert.match(await page.locator('.fix-text').textContent(), /blobdescriptor: inmemory/);
  assert.deepEqual(page.problems.pageerror, []);
});
