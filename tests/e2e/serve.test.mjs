// serve.test.mjs — the inspector page served by `chunkscope serve`, reading a registry that sends
// no CORS headers at all (NOCORS_REGISTRY_URL, scripts/registry.sh) through the local gateway:
// layers, files, pull cost and registry check, and the same report, plan and range check as the
// page served statically gets from the CORS-enabled registry on the same storage. Also: the page
// says that requests go through the local server, plain http needs --insecure, the CSP allows the
// gateway only, and that registry cannot be read from a page that is not behind the gateway.
//
// Needs the registries (scripts/test.sh), Chromium, www/pkg (bash scripts/build.sh) and the
// chunkscope binary (built here with cargo if missing); a missing piece fails the suite.
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { startUi, pageUrl, waitForReport, screenshot, registryEnv, ROOT, CHROMIUM, setFilter } from './helpers.mjs';

const env = registryEnv();
const BIN = path.join(ROOT, 'target', 'debug', 'chunkscope');
let ui;
const servers = [];

/** Starts `chunkscope serve --port 0 ARGS`; resolves to {url, proc, stderr: string[]}. */
function startServe(args = []) {
  return new Promise((resolve, reject) => {
    const proc = spawn(BIN, ['serve', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const stderr = [];
    proc.stderr.on('data', (d) => { stderr.push(String(d)); if (process.env.SERVE_DEBUG) process.stderr.write(d); });
    proc.on('error', reject);
    proc.on('exit', (code) => reject(new Error(`chunkscope serve exited (${code}): ${stderr.join('')}`)));
    const lines = createInterface({ input: proc.stdout });
    lines.once('line', (line) => {
      const m = /^chunkscope serve: (http:\/\/127\.0\.0\.1:\d+\/)$/.exec(line);
      if (!m) return reject(new Error(`unexpected first line ${JSON.stringify(line)}`));
      const s = { url: m[1], proc, stderr };
      servers.push(s);
      resolve(s);
    });
  });
}

before(async () => {
  if (!env.NOCORS_REGISTRY_URL || !env.REGISTRY_URL) {
    throw new Error('NOCORS_REGISTRY_URL / REGISTRY_URL not set: run via scripts/test.sh (or start scripts/registry.sh)');
  }
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}`);
  if (!existsSync(path.join(ROOT, 'www', 'pkg', 'chunkscope.js'))) {
    throw new Error('www/pkg/chunkscope.js is missing: build the wasm module first (bash scripts/build.sh)');
  }
  execFileSync('cargo', ['build', '-q', '--bin', 'chunkscope'], { cwd: ROOT, stdio: 'inherit' });
  ui = await startUi();
});

after(async () => {
  for (const s of servers) s.proc.kill('SIGTERM');
  if (ui) await ui.close();
});

function assertClean(page, { allow401 = false } = {}) {
  assert.deepEqual(page.problems.pageerror, [], 'page errors');
  // the browser logs the registry's 401 (the start of the token dance) as a failed resource
  const consoleErrors = page.problems.console.filter((m) => !(allow401 && /status of 401/.test(m)));
  assert.deepEqual(consoleErrors, [], 'console errors');
  assert.deepEqual(page.problems.csp, [], 'CSP violations');
}

/** Types into the form and inspects (as a user would). */
async function inspectByTyping(page, registry, image, have = '') {
  await page.locator('input[name="registry"]').fill(registry);
  await page.locator('input[name="image"]').fill(image);
  await page.locator('input[name="have"]').fill(have);
  await page.locator('form.query button[type="submit"]').click();
  return waitForReport(page, 60000);
}

/** What the page holds: the report and the plan, once the pull cost panel is drawn. */
async function pageResults(page) {
  await page.locator('.bar-row[data-plan="reference"]').waitFor({ state: 'attached', timeout: 60000 });
  return page.evaluate(() => {
    const s = document.querySelector('chunkscope-inspector').state;
    return JSON.parse(JSON.stringify({ report: s.report, plan: s.plan, registry: s.registry }));
  });
}

/** Runs the registry check on the selected layer; its rows as text. */
async function probeRows(page) {
  await page.locator('button.tab[data-tab="probe"]').click();
  // single range only: the gateway does not forward multi-range requests
  const multi = page.getByRole('checkbox', { name: /Also try a multi-range/ });
  if (!(await multi.isDisabled())) await multi.uncheck();
  await page.locator('.probe-view button.btn.primary').click();
  await page.locator('.probe-result .verdict').waitFor({ timeout: 30000 });
  return {
    verdict: await page.locator('.probe-result .verdict').getAttribute('data-verdict'),
    rows: await page.locator('.probe-table tr').evaluateAll((trs) => trs.map((tr) => tr.textContent)),
  };
}

/** Every URL of the registry replaced by REGISTRY, so that two paths to the same storage compare. */
function normalise(value, bases) {
  let text = JSON.stringify(value);
  for (const b of bases) text = text.split(b).join('REGISTRY');
  return JSON.parse(text);
}

test('chunkscope serve: a registry without CORS gives the same report, plan and check as a CORS-enabled one', { timeout: 240000 }, async () => {
  const serve = await startServe(['--insecure']);
  const nocors = env.NOCORS_REGISTRY_URL;
  const nocorsHost = new URL(nocors).host;

  // the registry sends no CORS headers: a page elsewhere can't read it
  const head = await fetch(`${nocors}/v2/`, { headers: { Origin: 'http://example.invalid' } });
  assert.equal(head.status, 200);
  assert.deepEqual([...head.headers.keys()].filter((k) => k.startsWith('access-control-')), []);
  const plain = await ui.page();
  await plain.goto(pageUrl(ui.base, { registry: nocors, image: 'pair-b:latest' }));
  assert.equal(await waitForReport(plain), 'error', 'the statically served page cannot read a registry without CORS');
  assert.match(await plain.locator('.error-box').textContent(), /chunkscope serve --open/);

  // the page behind chunkscope serve: the note, the registry typed by hand
  const page = await ui.page();
  await page.goto(serve.url);
  const note = page.locator('[data-serve-note]');
  await note.waitFor();
  assert.match(await note.textContent(), /registry requests go through this local server/);
  assert.match(await note.textContent(), new RegExp(`${serve.url.replace(/[/.]/g, '\\$&')}registry/`));
  assert.equal(await inspectByTyping(page, `http://${nocorsHost}`, 'pair-b:latest', 'pair-a:latest'), 'report');
  const viaServe = await pageResults(page);
  assert.equal(viaServe.registry, `http://${nocorsHost}`);
  // the layers and files shown
  const rows = await page.locator('tr.layer-row').evaluateAll((trs) => trs.map((r) => ({
    digest: r.dataset.layerDigest,
    files: Number(r.querySelector('td.files').textContent.replace(/,/g, '')),
  })));
  assert.deepEqual(rows, viaServe.report.layers.map((l) => ({ digest: l.digest, files: l.files })));
  assert.equal(rows.length, 2);
  assert.ok(rows.every((r) => r.files > 0));
  assert.ok(await page.locator('.row[data-path]').count() > 10, 'the file list is shown');
  // every request went to the gateway on the page's own origin
  const gateway = `${serve.url}registry/http/${nocorsHost}`;
  assert.ok(viaServe.report.requestLog.length > 0);
  for (const r of viaServe.report.requestLog) assert.ok(r.url.startsWith(`${gateway}/v2/`), r.url);
  for (const r of viaServe.report.requestLog) assert.ok(!r.range || /^bytes=\d+-\d+$/.test(r.range), r.range);
  // the address bar keeps the registry as typed
  assert.match(await page.evaluate(() => decodeURIComponent(location.search)), new RegExp(`registry=http://${nocorsHost}&`));
  // a file's preview: one range through the gateway, decompressed and verified
  await page.locator('button.tab[data-tab="files"]').click();
  await setFilter(page, '');
  await page.locator('.row[data-path]').first().waitFor();
  const previewFile = viaServe.report.layers[0].fileList.find((f) => f.type === 'reg' && f.size > 0 && f.size < 100000 && f.digest);
  await setFilter(page, previewFile.path.split('/').pop());
  await page.locator(`.row[data-path="${previewFile.path.startsWith('/') ? previewFile.path : `/${previewFile.path}`}"]`).click();
  await page.locator('.file-details button.preview-btn').click();
  await page.locator('.preview [data-verified="true"]').waitFor({ timeout: 20000 });
  const probeViaServe = await probeRows(page);
  // the multi-range check is not offered through the gateway, nor CORS settings shown
  assert.equal(await page.getByRole('checkbox', { name: /Also try a multi-range/ }).isDisabled(), true);
  assert.equal(await page.getByRole('checkbox', { name: /range cap/ }).isDisabled(), true);
  assert.equal(await page.locator('.probe-view .snippets').isHidden(), true);
  await screenshot(page, 'serve-nocors-probe');
  assertClean(page);

  // the same images from the CORS-enabled registry (same storage), page served statically
  const direct = await ui.page();
  await direct.goto(pageUrl(ui.base, { registry: env.REGISTRY_URL, image: 'pair-b:latest', have: 'pair-a:latest' }));
  assert.equal(await waitForReport(direct), 'report');
  const viaCors = await pageResults(direct);
  const probeDirect = await probeRows(direct);

  // byte for byte: the report (bytes read, every request's status and byte count), the plan
  const bases = [gateway, env.REGISTRY_URL, `http://${nocorsHost}`];
  assert.deepEqual(normalise(viaServe.report, bases), normalise(viaCors.report, bases));
  assert.deepEqual(normalise(viaServe.plan, bases), normalise(viaCors.plan, bases));
  assert.ok(viaServe.report.bytesFetched > 0);
  assert.deepEqual(normalise(probeViaServe, bases), normalise(probeDirect, bases));
  assert.equal(probeViaServe.verdict, probeDirect.verdict);
});

test('chunkscope serve: a plain name is https, plain http needs --insecure, the CSP allows the gateway only', { timeout: 120000 }, async () => {
  const serve = await startServe([]);
  const page = await ui.page();
  const response = await page.goto(serve.url);
  const csp = response.headers()['content-security-policy'];
  assert.match(csp, /connect-src 'self'/);
  assert.match(csp, /frame-ancestors 'none'/);
  const host = new URL(env.NOCORS_REGISTRY_URL).host;
  // plain http without --insecure: said in the form, nothing sent
  assert.equal(await inspectByTyping(page, `http://${host}`, 'pair-b:latest'), 'error');
  assert.match(await page.locator('.error-box').textContent(), /chunkscope serve --insecure/);
  // a plain name means https: the gateway asks the registry over TLS, which this http-only
  // registry can't answer; the page says the registry failed (the gateway's 502), no CORS talk
  assert.equal(await inspectByTyping(page, host, 'pair-b:latest'), 'error');
  const text = await page.locator('.error-box').textContent();
  assert.match(text, /502|server error/);
  assert.doesNotMatch(text, /Access-Control/);
  assert.match(text, /chunkscope serve/);
  assert.match(serve.stderr.join(''), /refused|https:\/\//);
  // the page can't reach anything but its own origin
  const blocked = await page.evaluate(async (u) => {
    try { await fetch(u); return 'fetched'; } catch (e) { return 'blocked'; }
  }, `${env.REGISTRY_URL}/v2/`);
  assert.equal(blocked, 'blocked');
  assert.ok(page.problems.csp.length >= 1, 'the CSP reported the blocked request');
});

test('chunkscope serve: the token-auth registry (issuer on another port) is read anonymously through the gateway', { timeout: 120000 }, async () => {
  if (!env.AUTH_REGISTRY_URL || !env.TOKEN_REALM) throw new Error('AUTH_REGISTRY_URL / TOKEN_REALM not set: run via scripts/test.sh (AUTH_REGISTRIES=1)');
  const serve = await startServe(['--insecure']);
  const authHost = new URL(env.AUTH_REGISTRY_URL).host;
  assert.notEqual(new URL(env.TOKEN_REALM).host, authHost);
  const page = await ui.page();
  await page.goto(serve.url);
  assert.equal(await inspectByTyping(page, `http://${authHost}`, 'pair-b:latest'), 'report');
  const { report } = await pageResults(page);
  // 401, then the token from the realm the registry named, reached through this server
  const log = report.requestLog;
  assert.equal(log[0].status, 401);
  const token = log.filter((r) => r.purpose === 'token');
  assert.equal(token.length, 1);
  assert.ok(token[0].url.startsWith(`${serve.url}realm/`), token[0].url);
  assert.equal(token[0].status, 200);
  assert.ok(log.every((r) => r.url.startsWith(serve.url)), 'every request went to the page\'s own origin');
  assert.deepEqual(report.layers.map((l) => [l.digest, l.files, l.error]), [
    ['sha256:fd9fd530c5618af1f11da2c9316369493bbdcd3359553e0617005923724b5820', 819, null],
    [report.layers[1].digest, report.layers[1].files, null],
  ]);
  assert.ok(report.layers[1].files > 0);
  assertClean(page, { allow401: true });
});
