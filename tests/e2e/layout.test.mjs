// layout.test.mjs — an OCI image layout folder opened in the page (issue 11: "An OCI layout folder
// can be opened (directory picker) as well as one blob"): the webkitdirectory input, the module's
// inspectLayout over the folder's Files (index.json → manifest → config → layers), preview with
// Blob.slice and digest check, the cold-pull plan, an image index's platforms, and folders that
// are no layout (no oci-layout, a missing blob, a blob whose digest does not match) each with
// its typed error.
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdirSync, rmSync, cpSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { startUi, pageUrl, waitForReport, screenshot, registryEnv, skipReason, ROOT, setFilter, assertClean, errorBox } from './helpers.mjs';

const skip = skipReason();
const env = registryEnv();
let ui;

before(async () => { if (!skip) ui = await startUi(); });
after(async () => { if (ui) await ui.close(); });

const FIXTURES = path.join(ROOT, 'tests', 'fixtures');
const inspected = (name) => JSON.parse(readFileSync(path.join(FIXTURES, 'inspect', `${name}.json`), 'utf8'))[0];

/** Opens `dir` through the page's layout-folder input (webkitdirectory) and submits it. */
async function openFolder(page, dir, { tag = '' } = {}) {
  const form = page.locator('chunkscope-inspector form.layout-folder');
  if (!(await form.locator('details').evaluate((d) => d.open))) await form.locator('summary').click();
  await form.locator('input[type="file"]').setInputFiles(dir);
  await form.locator('input[name="layoutTag"]').fill(tag);
  await form.locator('button[type="submit"]').click();
}

/** Records every chunkscope-report's report in window.reports. */
async function recordReports(page) {
  await page.addInitScript(() => {
    window.reports = [];
    document.addEventListener('chunkscope-report', (e) => window.reports.push(e.detail.report));
  });
}

/** A copy of a fixture layout under target/e2e-cache/, to damage. */
function copyLayout(name, as) {
  const dir = path.join(ROOT, 'target', 'e2e-cache', 'layouts', as);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(path.dirname(dir), { recursive: true });
  cpSync(path.join(FIXTURES, name), dir, { recursive: true });
  return dir;
}

function manifestOf(dir) {
  const index = JSON.parse(readFileSync(path.join(dir, 'index.json'), 'utf8'));
  const blob = (d) => path.join(dir, 'blobs', 'sha256', d.replace('sha256:', ''));
  return { manifest: JSON.parse(readFileSync(blob(index.manifests[0].digest), 'utf8')), blob };
}

test('an OCI layout folder (tiny-current) opens like a registry image: layers, files, preview verified with Blob.slice, pull cost', { skip, timeout: 90000 }, async () => {
  const want = inspected('tiny-current');
  const page = await ui.page();
  await recordReports(page);
  await page.goto(ui.base);
  await openFolder(page, path.join(FIXTURES, 'tiny-current'));
  assert.equal(await waitForReport(page), 'report');
  const report = await page.evaluate(() => window.reports.at(-1));
  assert.equal(report.manifestDigest, want.manifest);
  assert.equal(report.layers.length, 1);
  assert.equal(report.layers[0].digest, want.layers[0].digest);
  assert.equal(report.layers[0].toc.digestVerified, true);
  assert.equal(report.layers[0].entries, 76);
  assert.equal(report.layers[0].files, 44);
  assert.equal(report.requests, 0, 'nothing was requested from a registry');
  assert.equal(report.reads, 1, 'one Blob.slice range for the annotated layer');
  // the layers table and the title
  const row = page.locator('chunkscope-inspector tr.layer-row');
  assert.equal(await row.count(), 1);
  assert.equal(await row.getAttribute('data-layer-digest'), want.layers[0].digest);
  assert.match(await page.locator('chunkscope-inspector .summary h2').textContent(), /^oci:tiny-current$/);
  await page.locator('chunkscope-inspector .toc-view .count', { hasText: '66 paths · 44 files' }).waitFor();

  // preview: the file's one extent read from the layer's File, decompressed, digest verified
  await setFilter(page, 'big.bin');
  await page.locator('chunkscope-inspector .row[data-path="/data/big.bin"]').click();
  await page.locator('chunkscope-inspector button.preview-btn').click();
  await page.locator('chunkscope-inspector .preview [data-verified="true"]').waitFor({ timeout: 20000 });
  assert.match(await page.locator('chunkscope-inspector .preview-head').textContent(), /read .* from the local file/);
  await screenshot(page, 'layout-tiny-current', { fullPage: false });

  // the Pull cost tab: a cold pull, planned from memory, equal to the registry image's plan
  await page.locator('chunkscope-inspector [data-tab="plan"]').click();
  const ref = page.locator('chunkscope-inspector .bar-row[data-plan="reference"]');
  await ref.waitFor({ timeout: 30000 });
  const shown = Number(await ref.getAttribute('data-bytes'));
  const plans = await page.evaluate(async (registry) => {
    const cs = await (await import('./js/api.js')).loadModule();
    const layout = cs.planLayout({});
    const reg = await cs.planPull({ want: { registry, repository: 'tiny-current', reference: 'latest' } });
    return { layout: layout.totals, reg: reg.totals, requests: layout.requests };
  }, env.REGISTRY_URL);
  assert.equal(shown, plans.layout.fetchBytes);
  assert.equal(plans.layout.fetchBytes, plans.reg.fetchBytes);
  assert.equal(plans.layout.fullPullBytes, 330388);
  assert.equal(plans.layout.fullPullBytes, plans.reg.fullPullBytes);
  assert.equal(plans.requests, 0);
  // the Registry check needs a registry
  await page.locator('chunkscope-inspector [data-tab="probe"]').click();
  assert.equal(await page.locator('chunkscope-inspector .probe-view button.btn.primary').isDisabled(), true);
  await screenshot(page, 'layout-tiny-current-plan');
  assertClean(page);
});

