// security.test.mjs — the page's defences as a browser sees them: scripts/serve.mjs sends the
// page's own CSP as a header (plus frame-ancestors 'none' for index.html only) and nosniff;
// Chromium enforces Trusted Types (no HTML or script strings reach a sink, no policy can be made)
// while the inspector works; index.html refuses to be framed, embed.html may be; dom.js refuses unsafe props and URLs.
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startUi, pageUrl, waitForReport, registryEnv, skipReason, ROOT, setFilter } from './helpers.mjs';

const skip = skipReason();
const env = registryEnv();
let ui;

before(async () => { if (!skip) ui = await startUi(); });
after(async () => { if (ui) await ui.close(); });

const metaCsp = (name) => readFileSync(path.join(ROOT, 'www', name), 'utf8')
  .match(/http-equiv="Content-Security-Policy" content="([^"]*)"/)[1];

test('serve.mjs: the page CSP as a header, frame-ancestors only for index.html, nosniff everywhere', { skip, timeout: 30000 }, async () => {
  for (const name of ['index.html', 'embed.html']) {
    const csp = metaCsp(name);
    assert.match(csp, /form-action 'none'/, name);
    // one Trusted Types policy: the inspection worker's script URL (www/js/inspect-client.js)
    assert.match(csp, /require-trusted-types-for 'script'; trusted-types chunkscope-worker; worker-src 'self'/, name);
  }
  const head = async (p) => {
    const r = await fetch(new URL(p, ui.base));
    await r.arrayBuffer();
    return { csp: r.headers.get('content-security-policy'), nosniff: r.headers.get('x-content-type-options') };
  };
  assert.deepEqual(await head(''), { csp: `${metaCsp('index.html')}; frame-ancestors 'none'`, nosniff: 'nosniff' });
  assert.deepEqual(await head('index.html'), { csp: `${metaCsp('index.html')}; frame-ancestors 'none'`, nosniff: 'nosniff' });
  assert.deepEqual(await head('embed.html'), { csp: metaCsp('embed.html'), nosniff: 'nosniff' });
  for (const p of ['inspector.js', 'inspector.css', 'pkg/chunkscope_bg.wasm', 'no-such-file']) {
    assert.equal((await head(p)).nosniff, 'nosniff', p);
  }
});

test('Trusted Types are enforced and the inspector works under them', { skip, timeout: 60000 }, async () => {
  const page = await ui.page();
  await page.goto(pageUrl(ui.base, { registry: env.REGISTRY_URL, image: 'tiny-current:latest', have: 'tiny-legacy:latest', tab: 'map' }));
  assert.equal(await waitForReport(page), 'report');
  await page.locator('.chunk-map[data-colours="plan"]').waitFor();
  await page.locator('[data-tab="files"]').click();
  await setFilter(page, 'doc00');
  await page.locator('.row[data-path="/usr/share/doc/tiny/doc00.txt"]').click();
  await page.locator('button.preview-btn').click();
  await page.locator('.preview [data-verified="true"]').waitFor({ timeout: 20000 });
  await page.locator('[data-tab="probe"]').click();
  await page.locator('.probe-view button.btn.primary').click();
  await page.locator('.verdict').waitFor({ timeout: 20000 });
  assert.deepEqual(page.problems.pageerror, []);
  assert.deepEqual(page.problems.console, []);
  assert.deepEqual(page.problems.csp, []);

  // now try the sinks: each string assignment is refused
  const sinks = await page.evaluate(() => {
    const root = document.querySelector('chunkscope-inspector').shadowRoot;
    const attempt = (fn) => { try { fn(); return 'allowed'; } catch (e) { return e.name; } };
    return {
      innerHTML: attempt(() => { document.body.innerHTML = '<b>x</b>'; }),
      shadowInnerHTML: attempt(() => { root.querySelector('.app-foot').innerHTML = '<b>x</b>'; }),
      insertAdjacentHTML: attempt(() => document.body.insertAdjacentHTML('beforeend', '<i>x</i>')),
      scriptText: attempt(() => { document.createElement('script').textContent = 'alert(1)'; }),
      policy: attempt(() => trustedTypes.createPolicy('x', { createHTML: (s) => s })),
    };
  });
  assert.deepEqual(sinks, {
    innerHTML: 'TypeError', shadowInnerHTML: 'TypeError', insertAdjacentHTML: 'TypeError', scriptText: 'TypeError',
    policy: 'TypeError',
  });
});

test('index.html refuses to be framed; embed.html may be', { skip, timeout: 30000 }, async () => {
  const page = await ui.page();
  // the embed example points at the demo registry: nothing beyond the UI server is needed here
  await page.route((url) => !url.href.startsWith(ui.base), (r) => r.abort());
  // a host page on the same origin, without any CSP of its own (frame-ancestors 'none' refuses
  // even same-origin parents)
  const host = new URL('frame-host.html', ui.base).href;
  await page.route(host, (r) => r.fulfill({ contentType: 'text/html', body: '<!doctype html><title>host</title><body></body>' }));
  await page.goto(host);
  const framed = async (name) => {
    await page.evaluate((src) => new Promise((resolve) => {
      const f = document.createElement('iframe');
      f.name = src;
      f.addEventListener('load', () => resolve(), { once: true });
      f.src = src;
      document.body.appendChild(f);
    }), new URL(name, ui.base).href);
    const frame = page.frames().find((fr) => fr.name() === new URL(name, ui.base).href);
    return { url: frame.url(), title: await frame.evaluate(() => document.title).catch(() => null) };
  };
  const index = await framed('index.html');
  assert.notEqual(index.url, new URL('index.html', ui.base).href, 'index.html is blocked');
  assert.doesNotMatch(String(index.title), /chunkscope/);
  const embed = await framed('embed.html');
  assert.equal(embed.url, new URL('embed.html', ui.base).href);
  assert.match(embed.title, /Embedding chunkscope/);
});

test('dom.js refuses props outside its whitelist and unsafe URLs', { skip, timeout: 30000 }, async () => {
  const page = await ui.page();
  await page.goto(ui.base);
  const r = await page.evaluate(async () => {
    const { h } = await import('./js/dom.js');
    const attempt = (fn) => { try { fn(); return 'ok'; } catch (e) { return e.message; } };
    return {
      checked: attempt(() => h('input', { type: 'checkbox', props: { checked: true } })),
      innerHTML: attempt(() => h('div', { props: { innerHTML: '<b>x</b>' } })),
      blobHref: attempt(() => h('a', { href: 'blob:http://x/1', download: 'x' })),
      jsHref: attempt(() => h('a', { href: 'javascript:alert(1)' })),
      handler: attempt(() => h('div', { onclick: 'alert(1)' })),
    };
  });
  assert.equal(r.checked, 'ok');
  assert.equal(r.blobHref, 'ok');
  assert.match(r.innerHTML, /not in the props whitelist/);
  assert.match(r.jsHref, /href must be a blob:/);
  assert.match(r.handler, /no inline handlers/);
});
