// helpers.mjs — shared setup of the UI end-to-end tests: the registry env, a static server for
// www/ (scripts/serve.mjs on a free port), Debian's Chromium driven by playwright-core, pushing
// generated OCI layouts with skopeo, and screenshots under test-output/.
import assert from 'node:assert/strict';
import { readFileSync, existsSync, mkdirSync, writeFileSync, rmSync, renameSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { serve } from '../../scripts/serve.mjs';

const run = promisify(execFile);
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const OUT = path.join(ROOT, 'test-output', 'e2e');
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run',
];

/** The registry env (scripts/test.sh exports it); falls back to a running target/registry. */
export function registryEnv() {
  if (process.env.REGISTRY_URL) return process.env;
  for (const dir of ['target/test-registry', 'target/registry']) {
    const f = path.join(ROOT, dir, 'env');
    if (!existsSync(f)) continue;
    const env = {};
    for (const line of readFileSync(f, 'utf8').split('\n')) {
      const m = line.match(/^([A-Z0-9_]+)=(.*)$/);
      if (m) env[m[1]] = m[2].replace(/^'(.*)'$/, '$1');
    }
    if (env.REGISTRY_URL) return env;
  }
  return {};
}

/**
 * Why the suite can't run here (a string for node:test's `skip`), or false. A missing wasm build
 * is not a reason to skip: the tests must fail then (run bash scripts/build.sh first).
 */
export function skipReason() {
  if (!registryEnv().REGISTRY_URL) return 'REGISTRY_URL not set: run via scripts/test.sh (or start scripts/registry.sh)';
  if (!existsSync(CHROMIUM)) return `no Chromium at ${CHROMIUM}`;
  if (!existsSync(path.join(ROOT, 'www', 'pkg', 'chunkscope.js'))) {
    throw new Error('www/pkg/chunkscope.js is missing: build the wasm module first (bash scripts/build.sh)');
  }
  return false;
}

/**
 * Starts the static server and the browser. Returns { base, browser, page(opts), close() }.
 * page() gives a fresh page whose console errors, page errors and dialogs are recorded in
 * `page.problems` ({console: [], pageerror: [], dialog: []}); dialogs are dismissed.
 */
export async function startUi() {
  const server = await serve({ root: path.join(ROOT, 'www'), port: 0 });
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  const pages = [];
  return {
    base: server.url,
    browser,
    async page({ width = 1440, height = 1000, colorScheme = 'light' } = {}) {
      const context = await browser.newContext({ viewport: { width, height }, colorScheme, deviceScaleFactor: 1 });
      const page = await context.newPage();
      page.problems = { console: [], pageerror: [], dialog: [], csp: [] };
      page.on('console', (m) => {
        if (m.type() === 'error') page.problems.console.push(m.text());
        if (/Content[- ]Security[- ]Policy/i.test(m.text())) page.problems.csp.push(m.text());
      });
      page.on('pageerror', (e) => page.problems.pageerror.push(String(e)));
      page.on('dialog', (d) => { page.problems.dialog.push(`${d.type()}: ${d.message()}`); d.dismiss().catch(() => {}); });
      pages.push(context);
      return page;
    },
    async close() {
      for (const c of pages) await c.close().catch(() => {});
      await browser.close().catch(() => {});
      await server.close();
    },
  };
}

/** URL of the page for an image. */
export function pageUrl(base, params) {
  const qs = Object.entries(params).filter(([, v]) => v).map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
  return `${base}?${qs}`;
}

/** Waits until the inspector shows a report (layer rows) or an error; returns 'report' | 'error'. */
export async function waitForReport(page, timeout = 30000) {
  const inspector = page.locator('chunkscope-inspector');
  await page.waitForFunction(() => {
    const el = document.querySelector('chunkscope-inspector');
    const r = el && el.shadowRoot;
    if (!r) return false;
    return r.querySelector('tr.layer-row') || !r.querySelector('.error-box').hidden;
  }, null, { timeout });
  const err = inspector.locator('.error-box:not([hidden])');
  return (await err.count()) ? 'error' : 'report';
}

/**
 * Saves test-output/e2e/NAME.png: the whole page, or with {fullPage: false} the viewport only
 * (Chromium's full-page capture resets inner scrollers, so scrolled lists need the viewport).
 */
export async function screenshot(page, name, { fullPage = true } = {}) {
  mkdirSync(OUT, { recursive: true });
  const file = path.join(OUT, `${name}.png`);
  await page.screenshot({ path: file, fullPage });
  return file;
}

export function writeOut(name, text) {
  mkdirSync(OUT, { recursive: true });
  writeFileSync(path.join(OUT, name), text);
}

