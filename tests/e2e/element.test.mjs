// element.test.mjs — the custom element's own entry (issue 8): www/element.js exports the class and
// define(name), defines nothing on import, registers under any name once; www/inspector.js keeps
// defining <chunkscope-inspector> on import, and importing either twice never throws.
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdirSync, rmSync, cpSync } from 'node:fs';
import { serve } from '../../scripts/serve.mjs';
import path from 'node:path';
import { startUi, screenshot, registryEnv, skipReason, ROOT } from './helpers.mjs';

const skip = skipReason();
const env = registryEnv();
let ui;

before(async () => { if (!skip) ui = await startUi(); });
after(async () => { if (ui) await ui.close(); });

/**
 * A host page that imports nothing by itself, served (from loopback, like the registry) next to a
 * copy of www/: element-host.html.
 */
async function blankHost(page) {
  const dir = path.join(ROOT, 'target', 'e2e-cache', 'element-host');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(path.dirname(dir), { recursive: true });
  cpSync(path.join(ROOT, 'www'), dir, { recursive: true });
  writeFileSync(path.join(dir, 'element-host.html'),
    '<!doctype html><html><head><meta charset="utf-8"><title>host</title><link rel="icon" href="favicon.svg"></head><body><main id="host"></main></body></html>\n');
  host = await serve({ root: dir, port: 0 });
  await page.goto(new URL('element-host.html', host.url).href);
}
let host = null;
after(async () => { if (host) await host.close(); });

test('package.json exports "./element"; the element entry registers under another name, once; importing twice never throws', { skip, timeout: 60000 }, async () => {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  assert.equal(pkg.exports['./element'], './www/element.js');
  assert.equal(pkg.exports['.'], './www/inspector.js');

  const page = await ui.page();
  await blankHost(page);
  const steps = await page.evaluate(async () => {
    const out = {};
    const m = await import('./element.js');
    // importing the element entry defines nothing
    out.afterImport = customElements.get('chunkscope-inspector') === undefined && customElements.get('registry-layers') === undefined;
    const ctor = m.define('registry-layers');
    out.sameClass = ctor === m.ChunkscopeInspector;
    out.again = m.define('registry-layers') === ctor; // no second registration, no throw
    // a second copy of the module (another URL): its define() leaves the defined name alone
    const copy = await import('./element.js?copy');
    out.copyDifferentClass = copy.ChunkscopeInspector !== m.ChunkscopeInspector;
    out.copyDefine = copy.define('registry-layers') === ctor;
    // inspector.js still defines <chunkscope-inspector> on import (a subclass: the class already has a name)
    const ins = await import('./inspector.js');
    const def = customElements.get('chunkscope-inspector');
    out.inspectorDefined = !!def && def.prototype instanceof m.ChunkscopeInspector;
    out.reexports = ins.ChunkscopeInspector === m.ChunkscopeInspector && ins.define === m.define;
    // importing it again, as another module instance too, does not throw
    await import('./inspector.js');
    await import('./inspector.js?twice');
    out.stillSame = customElements.get('chunkscope-inspector') === def;
    return out;
  });
  assert.deepEqual(steps, {
    afterImport: true, sameClass: true, again: true, copyDifferentClass: true, copyDefine: true,
    inspectorDefined: true, reexports: true, stillSame: true,
  });

  // the element under its new name works: attributes in, report event out
  const report = await page.evaluate((registry) => new Promise((resolve, reject) => {
    const el = document.createElement('registry-layers');
    el.setAttribute('registry', registry);
    el.setAttribute('image', 'tiny-current:latest');
    el.addEventListener('chunkscope-report', (e) => resolve({ layers: e.detail.report.layers.length, files: e.detail.report.layers[0].files }));
    el.addEventListener('chunkscope-error', (e) => reject(new Error(e.detail.message)));
    document.getElementById('host').appendChild(el);
  }), env.REGISTRY_URL);
  assert.deepEqual(report, { layers: 1, files: 44 });
  await page.locator('registry-layers tr.layer-row').waitFor();
  assert.equal(await page.locator('registry-layers tr.layer-row').count(), 1);
  await screenshot(page, 'element-other-name', { fullPage: false });
  assert.deepEqual(page.problems.pageerror, []);
  assert.deepEqual(page.problems.console, []);
});

test('inspector.js alone still defines <chunkscope-inspector> on import (index.html, embed.html unchanged)', { skip, timeout: 30000 }, async () => {
  const page = await ui.page();
  await page.goto(ui.base);
  const r = await page.evaluate(async () => {
    const el = document.querySelector('chunkscope-inspector');
    const m = await import('./element.js');
    return { upgraded: el instanceof m.ChunkscopeInspector, ctor: customElements.get('chunkscope-inspector') === m.ChunkscopeInspector };
  });
  assert.deepEqual(r, { upgraded: true, ctor: true });
  assert.deepEqual(page.problems.pageerror, []);
});
