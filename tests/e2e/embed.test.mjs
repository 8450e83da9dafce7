// embed.test.mjs — <chunkscope-inspector> embedded in another page (www/embed.html): attributes
// drive it, the host's --cs-* custom properties theme it, and it leaves the host's URL alone.
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startUi, waitForReport, screenshot, registryEnv, skipReason } from './helpers.mjs';

const skip = skipReason();
const env = registryEnv();
let ui;

before(async () => { if (!skip) ui = await startUi(); });
after(async () => { if (ui) await ui.close(); });

test('the custom element follows its attributes, takes the host\'s theme and keeps the host URL', { skip, timeout: 60000 }, async () => {
  const page = await ui.page();
  // point the element at the test registry as the parser creates it (the file names the demo's
  // 127.0.0.1:5055), before the deferred module script upgrades it
  await page.addInitScript((registry) => {
    new MutationObserver((records, obs) => {
      const el = document.getElementById('inspector');
      if (el) { el.setAttribute('registry', registry); obs.disconnect(); }
    }).observe(document, { childList: true, subtree: true });
  }, env.REGISTRY_URL);
  await page.goto(`${ui.base}embed.html`);
  assert.equal(await waitForReport(page), 'report');
  assert.equal(await page.locator('tr.layer-row td.files').textContent(), '44');
  // attribute change → new image
  await page.evaluate(() => document.getElementById('inspector').setAttribute('image', 'pair-a:latest'));
  await page.waitForFunction(() => document.getElementById('inspector').shadowRoot.querySelectorAll('tr.layer-row').length === 2);
  assert.deepEqual(await page.locator('tr.layer-row td.files').allTextContents(), ['819', '1,012']);
  // themed from outside: the accent of the selected tab is the host's colour
  const accent = await page.locator('button.tab[aria-selected="true"]').evaluate((el) => getComputedStyle(el).color);
  assert.equal(accent, 'rgb(180, 83, 42)');
  // the host URL is untouched (no sync-url attribute)
  assert.equal(new URL(page.url()).search, '');
  // events for the host
  const got = await page.evaluate(() => new Promise((resolve) => {
    const el = document.getElementById('inspector');
    el.addEventListener('chunkscope-report', (e) => resolve(e.detail.report.layers.length), { once: true });
    el.setAttribute('image', 'tiny-current:latest');
  }));
  assert.equal(got, 1);
  await screenshot(page, 'embed');
  assert.deepEqual(page.problems.console, []);
  assert.deepEqual(page.problems.pageerror, []);
  assert.deepEqual(page.problems.csp, []);
});