// ---------------------------------------------------------------------------- fixtures

/**
 * A one-layer zstd:chunked OCI layout made from `members` (see make_layout.py) or a generator spec
 * ("many:N"): Python's tarfile writes the uncompressed layer, skopeo converts it to zstd:chunked
 * (oci: → oci:, --dest-compress-format zstd:chunked). The result is cached under
 * target/e2e-cache/ keyed by the input, make_layout.py and skopeo's version, because converting
 * 100k files takes skopeo ~30 s. Returns { layout, converted, ms }.
 */
export async function chunkedLayout({ name, members = null, generate = null, platforms = null }) {
  const { stdout: skopeoVersion } = await run('skopeo', ['--version']);
  const script = path.join(ROOT, 'tests', 'e2e', 'make_layout.py');
  const key = createHash('sha256')
    .update(JSON.stringify({ members, generate, platforms }))
    .update(readFileSync(script))
    .update(skopeoVersion)
    .digest('hex')
    .slice(0, 16);
  const dir = path.join(ROOT, 'target', 'e2e-cache', `${name}-${key}`);
  const layout = path.join(dir, 'chunked');
  if (existsSync(path.join(layout, 'index.json'))) return { layout, converted: false, ms: 0 };
  const t0 = Date.now();
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const raw = path.join(dir, 'raw');
  const args = [script, raw, '--tag', 'latest'];
  if (members) {
    const spec = path.join(dir, 'members.json');
    writeFileSync(spec, JSON.stringify(members));
    args.push('--members', spec);
  }
  if (generate) args.push('--generate', generate);
  if (platforms) args.push('--platforms', platforms.join(','));
  await run('python3', args, { maxBuffer: 1 << 24 });
  const tmp = `${layout}.tmp`;
  await run('skopeo', [
    '--insecure-policy', 'copy', '-q', '--all', '--dest-compress-format', 'zstd:chunked',
    `oci:${raw}:latest`, `oci:${tmp}:latest`,
  ], { maxBuffer: 1 << 24, timeout: 180000 });
  renameSync(tmp, layout);
  rmSync(raw, { recursive: true, force: true });
  return { layout, converted: true, ms: Date.now() - t0 };
}

/** Pushes a layout's `latest` unchanged (same digests) to REGISTRY/repo:latest. */
export async function pushLayout(layout, host, repo) {
  const t0 = Date.now();
  await run('skopeo', [
    '--insecure-policy', 'copy', '-q', '--all', '--preserve-digests', '--dest-tls-verify=false',
    `oci:${layout}:latest`, `docker://${host}/${repo}:latest`,
  ], { maxBuffer: 1 << 24, timeout: 120000 });
  return Date.now() - t0;
}

export function registryHost(env) {
  return env.REGISTRY_HOST || new URL(env.REGISTRY_URL).host;
}

/**
 * Types `q` into the file filter and waits until the list shows it (the input is debounced, and
 * the virtual list recycles its row elements when the filter applies: a row located before that
 * can turn into another file's, or an idle one).
 */
export async function setFilter(page, q) {
  await page.locator('input.filter').fill(q);
  const view = page.locator('.toc-view');
  for (let i = 0; i < 200; i++) {
    if (((await view.getAttribute('data-query')) ?? '') === q.trim()) return;
    await page.waitForTimeout(25);
  }
  throw new Error(`the file filter never applied ${JSON.stringify(q)}`);
}

/** The layer rows as {digest, entries, files, format} read from the page. */
export async function layerRows(page) {
  return page.locator('tr.layer-row').evaluateAll((rows) => rows.map((r) => ({
    digest: r.dataset.layerDigest,
    entries: Number(r.querySelector('td.entries').textContent.replace(/,/g, '')),
    files: Number(r.querySelector('td.files').textContent.replace(/,/g, '')),
    format: r.querySelector('.badge').textContent,
  })));
}

/** The inspector's visible page-level error box (not an inline one). */
export const errorBox = (page) => page.locator('chunkscope-inspector .error-box:not(.inline):not([hidden])');

/** Asserts the page had no page errors, console errors (but those matching `allowConsole`),
 *  CSP violations or dialogs. */
export function assertClean(page, { allowConsole = [] } = {}) {
  const consoleErrors = page.problems.console.filter((m) => !allowConsole.some((re) => re.test(m)));
  assert.deepEqual(page.problems.pageerror, [], 'page errors');
  assert.deepEqual(consoleErrors, [], 'console errors');
  assert.deepEqual(page.problems.csp, [], 'CSP violations');
  assert.deepEqual(page.problems.dialog, [], 'dialogs');
}