test('an OCI layout whose index is an image index of two platforms: the platform picker switches the image', { skip, timeout: 60000 }, async () => {
  const page = await ui.page();
  await recordReports(page);
  await page.goto(ui.base);
  await openFolder(page, path.join(FIXTURES, 'two-platforms'));
  assert.equal(await waitForReport(page), 'report');
  const select = page.locator('chunkscope-inspector select[name="platform"]');
  await select.waitFor();
  assert.deepEqual(await select.locator('option').allTextContents(), ['linux/amd64', 'linux/arm64']);
  await page.locator('chunkscope-inspector .row[data-path="/platform-amd64.txt"]').waitFor();
  await select.selectOption('linux/arm64');
  await page.locator('chunkscope-inspector .row[data-path="/platform-arm64.txt"]').waitFor();
  const reports = await page.evaluate(() => window.reports.map((r) => ({ platform: r.platform, platforms: r.platforms, manifest: r.manifestDigest })));
  assert.equal(reports.length, 2);
  assert.deepEqual(reports.map((r) => r.platform), ['linux/amd64', 'linux/arm64']);
  assert.notEqual(reports[0].manifest, reports[1].manifest);
  // the manifests named by the fixture's image index
  const { manifest: idx } = manifestOf(path.join(FIXTURES, 'two-platforms'));
  assert.deepEqual(reports.map((r) => r.manifest), idx.manifests.map((m) => m.digest));
  // a tag that the layout does not have
  await openFolder(page, path.join(FIXTURES, 'two-platforms'), { tag: 'nope' });
  await errorBox(page).waitFor();
  assert.match(await errorBox(page).textContent(), /tag "nope" in the OCI layout/);
  assertClean(page);
});

