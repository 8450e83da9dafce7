// workflow.test.mjs — the inspector's workflow around the data (issue 11): input that says what
// is wrong with it (scheme, missing repository vs missing tag, a local file that is no layer), a
// failed re-inspect that hides the previous report, the tags of a repository offered after a
// missing tag, the ARIA tabs pattern from the keyboard, and the 390×844 layout.
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startUi, pageUrl, waitForReport, screenshot, registryEnv, skipReason, ROOT, assertClean, errorBox } from './helpers.mjs';

const skip = skipReason();
const env = registryEnv();
let ui;

before(async () => { if (!skip) ui = await startUi(); });
after(async () => { if (ui) await ui.close(); });

test('a registry without a scheme, or with one that is not http(s), is refused with a message that says so', { skip, timeout: 60000 }, async () => {
  const page = await ui.page();
  const bare = new URL(env.REGISTRY_URL).host;
  await page.goto(pageUrl(ui.base, { registry: bare, image: 'tiny-current:latest' }));
  assert.equal(await waitForReport(page), 'error');
  let text = await errorBox(page).textContent();
  assert.match(text, /has no scheme/);
  assert.ok(text.includes(`https://${bare}`) && text.includes(`http://${bare}`), text);
  await screenshot(page, 'workflow-no-scheme');

  await page.goto(pageUrl(ui.base, { registry: `ftp://${bare}`, image: 'tiny-current:latest' }));
  assert.equal(await waitForReport(page), 'error');
  text = await errorBox(page).textContent();
  assert.match(text, /ftp:\/\/ is not supported/);
  // nothing was requested from anywhere but the page's own server
  assertClean(page);
});

test('a missing repository and a missing tag are told apart; the tags are offered and one click inspects one', { skip, timeout: 60000 }, async () => {
  const page = await ui.page();
  await page.goto(pageUrl(ui.base, { registry: env.REGISTRY_URL, image: 'no-such-repo:latest' }));
  assert.equal(await waitForReport(page), 'error');
  let text = await errorBox(page).textContent();
  assert.match(text, /Repository not found/);
  assert.match(text, /NAME_UNKNOWN/);
  const code = await page.evaluate(async (registry) => {
    const cs = await (await import('./js/api.js')).loadModule();
    try {
      await cs.inspectImage({ registry, repository: 'tiny-current', reference: 'no-such-tag' });
      return null;
    } catch (e) {
      return { kind: e.kind, status: e.status, registryCode: e.registryCode, details: e.details.registryCode };
    }
  }, env.REGISTRY_URL);
  assert.deepEqual(code, { kind: 'not-found', status: 404, registryCode: 'MANIFEST_UNKNOWN', details: 'MANIFEST_UNKNOWN' });

  await page.addInitScript(() => document.addEventListener('chunkscope-tags', (e) => { window.seenTags = e.detail.tags; }));
  await page.goto(pageUrl(ui.base, { registry: env.REGISTRY_URL, image: 'tiny-current:no-such-tag' }));
  assert.equal(await waitForReport(page), 'error');
  text = await errorBox(page).textContent();
  assert.match(text, /Tag not found/);
  assert.match(text, /MANIFEST_UNKNOWN/);
  const tags = await (await page.waitForFunction(() => window.seenTags)).jsonValue();
  assert.deepEqual([...tags].sort(), ['latest', 'tiny']);
  const choices = page.locator('chunkscope-inspector .tag-choices button.tag-choice');
  assert.deepEqual((await choices.allTextContents()).sort(), ['latest', 'tiny']);
  assert.equal(await choices.filter({ hasText: 'latest' }).getAttribute('aria-label'), 'Inspect tag latest');
  await screenshot(page, 'workflow-tag-missing');
  await choices.filter({ hasText: 'latest' }).click();
  await page.locator('chunkscope-inspector tr.layer-row').first().waitFor();
  assert.equal(await page.locator('chunkscope-inspector input[name="image"]').inputValue(), 'tiny-current:latest');
  assert.equal(await page.locator('chunkscope-inspector .tag-choices').isHidden(), true);
  assertClean(page, { allowConsole: [/Failed to load resource/] });
});

