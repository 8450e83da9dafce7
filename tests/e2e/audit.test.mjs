// audit.test.mjs — the issue-11 items that had no end-to-end test of their own: the layer table
// speaking of the probed registry, the Pull cost options in the shareable URL, disabled controls
// that say why, colour by directory one level deeper in Chromium, and a keyboard-only run from an
// empty page to a verified preview and a Registry check.
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startUi, pageUrl, waitForReport, screenshot, registryEnv, skipReason, chunkedLayout, assertClean } from './helpers.mjs';

const skip = skipReason();
const env = registryEnv();
let ui;

before(async () => { if (!skip) ui = await startUi(); });
after(async () => { if (ui) await ui.close(); });

for (const [name, envKey, behaviour, words] of [
  ['whole-body', 'BEHAVIOUR_WHOLE_BODY_URL', { class: 'whole-body' }, null],
  ['rejected-501', 'BEHAVIOUR_REJECTED_501_URL', { class: 'rejected', status: 501 }, /^On this registry: the pull fails, /],
]) {
  test(`the layer table speaks of the probed registry (${name}): each layer's predicted outcome, bytes and requests`, { skip, timeout: 60000 }, async () => {
    const url = env[envKey];
    assert.ok(url, `${envKey} is not set: run through scripts/test.sh`);
    const page = await ui.page();
    await page.goto(pageUrl(ui.base, { registry: url, image: 'pair-b:latest', tab: 'plan' }));
    assert.equal(await waitForReport(page), 'report');
    await page.locator('chunkscope-inspector .bar-row[data-plan="reference"]').waitFor({ timeout: 30000 });
    const here = page.locator('chunkscope-inspector tr.layer-row .predicted-here');
    assert.equal(await here.count(), 0, 'nothing about this registry before the check');
    // a behaviour chosen by hand is hypothetical: not shown in the layer table
    await page.locator('chunkscope-inspector select.behaviour').selectOption('no-range');
    await page.locator('chunkscope-inspector .bar-row[data-plan="predicted"]').waitFor({ timeout: 30000 });
    assert.equal(await here.count(), 0, 'a chosen behaviour is not this registry');

    await page.locator('chunkscope-inspector [data-tab="probe"]').click();
    await page.locator('chunkscope-inspector .probe-view button.btn.primary').click();
    await page.locator('chunkscope-inspector .verdict').waitFor({ timeout: 30000 });
    await here.first().waitFor({ timeout: 30000 });
    assert.equal(await here.count(), 2);
    const expected = await page.evaluate(async ({ registry, b }) => {
      const cs = await (await import('./js/api.js')).loadModule();
      const plan = await cs.planPull({ want: { registry, repository: 'pair-b', reference: 'latest' }, registryBehaviour: b });
      return plan.layers.map((l) => ({ outcome: l.predicted.outcome, bytes: l.predicted.bytes, requests: l.predicted.requests.length }));
    }, { registry: url, b: behaviour });
    const shown = await here.evaluateAll((els) => els.map((e) => ({ outcome: e.dataset.predicted, behaviour: e.dataset.behaviour, text: e.textContent })));
    shown.forEach((s, i) => {
      assert.equal(s.outcome, expected[i].outcome);
      assert.equal(s.behaviour, [behaviour.class, behaviour.status].filter(Boolean).join(':'));
      const n = expected[i].requests;
      assert.ok(s.text.endsWith(` in ${n} request${n === 1 ? '' : 's'}`), s.text);
      assert.match(s.text, /^On this registry: (partial pull|whole blob downloaded again|falls back to a full pull|the pull fails), /);
      if (words) assert.match(s.text, words);
    });
    await screenshot(page, `audit-layers-here-${name}`, { fullPage: false });
    assertClean(page, { allowConsole: [/Failed to load resource/] });
  });
}

