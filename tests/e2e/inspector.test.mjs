// inspector.test.mjs — the inspector page against the real registry and the real wasm module:
// layers and exact file counts of the fixtures, a file's chunks, preview with digest check, URL
// state, errors in plain words, and the CSP holding (no violations, no console errors).
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import net from 'node:net';
import { startUi, pageUrl, waitForReport, screenshot, registryEnv, skipReason, ROOT, chunkedLayout, pushLayout, registryHost, setFilter, layerRows, assertClean } from './helpers.mjs';

const skip = skipReason();
const env = registryEnv();
let ui;

const fixture = (name) => JSON.parse(readFileSync(path.join(ROOT, 'tests', 'fixtures', 'inspect', `${name}.json`), 'utf8'))[0];

/** A port that nothing listens on (taken, then released). */
function freePort() {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

before(async () => { if (!skip) ui = await startUi(); });
after(async () => { if (ui) await ui.close(); });


test('tiny-current: 1 layer, 76 TOC entries, 44 files; data/big.bin has 9 chunks, 2 zeros; preview verifies', { skip, timeout: 60000 }, async () => {
  const want = fixture('tiny-current');
  const page = await ui.page();
  await page.goto(pageUrl(ui.base, { registry: env.REGISTRY_URL, image: 'tiny-current:latest' }));
  assert.equal(await waitForReport(page), 'report');
  const rows = await layerRows(page);
  assert.deepEqual(rows, [{ digest: want.layers[0].digest, entries: 76, files: 44, format: 'zstd:chunked' }]);
  assert.equal(want.layers[0].toc_entries, 76);
  assert.equal(want.layers[0].regular_files, 44);
  // the summary names the manifest digest (title carries it whole)
  assert.equal(await page.locator('.summary [title="' + want.manifest + '"]').count(), 1);
  // the file list: 66 paths, 44 files
  await assert.doesNotReject(page.locator('.toc-view .count', { hasText: '66 paths · 44 files' }).waitFor());

  // select data/big.bin through the filter
  await setFilter(page, 'big.bin');
  await page.locator('.row[data-path="/data/big.bin"]').click();
  const details = page.locator('.file-details');
  await details.locator('h3.path', { hasText: '/data/big.bin' }).waitFor();
  assert.equal(await details.locator('tr.chunk-row').count(), 9);
  assert.equal(await details.locator('tr.chunk-row.zeros').count(), 2);
  assert.match(await details.locator('.chunk-summary').textContent(), /^9 chunks · 2 zeros chunks/);
  // zeros chunks are the 64 KiB and 128 KiB holes
  const zeroLens = await details.locator('tr.chunk-row.zeros td:nth-child(5)').allTextContents();
  assert.deepEqual(zeroLens, ['65,536', '131,072']);
  assert.match(await page.evaluate(() => location.search), /file=\/data\/big\.bin/);

  // preview: one range, decompressed, digest verified
  await details.locator('button.preview-btn').click();
  await page.locator('.preview [data-verified="true"]').waitFor({ timeout: 20000 });
  assert.match(await page.locator('.preview-head').textContent(), /524 kB/);
  await screenshot(page, 'tiny-current-big-bin');

  // a text file shows as text
  await setFilter(page, 'doc00');
  await page.locator('.row[data-path="/usr/share/doc/tiny/doc00.txt"]').click();
  await page.locator('button.preview-btn').click();
  await page.locator('.preview [data-verified="true"]').waitFor({ timeout: 20000 });
  assert.equal(await page.locator('.preview-body.text').count(), 1);
  assertClean(page);
});

test('pair-a and pair-b: per-layer file counts (819/1012, 819/1027), layer digests as in the fixtures', { skip, timeout: 60000 }, async () => {
  const page = await ui.page();
  for (const [name, files] of [['pair-a', [819, 1012]], ['pair-b', [819, 1027]]]) {
    const want = fixture(name);
    await page.goto(pageUrl(ui.base, { registry: env.REGISTRY_URL, image: `${name}:latest` }));
    assert.equal(await waitForReport(page), 'report');
    const rows = await layerRows(page);
    assert.deepEqual(rows.map((r) => r.files), files, name);
    assert.deepEqual(rows.map((r) => r.digest), want.layers.map((l) => l.digest), name);
    assert.deepEqual(rows.map((r) => r.entries), want.layers.map((l) => l.toc_entries), name);
    assert.deepEqual(rows.map((r) => r.files), want.layers.map((l) => l.regular_files), name);
    // every check passed
    for (const t of await page.locator('tr.layer-row td.checks button').allTextContents()) assert.match(t, /passed/);
    // selecting layer 2 lists its files
    await page.locator('tr.layer-row').nth(1).click();
    await page.locator('.toc-view .count', { hasText: `${files[1].toLocaleString('en-US')} files` }).waitFor();
    assert.match(await page.evaluate(() => location.search), /layer=2/);
  }
  await screenshot(page, 'pair-b');
  assertClean(page);
});

test('legacy layers are shown as zstd:chunked (legacy), not partially pullable, files still listed', { skip, timeout: 60000 }, async () => {
  const page = await ui.page();
  await page.goto(pageUrl(ui.base, { registry: env.REGISTRY_URL, image: 'tiny-legacy:latest' }));
  assert.equal(await waitForReport(page), 'report');
  const rows = await layerRows(page);
  assert.equal(rows.length, 1);
  assert.equal(rows[0].format, 'zstd:chunked (legacy)');
  assert.equal(rows[0].files, 44);
  const badge = page.locator('tr.layer-row td.partial .badge[data-outcome]');
  assert.equal(await badge.textContent(), 'full pull');
  assert.equal(await badge.getAttribute('data-outcome'), 'full-pull');
  assertClean(page);
});

test('corners-current: the reference pull fails (TOC/tar-split mismatch); differences and pull hazards shown as text', { skip, timeout: 60000 }, async () => {
  const page = await ui.page();
  await page.goto(pageUrl(ui.base, { registry: env.REGISTRY_URL, image: 'corners-current:latest' }));
  assert.equal(await waitForReport(page), 'report');
  const badge = page.locator('tr.layer-row td.partial .badge[data-outcome]');
  // TOC only (the default): every rule that could be checked passes, the tar-split is unknown
  assert.equal(await badge.textContent(), 'partial?');
  // with the tar-split read, the verdict is podman 5.4.2's: the pull fails
  await page.locator('details.options summary').click();
  await page.locator('input[name="verifyTarSplit"]').check();
  await page.locator('form.query button[type="submit"]').click();
  await page.locator('tr.layer-row td.partial .badge[data-outcome="fails"]').waitFor();
  assert.equal(await badge.textContent(), 'pull fails');
  assert.match(await badge.getAttribute('title'), /tar-split and TOC data is inconsistent: tar-split contains an entry for "corners\/names\/latin1-caf\\xe9-\\xff\\xfe-ustar" missing in TOC/);
  await page.locator('tr.layer-row td.checks button').click();
  const detail = page.locator('tr.layer-detail');
  assert.equal(await detail.locator('.differences li').count(), 3);
  const kinds = await detail.locator('.hazards li').evaluateAll((els) => els.map((e) => e.dataset.hazard));
  assert.deepEqual(kinds, ['dir-mtime', 'fifo-dropped', 'device-dropped', 'mtime-out-of-range', 'selinux-xattr-dropped']);
  assert.match(await detail.locator('.hazards li[data-hazard="fifo-dropped"]').textContent(), /corners\/types\/fifo/);
  // names are text: no element was made from a layer's name
  assert.equal(await detail.locator('.hazards li *').evaluateAll((els) => els.filter((e) => !['SPAN', 'STRONG', 'DIV'].includes(e.tagName)).length), 0);
  await screenshot(page, 'corners-current');
  assertClean(page);
});

test('URL parameters restore layer, file and tab; have-image colours files needed/present', { skip, timeout: 60000 }, async () => {
  const page = await ui.page();
  await page.goto(pageUrl(ui.base, {
    registry: env.REGISTRY_URL, image: 'pair-b:latest', have: 'pair-a:latest', layer: '2', tab: 'map',
  }));
  assert.equal(await waitForReport(page), 'report');
  assert.equal(await page.locator('button.tab[aria-selected="true"]').getAttribute('data-tab'), 'map');
  assert.equal(await page.locator('tr.layer-row.selected').getAttribute('data-layer-digest'), fixture('pair-b').layers[1].digest);
  // layer 1 is the same blob in both images
  assert.equal(await page.locator('tr.layer-row').first().locator('.badge', { hasText: 'have' }).count(), 1);
  // the map drew, coloured by needed/present
  await page.locator('.chunk-map[data-draw-ms]').waitFor();
  assert.equal(await page.locator('.chunk-map select').inputValue(), 'pull');
  await screenshot(page, 'pair-b-over-pair-a-map');
  // clicking the middle of the map selects the file there
  const box = await page.locator('canvas.map-canvas').boundingBox();
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 3);
  await page.locator('.file-details h3.path').waitFor();
  const picked = await page.locator('.file-details h3.path').textContent();
  assert.ok(picked.startsWith('/'), picked);
  assert.match(await page.evaluate(() => decodeURIComponent(location.search)), new RegExp(`file=${picked.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  // files tab: needed files are marked
  await page.locator('[data-tab="files"]').click();
  await page.locator('.segmented button', { hasText: 'List' }).click();
  await setFilter(page, 'shard00/blob-00');
  await page.locator('.row[data-path="/opt/app/data/shard00/blob-006.bin"].needed').waitFor();
  await page.locator('.row[data-path="/opt/app/data/shard00/blob-005.bin"].present').waitFor();
  assert.equal(await page.locator('.row.needed').count(), 1);
  assertClean(page);
});

test('errors are explained by kind: unknown image, unreachable registry, registry without CORS (headers named), registry ignoring ranges', { skip, timeout: 60000 }, async () => {
  const page = await ui.page();
  await page.goto(pageUrl(ui.base, { registry: env.REGISTRY_URL, image: 'no-such-image:latest' }));
  assert.equal(await waitForReport(page), 'error');
  assert.match(await page.locator('.error-box').textContent(), /not found|unknown/i);

  // a port nothing listens on: the module tells it from a CORS refusal (kind "network")
  const dead = `http://127.0.0.1:${await freePort()}`;
  await page.goto(pageUrl(ui.base, { registry: dead, image: 'tiny-current:latest' }));
  assert.equal(await waitForReport(page), 'error');
  let text = await page.locator('.error-box').textContent();
  assert.match(text, /not reachable/);
  assert.doesNotMatch(text, /Access-Control-Allow-Origin/);
  assert.equal(await page.locator('.error-box pre.cors-config').count(), 0);
  await screenshot(page, 'error-unreachable');

  // a registry that answers but sends no CORS headers at all (kind "cors"): the headers it must send
  assert.ok(env.NOCORS_REGISTRY_URL, 'NOCORS_REGISTRY_URL (scripts/registry.sh)');
  await page.goto(pageUrl(ui.base, { registry: env.NOCORS_REGISTRY_URL, image: 'tiny-current:latest' }));
  assert.equal(await waitForReport(page), 'error');
  text = await page.locator('.error-box').textContent();
  assert.match(text, /CORS/);
  assert.match(text, /chunkscope serve --open/);
  // the distribution config.yml the module gives (corsConfig()), not a JS copy
  assert.match(text, /Access-Control-Expose-Headers: \[Content-Range/);
  const corsConfig = await page.evaluate(async () => (await (await import('./js/api.js')).loadModule()).corsConfig());
  assert.equal(await page.locator('.error-box pre.cors-config').textContent(), corsConfig);
  await screenshot(page, 'error-no-cors');

  // nginx front that ignores ranges: the layer fails, nothing is downloaded whole
  await page.goto(pageUrl(ui.base, { registry: env.RANGE0_URL, image: 'tiny-current:latest' }));
  assert.equal(await waitForReport(page), 'report');
  assert.match(await page.locator('.layer-error').textContent(), /Range/);
  assert.match(await page.locator('.notice').textContent(), /ignores byte ranges/);
  assertClean(page, { allowConsole: [/Failed to load resource/, /blocked by CORS policy/] });
});

test('dark mode renders (screenshot)', { skip, timeout: 60000 }, async () => {
  const page = await ui.page({ colorScheme: 'dark' });
  await page.goto(pageUrl(ui.base, { registry: env.REGISTRY_URL, image: 'tiny-current:latest', file: '/data/big.bin' }));
  assert.equal(await waitForReport(page), 'report');
  await page.locator('.file-details h3.path', { hasText: '/data/big.bin' }).waitFor();
  const bg = await page.locator('.card').first().evaluate((el) => getComputedStyle(el).backgroundColor);
  assert.notEqual(bg, 'rgb(255, 255, 255)');
  await screenshot(page, 'tiny-current-dark');
  assertClean(page);
});

test('a local layer blob opens with its annotations pasted (read with Blob.slice ranges)', { skip, timeout: 60000 }, async () => {
  const want = fixture('tiny-current');
  const layout = path.join(ROOT, 'tests', 'fixtures', 'tiny-current');
  const blobPath = (d) => path.join(layout, 'blobs', 'sha256', d.replace('sha256:', ''));
  const manifest = JSON.parse(readFileSync(blobPath(want.manifest), 'utf8'));
  const layer = manifest.layers[0];
  const page = await ui.page();
  await page.goto(ui.base);
  await page.locator('form.local summary').click();
  await page.locator('form.local input[type="file"]').setInputFiles(blobPath(layer.digest));
  await page.locator('form.local textarea').fill(JSON.stringify(layer.annotations, null, 2));
  await page.locator('form.local button[type="submit"]').click();
  assert.equal(await waitForReport(page), 'report');
  const rows = await layerRows(page);
  assert.equal(rows.length, 1);
  assert.equal(rows[0].files, 44);
  assert.equal(rows[0].entries, 76);
  // one read of exactly the TOC
  assert.match(await page.locator('tr.layer-row td:last-child').textContent(), /1 read/);
  // the plan and the probe need a registry
  await page.locator('[data-tab="plan"]').click();
  assert.match(await page.locator('.plan-view').textContent(), /needs a registry image/);
  // bad annotations are explained
  await page.locator('form.local textarea').fill('{not json');
  await page.locator('form.local button[type="submit"]').click();
  await page.locator('.error-box:not([hidden])', { hasText: 'not a JSON object' }).waitFor();
  assertClean(page);
});

test('an image index: the platform choice lists its platforms and switches the image', { skip, timeout: 60000 }, async () => {
  const { layout } = await chunkedLayout({
    name: 'multi', platforms: ['linux/amd64', 'linux/arm64'],
    members: [{ name: 'etc', type: 'dir' }, { name: 'etc/hello.txt', type: 'file', data: 'hello\n' }],
  });
  await pushLayout(layout, registryHost(env), 'multi');
  const page = await ui.page();
  await page.goto(pageUrl(ui.base, { registry: env.REGISTRY_URL, image: 'multi:latest' }));
  assert.equal(await waitForReport(page), 'report');
  const select = page.locator('select[name="platform"]');
  await select.waitFor();
  assert.deepEqual(await select.locator('option').allTextContents(), ['linux/amd64', 'linux/arm64']);
  assert.equal(await select.inputValue(), 'linux/amd64');
  await page.locator('.row[data-path="/platform-amd64.txt"]').waitFor();
  await select.selectOption('linux/arm64');
  await page.locator('.row[data-path="/platform-arm64.txt"]').waitFor();
  assert.match(await page.evaluate(() => location.search), /platform=linux\/arm64/);
  // and the URL brings it back
  await page.reload();
  await page.locator('.row[data-path="/platform-arm64.txt"]').waitFor();
  assert.equal(await page.locator('select[name="platform"]').inputValue(), 'linux/arm64');
  assertClean(page);
});