test('a failed re-inspect hides the previous image\'s report', { skip, timeout: 60000 }, async () => {
  const page = await ui.page();
  await page.goto(pageUrl(ui.base, { registry: env.REGISTRY_URL, image: 'tiny-current:latest' }));
  assert.equal(await waitForReport(page), 'report');
  assert.equal(await page.locator('chunkscope-inspector .workspace').isVisible(), true);
  await page.locator('chunkscope-inspector input[name="image"]').fill('no-such-repo:latest');
  await page.locator('chunkscope-inspector form.query button[type="submit"]').click();
  await errorBox(page).waitFor();
  for (const sel of ['.summary', '.layers', '.workspace']) {
    assert.equal(await page.locator(`chunkscope-inspector ${sel}`).isHidden(), true, `${sel} hidden after the failed load`);
  }
  await screenshot(page, 'workflow-failed-reinspect');
  assertClean(page, { allowConsole: [/Failed to load resource/] });
});

test('a local file is identified by its magic bytes: random bytes are "not a layer", a tar is no compressed layer', { skip, timeout: 60000 }, async () => {
  const dir = path.join(ROOT, 'target', 'e2e-cache', 'sniff');
  mkdirSync(dir, { recursive: true });
  const noise = path.join(dir, 'layer.tar.zst'); // a layer's name, not a layer's bytes
  const bytes = Buffer.alloc(4096);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 2654435761) >>> 13 & 0xff;
  writeFileSync(noise, bytes);
  const page = await ui.page();
  await page.goto(ui.base);
  await page.locator('form.local summary').click();
  await page.locator('form.local input[type="file"]').setInputFiles(noise);
  await page.locator('form.local button[type="submit"]').click();
  await errorBox(page).waitFor();
  let text = await errorBox(page).textContent();
  assert.match(text, /Not a layer/);
  assert.match(text, /neither a zstd frame, a gzip member nor a tar header/);
  await page.locator('form.local input[type="file"]').setInputFiles(path.join(ROOT, 'tests', 'fixtures', 'sniff', 'one-file.tar'));
  await page.locator('form.local button[type="submit"]').click();
  await errorBox(page).filter({ hasText: 'uncompressed tar archive' }).waitFor();
  // the module's sniff on the real bytes
  const kinds = await page.evaluate(async () => {
    const cs = await (await import('./js/api.js')).loadModule();
    return [cs.sniff(new Uint8Array([0x28, 0xb5, 0x2f, 0xfd, 0, 0])), cs.sniff(new Uint8Array([0x1f, 0x8b, 8, 0])), cs.sniff(new Uint8Array(8))];
  });
  assert.deepEqual(kinds, ['zstd', 'gzip', 'unknown']);
  await screenshot(page, 'workflow-not-a-layer');
  assertClean(page);
});

test('keyboard only: the tabs follow the ARIA tabs pattern (one tab stop, arrows, Home, End)', { skip, timeout: 60000 }, async () => {
  const page = await ui.page();
  await page.goto(pageUrl(ui.base, { registry: env.REGISTRY_URL, image: 'tiny-current:latest' }));
  assert.equal(await waitForReport(page), 'report');
  const tabs = page.locator('chunkscope-inspector [role="tab"]');
  assert.deepEqual(await tabs.evaluateAll((ts) => ts.map((t) => t.tabIndex)), [0, -1, -1, -1]);
  await page.locator('chunkscope-inspector [role="tab"][aria-selected="true"]').focus();
  const state = () => page.evaluate(() => {
    const r = document.querySelector('chunkscope-inspector').shadowRoot;
    const sel = r.querySelector('[role="tab"][aria-selected="true"]');
    const panel = r.getElementById(sel.getAttribute('aria-controls'));
    return { selected: sel.dataset.tab, focused: r.activeElement && r.activeElement.dataset.tab, panelShown: !panel.hidden, labelledBy: panel.getAttribute('aria-labelledby') };
  });
  await page.keyboard.press('ArrowRight');
  assert.deepEqual(await state(), { selected: 'map', focused: 'map', panelShown: true, labelledBy: 'tab-map' });
  await page.keyboard.press('End');
  assert.deepEqual(await state(), { selected: 'probe', focused: 'probe', panelShown: true, labelledBy: 'tab-probe' });
  await page.keyboard.press('ArrowRight'); // wraps
  assert.equal((await state()).selected, 'files');
  await page.keyboard.press('ArrowLeft');
  assert.equal((await state()).selected, 'probe');
  await page.keyboard.press('Home');
  assert.equal((await state()).selected, 'files');
  // Tab leaves the tab list for the panel (one tab stop for the whole list)
  await page.keyboard.press('Tab');
  assert.notEqual(await page.evaluate(() => document.querySelector('chunkscope-inspector').shadowRoot.activeElement.getAttribute('role')), 'tab');
  assert.match(page.url(), /tab=files|^[^?]*\?(?!.*tab=)/);
  await screenshot(page, 'workflow-keyboard-tabs');
  assertClean(page);
});