test('the Pull cost options are in the shareable URL and come back from it', { skip, timeout: 60000 }, async () => {
  const page = await ui.page();
  await page.goto(pageUrl(ui.base, { registry: env.REGISTRY_URL, image: 'pair-b:latest', have: 'pair-a:latest', tab: 'plan' }));
  assert.equal(await waitForReport(page), 'report');
  await page.locator('chunkscope-inspector .bar-row[data-plan="reference"]').waitFor({ timeout: 30000 });
  const plan = page.locator('chunkscope-inspector .plan-view');
  await plan.getByRole('checkbox', { name: /^Reuse chunks/ }).uncheck();
  await plan.getByRole('checkbox', { name: 'use_hard_links' }).check();
  await plan.locator('select.behaviour').selectOption('range-cap:416:16');
  await plan.getByRole('checkbox', { name: 'refusals are registry JSON errors' }).check();
  await page.waitForFunction(() => {
    const q = new URLSearchParams(location.search);
    return q.get('reuse') === '0' && q.get('hardlinks') === '1' && q.get('behaviour') === 'range-cap:416:16' && q.get('errors') === 'json';
  });
  const shared = page.url();
  assert.doesNotMatch(shared, /insecure=/);

  const page2 = await ui.page();
  await page2.goto(shared);
  assert.equal(await waitForReport(page2), 'report');
  const plan2 = page2.locator('chunkscope-inspector .plan-view');
  await page2.locator('chunkscope-inspector .bar-row[data-plan="predicted"]').waitFor({ timeout: 30000 });
  assert.equal(await plan2.getByRole('checkbox', { name: /^Reuse chunks/ }).isChecked(), false);
  assert.equal(await plan2.getByRole('checkbox', { name: 'use_hard_links' }).isChecked(), true);
  assert.equal(await plan2.locator('select.behaviour').inputValue(), 'range-cap:416:16');
  assert.equal(await plan2.getByRole('checkbox', { name: 'refusals are registry JSON errors' }).isChecked(), true);
  // the plan shown is the one of those options
  const shown = Number(await page2.locator('chunkscope-inspector .bar-row[data-plan="predicted"]').getAttribute('data-bytes'));
  const want = await page2.evaluate(async (registry) => {
    const cs = await (await import('./js/api.js')).loadModule();
    const t = (r) => ({ registry, repository: r, reference: 'latest' });
    const p = await cs.planPull({
      want: t('pair-b'), have: [t('pair-a')], chunkReuse: false, hardLinks: true, insecureAllowUnpredictableImageContents: false,
      registryBehaviour: { class: 'range-cap', status: 416, cap: 16 }, errorBody: 'json',
    });
    return p.totals.predicted.bytes;
  }, env.REGISTRY_URL);
  assert.equal(shown, want);
  assertClean(page);
  assertClean(page2);
});

test('disabled controls say why in words: the preview of a file over 64 MiB, the Registry check of a local layout', { skip, timeout: 120000 }, async () => {
  const { layout } = await chunkedLayout({
    name: 'over-64m',
    members: [
      { name: 'data', type: 'dir' },
      { name: 'data/zeros.bin', type: 'file', data: '\u0000'.repeat((64 << 20) + 1) },
      { name: 'data/hello.txt', type: 'file', data: 'hello\n' },
    ],
  });
  const page = await ui.page();
  await page.goto(ui.base);
  const form = page.locator('chunkscope-inspector form.layout-folder');
  await form.locator('summary').click();
  await form.locator('input[type="file"]').setInputFiles(layout);
  await form.locator('button[type="submit"]').click();
  assert.equal(await waitForReport(page), 'report');
  await page.locator('chunkscope-inspector .row[data-path="/data/zeros.bin"]').click();
  const btn = page.locator('chunkscope-inspector .preview-btn');
  await btn.waitFor();
  assert.equal(await btn.isDisabled(), true);
  const why = page.locator('chunkscope-inspector .preview-why');
  assert.equal(await why.textContent(), 'Files over 64 MiB are not previewed in the browser.');
  assert.equal(await btn.getAttribute('aria-describedby'), await why.getAttribute('id'));
  assert.equal(await why.isVisible(), true);
  // the other file previews
  await page.locator('chunkscope-inspector .row[data-path="/data/hello.txt"]').click();
  assert.equal(await page.locator('chunkscope-inspector .preview-btn').isDisabled(), false);

  await page.locator('chunkscope-inspector [data-tab="probe"]').click();
  const run = page.getByRole('button', { name: 'Run the range check' });
  assert.equal(await run.isDisabled(), true);
  const runWhy = page.locator('chunkscope-inspector .run-why');
  assert.equal(await runWhy.isVisible(), true);
  assert.equal(await runWhy.textContent(), 'Needs a registry image');
  assert.equal(await run.getAttribute('aria-describedby'), 'probe-run-why');
  await screenshot(page, 'audit-disabled-why', { fullPage: false });
  assertClean(page);
});

test('colour by directory in Chromium: a layer whose files all sit in /opt/app is grouped one level deeper', { skip, timeout: 60000 }, async () => {
  const page = await ui.page();
  await page.goto(pageUrl(ui.base, { registry: env.REGISTRY_URL, image: 'pair-b:latest', layer: '2', tab: 'map' }));
  assert.equal(await waitForReport(page), 'report');
  const map = page.locator('chunkscope-inspector .chunk-map[data-colours="directory"], chunkscope-inspector [data-colours="directory"]').first();
  await map.waitFor();
  const chips = await page.locator('chunkscope-inspector .legend .chip').allTextContents();
  const dirs = chips.filter((c) => c.startsWith('/'));
  assert.ok(dirs.length >= 2, JSON.stringify(chips));
  assert.ok(dirs.every((d) => d.startsWith('/opt/app/')), JSON.stringify(dirs));
  assert.ok(dirs.includes('/opt/app/locale'), JSON.stringify(dirs));
  await screenshot(page, 'audit-colour-by-directory', { fullPage: false });
  assertClean(page);
});

