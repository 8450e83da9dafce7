// status.test.mjs — what the page says about layers it did not (or could not) read, against the
// hostile server (tests/registry/hostile_server.py, HOSTILE_URL): a TOC over the reference
// puller's limit (`notRead`: not an error, a full pull, said in words in the layers table and the
// Files tab) and stalls (a `network` error with `stage`: connect / headers / body), said as a
// time-out with its stage in the error box, the layer row and the status notice. The stall limit
// comes from the form's "Stall limit (seconds)" option (the module's stallTimeoutMs).
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startUi, pageUrl, waitForReport, screenshot, registryEnv, skipReason, assertClean, errorBox } from './helpers.mjs';

const skip = skipReason();
const env = registryEnv();
let ui;

before(async () => { if (!skip) ui = await startUi(); });
after(async () => { if (ui) await ui.close(); });

function hostile() {
  assert.ok(env.HOSTILE_URL, 'HOSTILE_URL is not set: run through scripts/test.sh (scripts/registry.sh starts the hostile server)');
  return env.HOSTILE_URL;
}

/** Records reports and errors the element emits. */
async function record(page) {
  await page.addInitScript(() => {
    window.reports = [];
    window.errors = [];
    document.addEventListener('chunkscope-report', (e) => window.reports.push(e.detail.report));
    document.addEventListener('chunkscope-error', (e) => window.errors.push(e.detail));
  });
}

/** Types registry and image, sets the stall limit (seconds) in the options, and inspects. */
async function inspectWithStall(page, registry, image, seconds) {
  await page.goto(ui.base);
  await page.locator('chunkscope-inspector input[name="registry"]').fill(registry);
  await page.locator('chunkscope-inspector input[name="image"]').fill(image);
  await page.locator('chunkscope-inspector details.options summary').click();
  await page.getByRole('spinbutton', { name: /^Stall limit in seconds/ }).fill(String(seconds));
  await page.locator('chunkscope-inspector form.query button[type="submit"]').click();
}