test('folders that are no OCI layout: no oci-layout file, a missing config, a tampered config, a missing layer, a tampered layer: each a typed error', { skip, timeout: 60000 }, async () => {
  const page = await ui.page();
  await recordReports(page);
  await page.goto(ui.base);
  // 1. no oci-layout
  let dir = copyLayout('tiny-current', 'no-oci-layout');
  unlinkSync(path.join(dir, 'oci-layout'));
  await openFolder(page, dir);
  await errorBox(page).waitFor();
  let text = await errorBox(page).textContent();
  assert.match(text, /not an OCI image layout: the folder has no oci-layout file/);
  await screenshot(page, 'layout-not-a-layout');

  // the module's typed error (kind, path) for the same folders, through the JS API
  const apiError = (files) => page.evaluate(async (entries) => {
    const cs = await (await import('./js/api.js')).loadModule();
    const folder = new Map(entries.map(([p, text]) => [p, new Blob([text])]));
    try {
      await cs.inspectLayout(folder, {});
      return null;
    } catch (e) {
      return { kind: e.kind, path: e.details.path ?? null, what: e.details.what ?? null };
    }
  }, files);
  assert.deepEqual(await apiError([['index.json', '{"manifests":[]}']]), { kind: 'not-found', path: 'oci-layout', what: null });
  assert.deepEqual(await apiError([['oci-layout', '{}']]), { kind: 'not-found', path: 'index.json', what: null });

  // 2. the config blob missing
  dir = copyLayout('tiny-current', 'no-config');
  let { manifest, blob } = manifestOf(dir);
  unlinkSync(blob(manifest.config.digest));
  await openFolder(page, dir);
  await errorBox(page).filter({ hasText: 'has no blobs/sha256/' }).waitFor();
  text = await errorBox(page).textContent();
  assert.ok(text.includes(`the OCI layout has no blobs/sha256/${manifest.config.digest.slice(7)}`), text);
  assert.match(text, /Not found in the OCI layout/);

  // 3. the config tampered with: its digest no longer matches the manifest's
  dir = copyLayout('tiny-current', 'bad-config');
  ({ manifest, blob } = manifestOf(dir));
  const cfg = readFileSync(blob(manifest.config.digest));
  cfg[cfg.length - 2] ^= 0x01;
  writeFileSync(blob(manifest.config.digest), cfg);
  await openFolder(page, dir);
  await errorBox(page).filter({ hasText: 'digest mismatch' }).waitFor();
  text = await errorBox(page).textContent();
  assert.match(text, /Verification failed/);
  assert.match(text, /image config: digest mismatch: expected sha256:/);

  // 4. the layer blob missing: the image reads, the layer says what is missing
  dir = copyLayout('tiny-current', 'no-layer');
  ({ manifest, blob } = manifestOf(dir));
  unlinkSync(blob(manifest.layers[0].digest));
  await openFolder(page, dir);
  assert.equal(await waitForReport(page), 'report');
  const report = await page.evaluate(() => window.reports.at(-1));
  assert.equal(report.layers[0].error.kind, 'not-found');
  assert.equal(report.layers[0].error.path, `blobs/sha256/${manifest.layers[0].digest.slice(7)}`);
  assert.match(await page.locator('chunkscope-inspector tr.layer-error').textContent(), /the OCI layout has no blobs\/sha256\//);
  await screenshot(page, 'layout-missing-layer');

  // 5. a byte of the layer's file data changed (its TOC intact): the layer blob's own digest
  // (checked by default) says so; without that check the TOC still reads
  dir = copyLayout('tiny-current', 'bad-layer');
  ({ manifest, blob } = manifestOf(dir));
  const layerFile = blob(manifest.layers[0].digest);
  const bytes = readFileSync(layerFile);
  bytes[100] ^= 0xff;
  writeFileSync(layerFile, bytes);
  await openFolder(page, dir);
  assert.equal(await waitForReport(page), 'report');
  // the missing-layer report's rows are still shown until this one replaces them: wait for it
  await page.waitForFunction(() => window.reports.length >= 2);
  let bad = (await page.evaluate(() => window.reports.at(-1))).layers[0];
  assert.equal(bad.error.kind, 'verification');
  assert.equal(bad.error.what, `blobs/sha256/${manifest.layers[0].digest.slice(7)}`);
  assert.equal(bad.error.expected, manifest.layers[0].digest);
  assert.match(await page.locator('chunkscope-inspector tr.layer-error').textContent(), /digest mismatch/);
  await page.locator('chunkscope-inspector form.layout-folder input[name="verifyLayers"]').uncheck();
  await openFolder(page, dir);
  await page.waitForFunction(() => window.reports.length >= 3);
  bad = (await page.evaluate(() => window.reports.at(-1))).layers[0];
  assert.equal(bad.error, null);
  assert.equal(bad.toc.digestVerified, true);
  assertClean(page);
});

test('"Choose folder…" (showDirectoryPicker): a real directory handle (the origin private file system) opens only the layout\'s entries', { skip, timeout: 60000 }, async () => {
  const want = inspected('tiny-current');
  const dir = path.join(FIXTURES, 'tiny-current');
  const { readdirSync } = await import('node:fs');
  const files = [['oci-layout', readFileSync(path.join(dir, 'oci-layout'))], ['index.json', readFileSync(path.join(dir, 'index.json'))],
    ...readdirSync(path.join(dir, 'blobs', 'sha256')).map((h) => [`blobs/sha256/${h}`, readFileSync(path.join(dir, 'blobs', 'sha256', h))]),
    // not part of a layout: never opened
    ['notes/readme.txt', Buffer.from('not a blob\n')]].map(([p, b]) => [p, b.toString('base64')]);
  const page = await ui.page();
  await recordReports(page);
  // the picker answers with a folder of the origin private file system, written below
  await page.addInitScript(() => {
    window.showDirectoryPicker = async () => (await navigator.storage.getDirectory()).getDirectoryHandle('tiny-current');
  });
  await page.goto(ui.base);
  await page.evaluate(async (entries) => {
    const root = await navigator.storage.getDirectory();
    await root.removeEntry('tiny-current', { recursive: true }).catch(() => {});
    const top = await root.getDirectoryHandle('tiny-current', { create: true });
    for (const [p, b64] of entries) {
      const parts = p.split('/');
      let d = top;
      for (const x of parts.slice(0, -1)) d = await d.getDirectoryHandle(x, { create: true });
      const w = await (await d.getFileHandle(parts.at(-1), { create: true })).createWritable();
      await w.write(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)));
      await w.close();
    }
  }, files);
  // what layout-folder.js takes from the handle
  const keys = await page.evaluate(async () => {
    const { layoutFromHandle } = await import('./js/layout-folder.js');
    const { folder, name } = await layoutFromHandle(await window.showDirectoryPicker());
    return { name, keys: [...folder.keys()].sort() };
  });
  assert.equal(keys.name, 'tiny-current');
  assert.deepEqual(keys.keys, files.map(([p]) => p).filter((p) => !p.startsWith('notes/')).sort());

  const form = page.locator('chunkscope-inspector form.layout-folder');
  await form.locator('summary').click();
  await form.getByRole('button', { name: 'Choose folder…' }).click();
  await form.locator('.folder-chosen', { hasText: 'Chosen: tiny-current (5 layout files)' }).waitFor();
  await form.locator('button[type="submit"]').click();
  assert.equal(await waitForReport(page), 'report');
  const report = await page.evaluate(() => window.reports.at(-1));
  assert.equal(report.manifestDigest, want.manifest);
  assert.equal(report.layers[0].files, 44);
  assert.equal(report.layers[0].toc.digestVerified, true);
  assertClean(page);
});