/** The focused element, through shadow roots: {tag, name, role, cls, text, tab, index, path}. */
function focused(page) {
  return page.evaluate(() => {
    let a = document.activeElement;
    while (a && a.shadowRoot && a.shadowRoot.activeElement) a = a.shadowRoot.activeElement;
    if (!a) return null;
    return {
      tag: a.tagName.toLowerCase(), name: a.getAttribute('name') || '', role: a.getAttribute('role') || '',
      cls: a.getAttribute('class') || '', text: (a.textContent || '').trim().slice(0, 60),
      tab: a.dataset?.tab || '', index: a.dataset?.layerIndex ?? '', label: a.getAttribute('aria-label') || '',
    };
  });
}

/** Presses Tab (or Shift+Tab) until `pred(focused)` holds; fails after `max` presses. */
async function tabTo(page, pred, { back = false, max = 80, what = 'target' } = {}) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press(back ? 'Shift+Tab' : 'Tab');
    const f = await focused(page);
    if (f && pred(f)) return f;
  }
  throw new Error(`keyboard: ${what} never got the focus in ${max} presses`);
}

test('keyboard only: from an empty page to a layer, a file, a verified preview, the chunk map and a Registry check', { skip, timeout: 90000 }, async () => {
  const page = await ui.page();
  await page.goto(ui.base);
  await tabTo(page, (f) => f.name === 'registry', { what: 'the Registry field' });
  await page.keyboard.type(env.REGISTRY_URL);
  await tabTo(page, (f) => f.name === 'image', { max: 3, what: 'the Image field' });
  await page.keyboard.type('pair-b:latest');
  await page.keyboard.press('Enter');
  assert.equal(await waitForReport(page), 'report');

  // the second layer's row, then Enter
  await tabTo(page, (f) => f.cls.includes('layer-row') && f.index === '1', { what: 'layer row 2' });
  await page.keyboard.press('Enter');
  await page.locator('chunkscope-inspector tr.layer-row[data-layer-index="1"][aria-selected="true"]').waitFor();
  assert.match(await page.locator('chunkscope-inspector .layer-title').textContent(), /^Layer 2 of 2/);

  // the file filter, then the file tree: End selects the last row (the one matching file)
  await tabTo(page, (f) => f.cls.includes('filter'), { what: 'the file filter' });
  await page.keyboard.type('l01/messages.txt');
  await page.locator('chunkscope-inspector .toc-view[data-query="l01/messages.txt"]').waitFor();
  await tabTo(page, (f) => f.role === 'tree', { what: 'the file list' });
  await page.keyboard.press('End');
  await page.keyboard.press('Enter');
  await page.locator('chunkscope-inspector .file-details h3.path', { hasText: '/opt/app/locale/l01/messages.txt' }).waitFor();
  assert.match(page.url(), /file=\/opt\/app\/locale\/l01\/messages\.txt/);

  // the preview button, Enter: fetched, decompressed, verified
  await tabTo(page, (f) => f.cls.includes('preview-btn'), { what: 'the preview button' });
  await page.keyboard.press('Enter');
  await page.locator('chunkscope-inspector .preview [data-verified="true"]').waitFor({ timeout: 20000 });

  // back to the tabs (one tab stop), → to the chunk map, then End to the Registry check
  await tabTo(page, (f) => f.role === 'tab', { back: true, what: 'the tab list' });
  await page.keyboard.press('ArrowRight');
  assert.equal(await page.locator('chunkscope-inspector [role="tab"][aria-selected="true"]').getAttribute('data-tab'), 'map');
  await page.keyboard.press('End');
  assert.equal(await page.locator('chunkscope-inspector [role="tab"][aria-selected="true"]').getAttribute('data-tab'), 'probe');
  await tabTo(page, (f) => f.text === 'Run the range check', { what: 'the Run button' });
  await page.keyboard.press('Enter');
  await page.locator('chunkscope-inspector .verdict').waitFor({ timeout: 30000 });
  assert.equal(await page.locator('chunkscope-inspector .verdict').getAttribute('data-verdict'), 'partial-pulls-work');
  await screenshot(page, 'audit-keyboard-only', { fullPage: false });
  assertClean(page);
});
