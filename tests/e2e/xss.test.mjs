// xss.test.mjs — a layer whose file names, link targets, xattrs and content are HTML/JS payloads
// is shown as text: no dialog, no console error, no element made from the payloads, and every
// name present verbatim (in the list, the details and the URL round trip).
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startUi, pageUrl, waitForReport, screenshot, registryEnv, skipReason, chunkedLayout, pushLayout, registryHost, setFilter } from './helpers.mjs';

const skip = skipReason();
const env = registryEnv();
let ui;

const PAYLOADS = [
  '<img src=x onerror=alert(1)>.txt',
  '"><script>alert(2)</script>', // the "/" makes it a directory `"><script>alert(2)<` with a file `script>`
  "'><svg onload=alert(3)>",
  'javascript:alert(4)',
  '&lt;b&gt;entity&amp;amp;',
  '<iframe srcdoc="<script>parent.alert(5)</script>">',
  '{{constructor.constructor(\'alert(6)\')()}}',
];
const LINK_TARGET = '<script>alert(7)</script>';
const XATTR_NAME = 'user.<script>alert(8)</script>'; // no '=': a PAX key can't hold one
const XATTR_VALUE = '<img src=x onerror=alert(9)>';
const CONTENT = '<script>alert(10)</script>\n<img src=x onerror=alert(11)>\n';
// a right-to-left override and leading dots: "..‮exe.txt" reads as "..txt.exe"
const BIDI_NAME = '..\u202Eexe.txt';

const MEMBERS = [
  { name: 'evil', type: 'dir' },
  ...PAYLOADS.map((p) => ({ name: `evil/${p}`, type: 'file', data: CONTENT })),
  { name: 'evil/link', type: 'symlink', target: LINK_TARGET },
  { name: 'evil/xattr', type: 'file', data: 'x', xattrs: { [XATTR_NAME]: XATTR_VALUE } },
  { name: `evil/${BIDI_NAME}`, type: 'file', data: 'bidi\n' },
];

before(async () => {
  if (skip) return;
  const { layout, converted, ms } = await chunkedLayout({ name: 'xss', members: MEMBERS });
  if (converted) console.log(`# xss fixture converted to zstd:chunked in ${ms} ms`);
  await pushLayout(layout, registryHost(env), 'xss');
  ui = await startUi();
});
after(async () => { if (ui) await ui.close(); });

test('file names, link targets and xattrs that are HTML/JS payloads render as text and run nothing', { skip, timeout: 60000 }, async () => {
  const page = await ui.page();
  await page.addInitScript(() => {
    window.__fired = [];
    for (const k of ['alert', 'confirm', 'prompt']) window[k] = (m) => { window.__fired.push(`${k}:${m}`); };
  });
  await page.goto(pageUrl(ui.base, { registry: env.REGISTRY_URL, image: 'xss:latest' }));
  assert.equal(await waitForReport(page), 'report');

  // list view, everything
  await page.locator('.segmented button', { hasText: 'List' }).click();
  await setFilter(page, '/evil/');
  const paths = await page.locator('.row[data-path]').evaluateAll((rows) => rows.map((r) => ({
    path: r.dataset.path, label: r.querySelector('.label').textContent, target: r.querySelector('.target').textContent,
  })));
  const expected = PAYLOADS.map((p) => `/evil/${p}`);
  for (const p of expected) {
    const row = paths.find((r) => r.path === p);
    assert.ok(row, `row for ${p}: got ${JSON.stringify(paths.map((r) => r.path))}`);
    assert.equal(row.label, p, 'the label is the name, as text');
  }
  assert.equal(paths.find((r) => r.path === '/evil/link').target, `→ ${LINK_TARGET}`);
  await screenshot(page, 'xss-list');

  // details of each payload file, and its preview (content is a script: shown as text)
  for (const p of expected.slice(0, 3)) {
    await page.locator(`.row[data-path="${p.replace(/["\\]/g, '\\$&')}"]`).click();
    assert.equal(await page.locator('.file-details h3.path').textContent(), p);
  }
  await page.locator('button.preview-btn').click();
  await page.locator('.preview [data-verified="true"]').waitFor({ timeout: 20000 });
  assert.equal(await page.locator('.preview-body').textContent(), CONTENT);

  // the download name of a file named with a bidi override and leading dots is cleaned, and the
  // button label can't be reordered by it
  await page.locator(`.row[data-path="/evil/${BIDI_NAME}"]`).click();
  await page.locator('button.preview-btn').click();
  await page.locator('.preview [data-verified="true"]').waitFor({ timeout: 20000 });
  const download = page.locator('.preview a[download]');
  assert.equal(await download.getAttribute('download'), 'exe.txt');
  assert.equal(await download.textContent(), 'Download \u2068exe.txt\u2069');
  assert.match(await download.getAttribute('href'), /^blob:/);

  // the symlink's target and the xattr, as text
  await page.locator('.row[data-path="/evil/link"]').click();
  assert.equal(await page.locator('.file-details .link-target').textContent(), LINK_TARGET);
  await page.locator('.row[data-path="/evil/xattr"]').click();
  assert.equal(await page.locator('.file-details .xattr-name').textContent(), XATTR_NAME);
  assert.equal(await page.locator('.file-details .xattr-value').textContent(), XATTR_VALUE);
  await screenshot(page, 'xss-details');

  // tree view and the chunk map tooltip
  await page.locator('.segmented button', { hasText: 'Tree' }).click();
  await setFilter(page, '');
  await page.locator('[data-tab="map"]').click();
  const box = await page.locator('canvas.map-canvas').boundingBox();
  for (let i = 0; i < 8; i++) await page.mouse.move(box.x + 80 + i * 40, box.y + 4);
  await page.locator('[data-tab="files"]').click();

  // URL round trip of a payload path
  await page.locator('.segmented button', { hasText: 'List' }).click();
  await page.locator(`.row[data-path="${expected[0]}"]`).click();
  const url = page.url();
  assert.ok(new URL(url).searchParams.get('file') === expected[0], url);
  await page.goto(url);
  await page.locator('.file-details h3.path', { hasText: 'onerror' }).waitFor();
  assert.equal(await page.locator('.file-details h3.path').textContent(), expected[0]);

  // nothing ran, nothing was parsed into elements
  const dom = await page.evaluate(() => {
    const root = document.querySelector('chunkscope-inspector').shadowRoot;
    const all = [...root.querySelectorAll('*')];
    return {
      fired: window.__fired,
      scripts: root.querySelectorAll('script').length + document.querySelectorAll('script:not([type="module"])').length,
      imgs: root.querySelectorAll('img, iframe, object, embed').length,
      handlers: all.filter((el) => [...el.attributes].some((a) => /^on/i.test(a.name))).map((el) => el.tagName),
      foreignSvg: root.querySelectorAll('svg:not(.curve)').length,
    };
  });
  assert.deepEqual(dom, { fired: [], scripts: 0, imgs: 0, handlers: [], foreignSvg: 0 });
  assert.deepEqual(page.problems.dialog, [], 'no dialog');
  assert.deepEqual(page.problems.console, [], 'no console error');
  assert.deepEqual(page.problems.pageerror, [], 'no page error');
  assert.deepEqual(page.problems.csp, [], 'no CSP violation');
});