test('a TOC over the reference puller\'s limit: "not read" in words (layers table, Files tab), a full pull, no error', { skip, timeout: 60000 }, async () => {
  const page = await ui.page();
  await record(page);
  await page.goto(pageUrl(ui.base, { registry: hostile(), image: 'toc-over-limit:t' }));
  assert.equal(await waitForReport(page), 'report');
  const layer = (await page.evaluate(() => window.reports.at(-1))).layers[0];
  assert.equal(layer.error, null);
  assert.equal(layer.notRead.code, 'toc-over-limit');
  assert.equal(layer.notRead.limit, 150 * 1024 * 1024);
  assert.equal(layer.partialPull.outcome, 'full-pull');
  assert.equal(layer.reads, 0);

  const row = page.locator('chunkscope-inspector tr.layer-row');
  assert.equal(await row.locator('td.not-read').textContent(), 'not read');
  assert.equal(await row.locator('td.entries').textContent(), '—');
  assert.equal(await row.locator('td.files').textContent(), '—');
  assert.equal(await row.locator('.badge[data-outcome="full-pull"]').textContent(), 'full pull');
  const note = row.locator('.not-read-note[data-not-read="toc-over-limit"]');
  const words = await note.textContent();
  const size = new Intl.NumberFormat('en-US').format(layer.notRead.size);
  assert.ok(words.startsWith(`${layer.notRead.what} not read: `), words);
  assert.ok(words.includes(`(${size} bytes) is over the reference puller's 150 MiB limit`), words);
  assert.match(words, /pulls this layer whole/);
  // not an error: no error row, no error box, no "could not be read" notice
  assert.equal(await page.locator('chunkscope-inspector tr.layer-error').count(), 0);
  assert.equal(await errorBox(page).count(), 0);
  assert.equal(await page.locator('chunkscope-inspector .notice:not([hidden])').count(), 0);
  // the Files tab says why there is no file list
  const none = page.locator('chunkscope-inspector .no-files');
  assert.equal(await none.isVisible(), true);
  assert.match(await none.textContent(), /^No file list: the TOC \(\w+\) not read: .* over the reference puller's 150 MiB limit/);
  await screenshot(page, 'status-toc-over-limit');
  assertClean(page);
});

test('a tar-split over chunkscope\'s cap, verified on request: "not read" in its cell and in words, a partial pull, no error', { skip, timeout: 60000 }, async () => {
  const page = await ui.page();
  await record(page);
  await page.goto(ui.base);
  await page.locator('chunkscope-inspector input[name="registry"]').fill(hostile());
  await page.locator('chunkscope-inspector input[name="image"]').fill('tarsplit-over-limit:t');
  await page.locator('chunkscope-inspector details.options summary').click();
  await page.locator('chunkscope-inspector input[name="verifyTarSplit"]').check();
  await page.locator('chunkscope-inspector form.query button[type="submit"]').click();
  assert.equal(await waitForReport(page), 'report');
  const layer = (await page.evaluate(() => window.reports.at(-1))).layers[0];
  assert.equal(layer.error, null);
  assert.equal(layer.notRead, null);
  assert.equal(layer.tarSplit.notRead.code, 'tar-split-over-limit');
  assert.equal(layer.tarSplit.notRead.limit, 8 * 1024 * 1024 * 1024);
  assert.equal(layer.partialPull.code, 'tar-split-not-checked');

  const row = page.locator('chunkscope-inspector tr.layer-row');
  // the TOC was read (its size shown), the tar-split cell says "not read"
  assert.equal(await row.locator('td.not-read').count(), 1);
  assert.equal(await row.locator('td.not-read').textContent(), 'not read');
  assert.notEqual(await row.locator('td.entries').textContent(), '—');
  const words = await row.locator('.not-read-note[data-not-read="tar-split-over-limit"]').textContent();
  assert.ok(words.startsWith('tar-split (uncompressed) not read: '), words);
  assert.match(words, /over chunkscope's 8,192 MiB limit \(the reference puller has none and reads it\)/);
  assert.equal(await page.locator('chunkscope-inspector tr.layer-error').count(), 0);
  assert.equal(await errorBox(page).count(), 0);
  assertClean(page);
});

test('a stall while waiting for the headers: the error says "Timed out waiting for the answer\'s headers" and the limit', { skip, timeout: 60000 }, async () => {
  const page = await ui.page();
  await record(page);
  const t0 = Date.now();
  await inspectWithStall(page, hostile(), 'stall-headers:t', 2);
  await errorBox(page).waitFor({ timeout: 20000 });
  const took = Date.now() - t0;
  const text = await errorBox(page).textContent();
  assert.match(text, /Timed out waiting for the answer's headers/);
  assert.match(text, /no status line and headers came back within 2 s/);
  assert.match(text, /the server stalled: waited 2 s for the answer's headers/);
  assert.doesNotMatch(text, /not reachable/);
  assert.ok(took < 15000, `the 2 s stall limit applied (${took} ms)`);
  const detail = await page.evaluate(() => window.errors.at(-1));
  assert.deepEqual({ kind: detail.kind, stage: detail.stage }, { kind: 'network', stage: 'headers' });
  await screenshot(page, 'status-stall-headers');
  assertClean(page, { allowConsole: [/Failed to load resource/] });
});

test('a stall in the middle of a TOC body: the layer row says "time-out" with the stage; the notice says so too', { skip, timeout: 60000 }, async () => {
  const page = await ui.page();
  await record(page);
  await inspectWithStall(page, hostile(), 'stall-body:t', 2);
  assert.equal(await waitForReport(page, 20000), 'report');
  const layer = (await page.evaluate(() => window.reports.at(-1))).layers[0];
  assert.deepEqual({ kind: layer.error.kind, stage: layer.error.stage, seconds: layer.error.seconds }, { kind: 'network', stage: 'body', seconds: 2 });
  const row = page.locator('chunkscope-inspector tr.layer-error[data-stage="body"]');
  assert.equal(await row.locator('.badge').textContent(), 'time-out');
  assert.equal(await row.locator('.stall').textContent(), 'Timed out in the middle of the body (nothing arrived for 2 s). ');
  const notice = page.locator('chunkscope-inspector .notice:not([hidden])');
  assert.match(await notice.textContent(), /^1 layer could not be read\. Timed out in the middle of the body\. The answer began, then nothing more arrived for 2 s/);
  assert.equal(await page.locator('chunkscope-inspector [data-tab="files"]').getAttribute('aria-selected'), 'true');
  assert.match(await page.locator('chunkscope-inspector .no-files').textContent(), /^No file list: .*the server stalled: waited 2 s for more of the body/);
  await screenshot(page, 'status-stall-body');
  assertClean(page, { allowConsole: [/Failed to load resource/] });
});

test('the stall limit option refuses what is not 1 to 3600 whole seconds (aria-invalid) and then uses the default', { skip, timeout: 30000 }, async () => {
  const page = await ui.page();
  await page.goto(ui.base);
  await page.locator('chunkscope-inspector details.options summary').click();
  const field = page.getByRole('spinbutton', { name: /^Stall limit in seconds/ });
  await field.fill('0');
  const values = () => page.evaluate(() => document.querySelector('chunkscope-inspector').form.values().stallTimeoutMs);
  assert.equal(await values(), undefined);
  assert.equal(await field.getAttribute('aria-invalid'), 'true');
  await field.fill('7');
  assert.equal(await values(), 7000);
  assert.equal(await field.getAttribute('aria-invalid'), 'false');
  // the element's stall-timeout attribute fills it
  await page.evaluate(() => {
    const el = document.createElement('chunkscope-inspector');
    el.setAttribute('stall-timeout', '5');
    el.id = 'second';
    document.body.appendChild(el);
  });
  assert.equal(await page.evaluate(() => document.getElementById('second').form.values().stallTimeoutMs), 5000);
  assertClean(page);
});