test('390×844: the file list shows names (numeric columns dropped), the Registry check values wrap', { skip, timeout: 60000 }, async () => {
  const page = await ui.page({ width: 390, height: 844 });
  await page.goto(pageUrl(ui.base, { registry: env.REGISTRY_URL, image: 'pair-b:latest', layer: '2' }));
  assert.equal(await waitForReport(page), 'report');
  const row = page.locator('chunkscope-inspector .toc-view .row:not([hidden])').first();
  await row.waitFor();
  // no horizontal overflow of the page
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `page scrolls sideways by ${overflow}px`);
  // every visible row's name is at least 150 px wide and inside the viewport
  const names = await page.locator('chunkscope-inspector .toc-view .row:not([hidden]) .name').evaluateAll((els) => els.slice(0, 10).map((e) => {
    const r = e.getBoundingClientRect();
    return { w: r.width, right: r.right, text: e.textContent };
  }));
  assert.ok(names.length > 0);
  for (const n of names) {
    assert.ok(n.w >= 150 && n.right <= 390, JSON.stringify(n));
  }
  await page.locator('chunkscope-inspector .toc-view').scrollIntoViewIfNeeded();
  await screenshot(page, 'workflow-390-files', { fullPage: false });
  await page.locator('chunkscope-inspector [data-tab="probe"]').click();
  await page.locator('chunkscope-inspector .probe-view button').first().click();
  await page.locator('chunkscope-inspector .probe-view .verdict').waitFor({ timeout: 20000 });
  const wide = await page.locator('chunkscope-inspector .probe-view td, chunkscope-inspector .probe-view pre').evaluateAll((els) => els.filter((e) => e.getBoundingClientRect().right > 390 + 1).map((e) => e.textContent));
  assert.deepEqual(wide, [], 'Registry check values wider than the screen');
  await screenshot(page, 'workflow-390-probe');
  assertClean(page);
});

