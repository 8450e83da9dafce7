// errors.js — every failure in plain words, with what to do about it.
//
// The wasm module's messages are already meant for users; this adds the next step that fits the
// situation (how to authenticate, what a proxy does to ranges, …). The CORS configuration shown
// for an unreadable registry is the module's own `corsConfig()`: one source for that text.
// Everything returned is plain text and is rendered with textContent.

import { h } from './dom.js';
import { serveInfo } from './api.js';

/**
 * @param {unknown} err  what was thrown (an Error with `input: true` is a form value to fix)
 * @param {{action?: string, registry?: string}} ctx
 * @returns {{title: string, message: string, hints: string[], cors: boolean}}
 */
export function explain(err, ctx = {}) {
  const message = String((err && err.message) || err || 'Unknown error');
  if (err && err.input) return { title: 'Check the registry and image', message, hints: [], cors: false };
  const m = message.toLowerCase();
  const hints = [];
  let title = ctx.action ? `Could not ${ctx.action}` : 'Something went wrong';
  let cors = false;
  const serve = serveInfo();
  const pageHttps = typeof location !== 'undefined' && location.protocol === 'https:';
  const registryHttp = ctx.registry && ctx.registry.startsWith('http:');

  if (pageHttps && registryHttp && /fetch|network|cors|blocked/.test(m)) {
    title = 'The browser blocked a plain-HTTP registry';
    hints.push(
      'This page is served over HTTPS, so the browser refuses http:// requests (mixed content). ' +
        'Serve the registry over HTTPS, or open the inspector from an http:// address.',
    );
  } else if (serve && /cors|failed to fetch|networkerror|load failed|access-control|did not answer|unreachable|could not connect|network error/.test(m)) {
    // Behind chunkscope serve the page talks to its own origin only: no CORS involved.
    title = 'The local server did not answer';
    hints.push('Is chunkscope serve still running? Start it again and reload the page.');
  } else if (/cors|failed to fetch|networkerror|load failed|access-control|did not answer|unreachable|could not connect|network error/.test(m)) {
    cors = true;
    title = 'The registry could not be read from this page';
    hints.push(
      'Either the registry is not reachable at that address, or it does not allow browsers from other ' +
        'sites to read its answers (CORS). Check the URL first (does /v2/ answer in a new tab?).',
    );
    hints.push(
      'A registry you don\'t run (Docker Hub, most public registries) sends no CORS headers: run ' +
        '`chunkscope serve --open` and type the registry into the page it opens; its requests then go ' +
        'through that local server.',
    );
    hints.push(
      'For CORS, the registry must send these headers (as CNCF distribution\'s config.yml below; a proxy ' +
        'in front, or the storage its blobs redirect to, needs the same):',
    );
  }
  if (/\b401\b|unauthori[sz]ed|authentication required|denied|forbidden|\b403\b/.test(m)) {
    title = 'The registry wants credentials';
    hints.push(
      'Open “Sign in” and give a token or a user name and password. Authenticated requests need the ' +
        'registry to answer CORS preflight (OPTIONS) requests without credentials; CNCF distribution with ' +
        'auth does not, so serve the inspector from the registry\'s own origin in that case.',
    );
  }
  if (/manifest.?unknown|name.?unknown|\b404\b|not found/.test(m)) {
    title = 'Image not found';
    hints.push('Check the repository name and the tag or digest (names are lowercase; the default tag is latest).');
  }
  if (/ignore[sd]? (the )?range|range ignored|answered .*200|whole (blob|layer)/.test(m)) {
    title = 'The registry ignores byte ranges';
    hints.push(
      'It sent the whole blob for a ranged request; chunkscope stopped reading at once. Run the ' +
        '“Registry check” to see what to change (often a proxy or CDN in front of the registry).',
    );
  }
  if (serve) {
    hints.push('Requests go through chunkscope serve: the terminal where it runs shows what it refused or could not reach.');
  }
  if (/no platform|platform .*not|not in the index/.test(m)) {
    hints.push('Pick one of the platforms the image offers (the list is shown once the index is read).');
  }
  if (/wasm|webassembly|pkg\/chunkscope/.test(m) && !hints.length) {
    title = 'chunkscope did not start';
  }
  return { title, message, hints, cors };
}

/**
 * The nodes of an explained error: title, message, hints, and for CORS trouble the module's
 * `corsConfig()` text (when the module is running; it is, whenever a registry was asked).
 */
export function errorNodes(e, { corsConfig = null } = {}) {
  return [
    h('div', { class: 'error-title' }, e.title),
    h('p', { class: 'error-message' }, e.message),
    e.hints.length ? h('ul', { class: 'hints' }, ...e.hints.map((t) => h('li', null, t))) : null,
    e.cors && corsConfig ? h('pre', { class: 'code cors-config' }, corsConfig) : null,
  ];
}

/** An inline error box (inside a panel) for `err`. */
export function errorBox(err, ctx = {}, opts = {}) {
  return h('div', { class: 'error-box inline' }, ...errorNodes(explain(err, ctx), opts));
}
