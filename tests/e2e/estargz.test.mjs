// estargz.test.mjs — eStargz layers (and stargz-snapshotter's zstd:chunked) in the inspector:
// the layer row (format, entry and file counts equal to the independent reading, every check
// passed, the insecure-mode verdict), the file list, a multi-chunk file's chunks and a verified
// preview through gzip members; the plan view's insecure_allow_unpredictable_image_contents
// option reproducing podman's eStargz delta pull.
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startUi, pageUrl, waitForReport, screenshot, registryEnv, skipReason, ROOT, layerRows } from './helpers.mjs';

const skip = skipReason();
const env = registryEnv();
let ui;

const reading = (name) => JSON.parse(readFileSync(path.join(ROOT, 'tests', 'fixtures', 'inspect', `${name}.json`), 'utf8'));

before(async () => { if (!skip) ui = await startUi(); });
after(async () => { if (ui) await ui.close(); });


for (const [name, format, hazards, verdict] of [
  ['estargz-small', 'eStargz', '2 hazards', /insecure_allow_unpredictable_image_contents: partial pull \(hazards: dir-mtime, symlink-mtime\)\. no prioritized files/],
  ['stargz-zstdchunked-small', 'zstd:chunked (stargz-snapshotter)', '1 hazard', /insecure_allow_unpredictable_image_contents: the pull fails \(estargz-footer-unparsable\)\. no prioritized files/],
]) {
  test(`${name}: ${format}, 371 entries, 184 files, chunks and a verified preview`, { skip, timeout: 60000 }, async () => {
    const want = reading(name);
    const page = await ui.page();
    await page.goto(pageUrl(ui.base, { registry: env.REGISTRY_URL, image: `${name}:latest` }));
    assert.equal(await waitForReport(page), 'report');
    assert.deepEqual(await layerRows(page), [{ digest: want.blob_digest, entries: want.toc_entries, files: want.toc_entries_by_type.reg, format }]);
    for (const t of await page.locator('tr.layer-row td.checks button').allTextContents()) assert.match(t, /passed/);
    // the reference puller's verdict: a full pull by default; the hazards badge names the
    // partial-pull hazards (eStargz adds symlink-mtime when its insecure-mode pull is partial)
    const verdictBadge = page.locator('tr.layer-row td.partial .badge[data-outcome]');
    assert.equal(await verdictBadge.getAttribute('data-outcome'), 'full-pull');
    assert.equal(await verdictBadge.textContent(), 'full pull');
    assert.equal(await page.locator('tr.layer-row td.partial .badge.hazards').textContent(), hazards);
    const note = page.locator('tr.layer-row .estargz-note');
    assert.match(await note.textContent(), verdict);
    if (name.startsWith('stargz')) {
      // podman's error, whole, in the tooltip
      assert.match(await note.getAttribute('title'), /^partial pull of blob sha256:[0-9a-f]{64}: read zstd:chunked manifest: parse ToC offset: strconv\.ParseInt: parsing "\\x00\\x00\\x00>\+/);
    }
    await page.locator('.toc-view .count', { hasText: '184 files' }).waitFor();

    // data/big.bin: 12 chunks at the offsets of the independent reading (the file is opened
    // through the URL, as a link would: no click into the virtualised list under load)
    await page.goto(pageUrl(ui.base, { registry: env.REGISTRY_URL, image: `${name}:latest`, file: '/data/big.bin' }));
    assert.equal(await waitForReport(page), 'report');
    const details = page.locator('.file-details');
    await details.locator('h3.path', { hasText: '/data/big.bin' }).waitFor();
    assert.equal(await details.locator('tr.chunk-row').count(), want.multi_chunk_files['data/big.bin']);

    // data/medium.bin (3 chunks): one range, gzip members (or zstd frames) decompressed, verified
    await page.goto(pageUrl(ui.base, { registry: env.REGISTRY_URL, image: `${name}:latest`, file: '/data/medium.bin' }));
    assert.equal(await waitForReport(page), 'report');
    await details.locator('h3.path', { hasText: '/data/medium.bin' }).waitFor();
    assert.equal(await details.locator('tr.chunk-row').count(), 3);
    await details.locator('button.preview-btn').click();
    await page.locator('.preview [data-verified="true"]').waitFor({ timeout: 20000 });
    await screenshot(page, `${name}-medium-bin`);
    assert.deepEqual(page.problems.pageerror, []);
    assert.deepEqual(page.problems.console, []);
    assert.deepEqual(page.problems.csp, []);
  });
}

test('Pull cost: estargz-pair-b over estargz-small with insecure_allow_unpredictable_image_contents = podman\'s requests', { skip, timeout: 60000 }, async () => {
  const page = await ui.page();
  await page.goto(pageUrl(ui.base, { registry: env.REGISTRY_URL, image: 'estargz-pair-b:latest', have: 'estargz-small:latest', tab: 'plan' }));
  assert.equal(await waitForReport(page), 'report');
  const total = (key) => page.locator(`.plan-view [data-plan-total="${key}"]`).evaluate((e) => Number(e.dataset.value));
  await page.locator('.bar-row[data-plan="reference"]').waitFor({ timeout: 30000 });
  // Default: the eStargz layer is pulled whole.
  await page.waitForFunction(() => {
    const td = document.querySelector('chunkscope-inspector').shadowRoot.querySelector('.plan-view [data-plan-total="fetchBytes"]');
    return td && Number(td.dataset.value) === 2668405;
  }, null, { timeout: 20000 });
  // With the option: footer + TOC + 1 request of 9 ranges (pulls-estargz/e3f).
  await page.locator('.plan-view input.insecure-option').check();
  await page.waitForFunction(() => {
    const td = document.querySelector('chunkscope-inspector').shadowRoot.querySelector('.plan-view [data-plan-total="fetchBytes"]');
    return td && Number(td.dataset.value) === 51 + 11800 + 570679;
  }, null, { timeout: 20000 });
  assert.equal(await total('requests'), 3);
  assert.equal(await total('ranges'), 9);
  assert.equal(await total('missingChunks'), 16);
  await screenshot(page, 'plan-estargz-pair-b-insecure');
  assert.deepEqual(page.problems.pageerror, []);
  assert.deepEqual(page.problems.console, []);
});