test('sort toggles ascending/descending; sort, filter and budget are in the shareable URL; invalid budgets say so; the curve sets the budget', { skip, timeout: 90000 }, async () => {
  const page = await ui.page();
  await page.goto(pageUrl(ui.base, { registry: env.REGISTRY_URL, image: 'pair-b:latest', layer: '2' }));
  assert.equal(await waitForReport(page), 'report');
  await page.locator('chunkscope-inspector .toc-view [aria-pressed="false"]', { hasText: 'List' }).click();
  const sizes = () => page.locator('chunkscope-inspector .toc-view .row:not([hidden])').evaluateAll((rows) => rows
    .map((r) => ({ y: Number(r.dataset.row), size: r.querySelector('.num.size').textContent }))
    .sort((a, b) => a.y - b.y).slice(0, 5).map((r) => r.size));
  const sizeCol = page.locator('chunkscope-inspector .toc-head .col[data-sort="size"]');
  await sizeCol.click();
  assert.match(await sizeCol.textContent(), /Size ↓/);
  const desc = await sizes();
  assert.match(page.url(), /sort=size(&|$)/);
  await sizeCol.click(); // again: reversed
  assert.match(await sizeCol.textContent(), /Size ↑/);
  assert.equal(await sizeCol.getAttribute('aria-label'), 'Size: sorted, reversed; click to reverse');
  const asc = await sizes();
  assert.notDeepEqual(asc, desc);
  assert.match(page.url(), /sort=-size(&|$)/);
  await page.locator('chunkscope-inspector .toc-view input.filter, chunkscope-inspector .toc-view input[type="search"]').first().fill('locale');
  await page.waitForFunction(() => /filter=locale/.test(location.search));

  // the URL gives the same view back
  const shared = page.url();
  const page2 = await ui.page();
  await page2.goto(shared);
  assert.equal(await waitForReport(page2), 'report');
  await page2.locator('chunkscope-inspector .toc-view .row:not([hidden])').first().waitFor();
  assert.match(await page2.locator('chunkscope-inspector .toc-head .col[data-sort="size"]').textContent(), /Size ↑/);
  assert.equal(await page2.locator('chunkscope-inspector .toc-view input.filter, chunkscope-inspector .toc-view input[type="search"]').first().inputValue(), 'locale');
  assert.match(await page2.locator('chunkscope-inspector .toc-view .count').textContent(), /match/);

  // an invalid budget says so and plans with the automatic one
  await page.locator('chunkscope-inspector [data-tab="plan"]').click();
  await page.locator('chunkscope-inspector svg.curve').waitFor({ timeout: 30000 });
  // the curve's labels never overlap and stay inside the chart
  const boxes = await page.locator('chunkscope-inspector svg.curve text.tick').evaluateAll((ts) => ts.map((t) => {
    const b = t.getBBox();
    return { x: b.x, y: b.y, w: b.width, h: b.height, text: t.textContent };
  }));
  const vb = 560;
  for (let i = 0; i < boxes.length; i++) {
    assert.ok(boxes[i].x >= 0 && boxes[i].x + boxes[i].w <= vb + 0.5, JSON.stringify(boxes[i]));
    for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i];
      const b = boxes[j];
      const overlap = a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
      assert.ok(!overlap, `labels overlap: ${JSON.stringify(a)} ${JSON.stringify(b)}`);
    }
  }
  const budget = page.locator('chunkscope-inspector input.budget');
  await budget.fill('2.5');
  await budget.dispatchEvent('change');
  await page.locator('chunkscope-inspector .budget-error:not([hidden])').waitFor();
  assert.match(await page.locator('chunkscope-inspector .budget-error').textContent(), /Not a valid budget/);
  assert.equal(await budget.getAttribute('aria-invalid'), 'true');
  await screenshot(page, 'workflow-invalid-budget', { fullPage: false });
  // a click on the curve: its nearest point's request count becomes the budget (and the URL's)
  await page.locator('chunkscope-inspector svg.curve').scrollIntoViewIfNeeded();
  const box = await page.locator('chunkscope-inspector svg.curve').boundingBox();
  await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.5);
  assert.match(await page.locator('chunkscope-inspector svg.curve .readout').textContent(), /requests? → .*B \(click: use as budget\)/);
  await page.mouse.click(box.x + box.width * 0.5, box.y + box.height * 0.5);
  const k = await budget.inputValue();
  assert.match(k, /^[1-9][0-9]*$/);
  assert.equal(await page.locator('chunkscope-inspector .budget-error').isHidden(), true);
  await page.waitForFunction((v) => new URLSearchParams(location.search).get('budget') === v, k);
  await page.locator('chunkscope-inspector svg.curve .chosen-point title', { hasText: `budget ${k}` }).waitFor({ state: 'attached' });
  assertClean(page);
  assertClean(page2);
});

for (const [name, envKey, want] of [
  ['whole-body', 'BEHAVIOUR_WHOLE_BODY_URL', /^On this registry \(probed: whole-body\), podman would download [\d.]+ [kM]B \(\d+% of a full pull\)/],
  ['rejected-501', 'BEHAVIOUR_REJECTED_501_URL', /^podman's pull would fail here: 501 \(this registry, probed: rejected:501\)/],
]) {
  test(`diagnosis tied to cost: after the Registry check on a ${name} registry the Pull cost tab speaks of this registry`, { skip, timeout: 60000 }, async () => {
    const url = env[envKey];
    assert.ok(url, `${envKey} is not set: run through scripts/test.sh`);
    const page = await ui.page();
    await page.goto(pageUrl(ui.base, { registry: url, image: 'pair-b:latest', tab: 'probe' }));
    assert.equal(await waitForReport(page), 'report');
    await page.locator('chunkscope-inspector .probe-view button.btn.primary').click();
    await page.locator('chunkscope-inspector .verdict').waitFor({ timeout: 30000 });
    await page.locator('chunkscope-inspector [data-tab="plan"]').click();
    const note = page.locator('chunkscope-inspector .plan-view [data-here="probed"]');
    await note.waitFor({ timeout: 30000 });
    assert.match(await note.locator('strong').textContent(), want);
    // next to the ideal (reference) and the single-range plan
    assert.equal(await page.locator('chunkscope-inspector .bar-row[data-plan="reference"]').count(), 1);
    assert.equal(await page.locator('chunkscope-inspector .bar-row[data-plan="single"]').count(), 1);
    await screenshot(page, `workflow-probed-cost-${name}`, { fullPage: false });
    assertClean(page, { allowConsole: [/Failed to load resource/] });
  });
}

test('"fetched by a pull" filter, CSV/JSON export of what a pull fetches, folder match counts under a filter', { skip, timeout: 90000 }, async () => {
  const page = await ui.page();
  await page.goto(pageUrl(ui.base, { registry: env.REGISTRY_URL, image: 'pair-b:latest', have: 'pair-a:latest', layer: '2' }));
  assert.equal(await waitForReport(page), 'report');
  await page.locator('chunkscope-inspector .pull-legend:not([hidden])').waitFor({ timeout: 30000 });
  const count = page.locator('chunkscope-inspector .toc-view .count');
  const all = await count.textContent();
  await page.locator('chunkscope-inspector select.pull-filter').selectOption('fetched');
  await page.waitForFunction(() => /pull=fetched/.test(location.search));
  const m = /^([\d,]+) of/.exec(await count.textContent());
  assert.ok(m, await count.textContent());
  const fetched = Number(m[1].replace(/,/g, ''));
  assert.ok(fetched > 0 && !all.startsWith(m[1]), `${fetched} fetched of ${all}`);
  // every shown file row is marked fetched (a class and its name say so, not colour alone)
  await page.locator('chunkscope-inspector .toc-view [aria-pressed="false"]', { hasText: 'List' }).click();
  const marks = await page.locator('chunkscope-inspector .toc-view .row:not([hidden])').evaluateAll((rows) => rows.map((r) => r.classList.contains('needed')));
  assert.ok(marks.length > 0 && marks.every(Boolean), JSON.stringify(marks.slice(0, 5)));

  const [csv] = await Promise.all([
    page.waitForEvent('download'),
    page.locator('chunkscope-inspector button.export[data-format="csv"]').click(),
  ]);
  const csvText = await (await import('node:fs/promises')).readFile(await csv.path(), 'utf8');
  const lines = csvText.trim().split('\n');
  assert.equal(lines[0], 'path,size,chunks,compressed_bytes,digest');
  assert.equal(lines.length - 1, fetched);
  assert.match(csv.suggestedFilename(), /^fetched-sha256-[0-9a-f]+\.csv$/);
  const [json] = await Promise.all([
    page.waitForEvent('download'),
    page.locator('chunkscope-inspector button.export[data-format="json"]').click(),
  ]);
  const doc = JSON.parse(await (await import('node:fs/promises')).readFile(await json.path(), 'utf8'));
  assert.equal(doc.files, fetched);
  assert.equal(doc.fetched.length, fetched);
  assert.deepEqual(doc.over, ['pair-a:latest']);
  assert.equal(doc.compressedBytes, doc.fetched.reduce((a, f) => a + f.compressedBytes, 0));
  assert.ok(doc.fetched.every((f) => f.path.startsWith('/') || f.path.length > 0));

  // tree view, all files, a text filter: folders say how many of their files match
  await page.locator('chunkscope-inspector select.pull-filter').selectOption('');
  await page.locator('chunkscope-inspector .toc-view [aria-pressed="false"]', { hasText: 'Tree' }).click();
  await page.locator('chunkscope-inspector .toc-view input.filter').fill('locale');
  await page.locator('chunkscope-inspector .toc-view .count', { hasText: 'match' }).waitFor();
  const dirRow = page.locator('chunkscope-inspector .toc-view .row.t-dir:not([hidden])', { hasText: 'locale' }).first();
  await dirRow.waitFor();
  assert.match(await dirRow.locator('.target').textContent(), /^\d+ of \d+ files?$/);
  // a folder never counts more matches than files; the locale folder's 58 files all match
  const targets = await page.locator('chunkscope-inspector .toc-view .row.t-dir:not([hidden]) .target').allTextContents();
  for (const t of targets) {
    const [, a, b] = /^([\d,]+) of ([\d,]+) files?$/.exec(t).map((x) => Number(String(x).replace(/,/g, '')));
    assert.ok(a <= b, t);
  }
  assert.equal(await dirRow.locator('.target').textContent(), '58 of 58 files');
  await screenshot(page, 'workflow-fetched-filter', { fullPage: false });
  assertClean(page);
});

test('a local layer blob: preview reads the file\'s one extent with Blob.slice and verifies its digest', { skip, timeout: 60000 }, async () => {
  const layout = path.join(ROOT, 'tests', 'fixtures', 'tiny-current');
  const { readFileSync } = await import('node:fs');
  const index = JSON.parse(readFileSync(path.join(layout, 'index.json'), 'utf8'));
  const blob = (d) => path.join(layout, 'blobs', 'sha256', d.replace('sha256:', ''));
  const manifest = JSON.parse(readFileSync(blob(index.manifests[0].digest), 'utf8'));
  const layer = manifest.layers[0];
  const page = await ui.page();
  await page.goto(ui.base);
  await page.locator('form.local summary').click();
  await page.locator('form.local input[type="file"]').setInputFiles(blob(layer.digest));
  await page.locator('form.local textarea').fill(JSON.stringify(layer.annotations));
  await page.locator('form.local button[type="submit"]').click();
  assert.equal(await waitForReport(page), 'report');
  await page.locator('chunkscope-inspector .toc-view input.filter').fill('big.bin');
  // the filter applies after a debounce and recycles the row elements: wait for it first
  await page.locator('chunkscope-inspector .toc-view[data-query="big.bin"]').waitFor();
  await page.locator('chunkscope-inspector .toc-view .row:not([hidden])', { hasText: 'big.bin' }).first().click();
  const btn = page.locator('chunkscope-inspector .preview-btn');
  await btn.waitFor();
  assert.equal(await btn.isDisabled(), false);
  await btn.click();
  const badge = page.locator('chunkscope-inspector [data-verified="true"]');
  await badge.waitFor({ timeout: 20000 });
  assert.match(await page.locator('chunkscope-inspector .preview-head').textContent(), /read .* from the local file/);
  await screenshot(page, 'workflow-local-preview', { fullPage: false });
  assertClean(page);
});

test('keyboard only: the chunk map steps through files in blob order and says what each is (fetched / present in words); named zoom buttons', { skip, timeout: 60000 }, async () => {
  const page = await ui.page();
  await page.goto(pageUrl(ui.base, { registry: env.REGISTRY_URL, image: 'pair-b:latest', have: 'pair-a:latest', layer: '2' }));
  assert.equal(await waitForReport(page), 'report');
  await page.locator('chunkscope-inspector .pull-legend:not([hidden])').waitFor({ timeout: 30000 });
  // the file list says the pull mark in words (accessible name), not colour alone
  const firstMarked = page.locator('chunkscope-inspector .toc-view .row.needed:not([hidden]), chunkscope-inspector .toc-view .row.present:not([hidden])').first();
  await page.locator('chunkscope-inspector .toc-view [aria-pressed="false"]', { hasText: 'List' }).click();
  await firstMarked.waitFor();
  assert.match(await firstMarked.textContent(), /\((fetched by a pull|already present)\)/);

  // to the Chunk map tab from the keyboard: focus the selected tab, arrow right
  await page.locator('chunkscope-inspector [role="tab"][aria-selected="true"]').focus();
  await page.keyboard.press('ArrowRight');
  assert.equal(await page.locator('chunkscope-inspector [role="tab"][aria-selected="true"]').getAttribute('data-tab'), 'map');
  for (const name of ['Zoom in', 'Zoom out', 'Fit the whole blob']) {
    assert.equal(await page.getByRole('button', { name, exact: true }).count(), 1, name);
  }
  const canvas = page.locator('chunkscope-inspector canvas.map-canvas');
  const summaryId = await canvas.getAttribute('aria-describedby');
  const summary = await page.locator(`chunkscope-inspector #${summaryId}`).textContent();
  assert.match(summary, /^Layer blob of [\d.]+ [kM]B: 1,023 files with data, table of contents/);
  assert.match(summary, /A pull fetches \d+ files?; \d+ files? already present/);
  await canvas.focus();
  await page.keyboard.press('ArrowRight');
  // 1,027 files, 4 of them empty (no chunks): 1,023 to step through
  const say = page.locator('chunkscope-inspector .map-step');
  assert.match(await say.textContent(), /^File 1 of 1,023 in blob order: \/\S+, \d+ chunks?, .* compressed at offset \d.*, (fetched by a pull|already present)$/);
  const first = /in blob order: (\S+),/.exec(await say.textContent())[1];
  await page.locator('chunkscope-inspector .file-details h3.path', { hasText: first }).waitFor();
  await page.keyboard.press('ArrowRight');
  assert.match(await say.textContent(), /^File 2 of 1,023/);
  await page.keyboard.press('End');
  assert.match(await say.textContent(), /^File 1,023 of 1,023/);
  await page.keyboard.press('ArrowLeft');
  assert.match(await say.textContent(), /^File 1,022 of 1,023/);
  await page.keyboard.press('Home');
  assert.match(await say.textContent(), /^File 1 of 1,023/);
  assert.match(page.url(), /file=/);
  await screenshot(page, 'workflow-keyboard-map', { fullPage: false });
  assertClean(page);
});

test('the Image field offers the repository\'s tags once the repository is typed (a datalist from listTags)', { skip, timeout: 60000 }, async () => {
  const page = await ui.page();
  await page.goto(ui.base);
  await page.locator('chunkscope-inspector input[name="registry"]').fill(env.REGISTRY_URL);
  const image = page.locator('chunkscope-inspector input[name="image"]');
  await image.pressSequentially('pair-a', { delay: 20 });
  const listId = await image.getAttribute('list');
  assert.equal(listId, 'image-tags');
  const options = page.locator(`chunkscope-inspector datalist#${listId} option`);
  await options.first().waitFor({ state: 'attached', timeout: 10000 });
  const values = await options.evaluateAll((os) => os.map((o) => o.value).sort());
  assert.deepEqual(values, ['pair-a:latest', 'pair-a:pair-a']);
  assertClean(page);
});

test('1400 px: the chunk table\'s Pull column is visible without scrolling', { skip, timeout: 60000 }, async () => {
  const page = await ui.page({ width: 1400, height: 900 });
  await page.goto(pageUrl(ui.base, { registry: env.REGISTRY_URL, image: 'pair-b:latest', have: 'pair-a:latest', layer: '2', file: '/opt/app/locale/l01/messages.txt' }));
  assert.equal(await waitForReport(page), 'report');
  const th = page.locator('chunkscope-inspector .chunk-table th.pull-col');
  await th.waitFor({ timeout: 30000 });
  const { col, wrap } = await th.evaluate((el) => {
    const w = el.closest('.table-wrap').getBoundingClientRect();
    const r = el.getBoundingClientRect();
    return { col: { left: r.left, right: r.right }, wrap: { left: w.left, right: w.right } };
  });
  assert.ok(col.left >= wrap.left && col.right <= wrap.right, JSON.stringify({ col, wrap }));
  assert.match(await page.locator('chunkscope-inspector .chunk-table td.pull-col').first().textContent(), /^(have|fetch|never)$/);
  await screenshot(page, 'workflow-1400-chunk-table', { fullPage: false });
  assertClean(page);
});

test('"Check registry" before any inspect: reachable and readable / not reachable / reachable but no CORS (configuration with a Copy button)', { skip, timeout: 60000 }, async () => {
  const page = await ui.page();
  await page.goto(ui.base);
  const reg = page.locator('chunkscope-inspector input[name="registry"]');
  const check = page.getByRole('button', { name: /^Check the registry/ });
  await reg.fill(env.REGISTRY_URL);
  await check.click();
  const ok = page.locator('chunkscope-inspector .notice[data-check="ok"]');
  await ok.waitFor();
  assert.match(await ok.textContent(), /is reachable and this page may read it: GET \/v2\/ answered 200\./);

  // nothing listens: "not reachable", no CORS block
  const dead = `http://127.0.0.1:${await new Promise((resolve) => {
    import('node:net').then((net) => {
      const srv = net.createServer().listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => resolve(port)); });
    });
  })}`;
  await reg.fill(dead);
  await check.click();
  await errorBox(page).waitFor();
  let text = await errorBox(page).textContent();
  assert.match(text, /The registry is not reachable/);
  assert.equal(await errorBox(page).locator('pre.cors-config').count(), 0);
  assert.equal(await ok.count(), 0);

  // answers, but without CORS headers: the configuration, and a named Copy button for it
  await reg.fill(env.NOCORS_REGISTRY_URL);
  await check.click();
  await errorBox(page).filter({ hasText: 'CORS' }).waitFor();
  text = await errorBox(page).textContent();
  assert.match(text, /does not let this page read it \(CORS\)/);
  assert.equal(await errorBox(page).locator('pre.cors-config').count(), 1);
  assert.equal(await page.getByRole('button', { name: 'Copy distribution CORS config' }).count(), 1);
  await screenshot(page, 'workflow-check-registry-no-cors');
  assertClean(page, { allowConsole: [/Failed to load resource/, /blocked by CORS policy/] });
});

test('a load that hangs can be cancelled from the status bar; the page stays usable', { skip, timeout: 60000 }, async () => {
  const net = await import('node:net');
  const sockets = [];
  // accepts connections and never answers
  const srv = net.createServer((s) => sockets.push(s)).listen(0, '127.0.0.1');
  await new Promise((r) => srv.once('listening', r));
  try {
    const page = await ui.page();
    await page.goto(pageUrl(ui.base, { registry: `http://127.0.0.1:${srv.address().port}`, image: 'tiny-current:latest' }));
    const progress = page.locator('chunkscope-inspector .progress:not([hidden])');
    await progress.waitFor();
    assert.equal(await page.locator('chunkscope-inspector form.query button[type="submit"]').isDisabled(), true);
    await page.getByRole('button', { name: 'Cancel loading' }).click();
    await page.locator('chunkscope-inspector .progress').waitFor({ state: 'hidden' });
    assert.equal(await page.locator('chunkscope-inspector form.query button[type="submit"]').isDisabled(), false);
    assert.match(await page.locator('chunkscope-inspector .notice[data-cancelled="true"]').textContent(), /Cancelled/);
    // and the next load works
    await page.locator('chunkscope-inspector input[name="registry"]').fill(env.REGISTRY_URL);
    await page.locator('chunkscope-inspector form.query button[type="submit"]').click();
    await page.locator('chunkscope-inspector tr.layer-row').first().waitFor();
    assertClean(page);
  } finally {
    for (const s of sockets) s.destroy();
    srv.close();
  }
});

test('a registry that redirects blobs to object storage: the fix is storage.redirect.disable with its trade-off; the storage CORS for this page is a separate block', { skip, timeout: 90000 }, async () => {
  const url = env.S3_REGISTRY_URL;
  assert.ok(url, 'S3_REGISTRY_URL is not set: run through scripts/test.sh (S3_REGISTRY=1)');
  const page = await ui.page();
  await page.goto(pageUrl(ui.base, { registry: url, image: 'pair-b:latest', tab: 'probe' }));
  assert.equal(await waitForReport(page, 60000), 'report');
  await page.locator('chunkscope-inspector .probe-view button.btn.primary').click();
  await page.locator('chunkscope-inspector .verdict').waitFor({ timeout: 30000 });
  assert.equal(await page.locator('chunkscope-inspector .verdict').getAttribute('data-class'), 'whole-body');
  const fix = await page.locator('chunkscope-inspector .fix-text').textContent();
  assert.match(fix, /storage:\n {2}redirect:\n {4}disable: true/);
  assert.match(fix, /Trade-off: the registry then streams every blob itself/);
  assert.doesNotMatch(fix, /AllowedOrigins/);
  const browserFix = await page.locator('chunkscope-inspector .browser-fix-text').textContent();
  assert.match(browserFix, /"AllowedOrigins": \["\*"\]/);
  assert.equal(await page.getByRole('button', { name: 'Copy the storage CORS rules' }).count(), 1);
  assert.equal(await page.getByRole('button', { name: 'Copy the registry fix' }).count(), 1);
  await screenshot(page, 'workflow-s3-redirect-fix');
  assertClean(page, { allowConsole: [/Failed to load resource/] });
});
