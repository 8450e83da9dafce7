// errors.js — every failure in plain words, with what to do about it.
//
// The wasm module's messages are already meant for users; this adds the next step that fits the
// situation (how to authenticate, what a proxy does to ranges, …), chosen by the error's `kind`
// (never by its message text). The CORS configuration shown
// for an unreadable registry is the module's own `corsConfig()`: one source for that text.
// Everything returned is plain text and is rendered with textContent.

import { h, copyButton } from './dom.js';
import { serveInfo } from './api.js';

/**
 * The kind of a failure: the module's `kind` (see README, "Errors"), or `input` for form values
 * the page itself refused, `not-a-layer` for a local file whose magic bytes are no layer's, or
 * `startup` when the module did not load. Anything else thrown (a
 * bug) is `internal`.
 * @param {unknown} err
 * @returns {string}
 */
export function kindOf(err) {
  if (err && typeof err === 'object' && typeof err.kind === 'string') return err.kind;
  return 'internal';
}

/**
 * @param {unknown} err  what was thrown, or a layer report's `error` object ({kind, message, …})
 * @param {{action?: string, registry?: string}} ctx
 * @returns {{title: string, message: string, hints: string[], cors: boolean, kind: string}}
 */
export function explain(err, ctx = {}) {
  const message = String((err && err.message) || err || 'Unknown error');
  const kind = kindOf(err);
  const status = err && typeof err.status === 'number' ? err.status : null;
  const hints = [];
  let title = ctx.action ? `Could not ${ctx.action}` : 'Something went wrong';
  let cors = false;
  const serve = serveInfo();
  const pageHttps = typeof location !== 'undefined' && location.protocol === 'https:';
  const registryHttp = ctx.registry && ctx.registry.startsWith('http:');

  switch (kind) {
    case 'input':
      title = 'Check the registry and image';
      break;
    case 'network':
      if (err && (err.stage || (err.details && err.details.stage))) {
        // a stall (README "Errors": `stage` connect / headers / body, `seconds`): it did answer
        const stage = err.stage || err.details.stage;
        const seconds = err.seconds ?? (err.details && err.details.seconds);
        const wait = seconds != null ? `${seconds} s` : 'the stall limit';
        title = {
          connect: 'Timed out while connecting',
          headers: 'Timed out waiting for the answer\'s headers',
          body: 'Timed out in the middle of the body',
        }[stage] || 'Timed out';
        hints.push({
          connect: `No connection was made within ${wait}: check the address, or whether a firewall drops the packets.`,
          headers: `The request was sent, but no status line and headers came back within ${wait}: the registry (or a proxy in front of it) is stuck or overloaded.`,
          body: `The answer began, then nothing more arrived for ${wait}: the transfer stalled; a proxy or the registry's storage may be stuck.`,
        }[stage] || `Nothing arrived for ${wait}.`);
        hints.push('Try again; the stall limit is under "Options and sign-in".');
      } else if (serve) {
        // Behind chunkscope serve the page talks to its own origin only: no CORS involved.
        title = 'The local server did not answer';
        hints.push('Is chunkscope serve still running? Start it again and reload the page.');
      } else if (pageHttps && registryHttp) {
        title = 'The browser blocked a plain-HTTP registry';
        hints.push(
          'This page is served over HTTPS, so the browser refuses http:// requests (mixed content). ' +
            'Serve the registry over HTTPS, or open the inspector from an http:// address.',
        );
      } else {
        title = 'The registry is not reachable';
        hints.push('Nothing answered at that address. Check the URL, the port and the scheme (http:// or https://).');
      }
      break;
    case 'cors': {
      cors = true;
      title = 'The registry does not let this page read it (CORS)';
      const preflight = !!(err.details && err.details.preflight);
      if (preflight) {
        hints.push(
          'Authenticated requests need the registry to answer CORS preflight (OPTIONS) requests without ' +
            'credentials; CNCF distribution with auth does not, so serve the inspector from the registry\'s ' +
            'own origin, or put a proxy in front that answers OPTIONS.',
        );
      }
      hints.push(
        'A registry you don\'t run (Docker Hub, most public registries) sends no CORS headers: run ' +
          '`chunkscope serve --open` and type the registry into the page it opens; its requests then go ' +
          'through that local server.',
      );
      hints.push(
        'The registry answers, but without the CORS headers a browser needs. It must send these headers (as ' +
          'CNCF distribution\'s config.yml below; a proxy in front, or the storage its blobs redirect to, needs the same):',
      );
      break;
    }
    case 'auth':
      title = 'The registry wants credentials';
      hints.push(
        'Open “Sign in” and give a token or a user name and password. Authenticated requests need the ' +
          'registry to answer CORS preflight (OPTIONS) requests without credentials; CNCF distribution with ' +
          'auth does not, so serve the inspector from the registry\'s own origin in that case.',
      );
      break;
    case 'not-found': {
      // the registry's own error code (distribution's JSON errors body), when it sent one
      const code = err && (err.registryCode || (err.details && err.details.registryCode));
      // an OCI layout folder without a file it needs (the module's `path` field)
      const layoutPath = err && ((err.details && err.details.path) || (typeof err.path === 'string' && err.path));
      if (layoutPath) {
        const root = layoutPath === 'oci-layout' || layoutPath === 'index.json';
        title = root ? 'Not an OCI image layout' : 'Not found in the OCI layout';
        hints.push(root
          ? 'Choose the folder that holds oci-layout, index.json and blobs/ (skopeo copy … oci:DIR writes one).'
          : 'The folder lacks a blob its index or a manifest names: copy the layout whole (skopeo copy --all).');
      } else if (code === 'NAME_UNKNOWN') {
        title = 'Repository not found';
        hints.push('The registry has no repository by that name: check its spelling (names are lowercase) and the registry.');
      } else if (code === 'MANIFEST_UNKNOWN') {
        title = 'Tag not found';
        hints.push('The repository exists, but not this tag or digest: pick one of its tags below.');
      } else {
        title = 'Not found';
        hints.push('Check the repository name and the tag or digest (names are lowercase; the default tag is latest), or the platform.');
      }
      break;
    }
    case 'not-a-layer':
      title = 'Not a layer';
      hints.push('Choose a layer blob (from an OCI layout: blobs/sha256/…), or open the layout folder.');
      break;
    case 'range-ignored':
      title = 'The registry ignores byte ranges';
      hints.push(
        'It sent the whole blob for a ranged request; chunkscope stopped reading at once. Run the ' +
          '“Registry check” to see what to change (often a proxy or CDN in front of the registry).',
      );
      break;
    case 'http-status':
      title = status ? `The registry answered ${status}` : 'The registry answered with an error';
      break;
    case 'format':
      title = 'The layer or image is malformed';
      break;
    case 'verification':
      title = 'Verification failed';
      hints.push('The bytes do not match the digest that authenticates them: they were not used.');
      break;
    case 'limit':
      title = 'Over a size limit';
      break;
    case 'unsupported':
      title = 'Not supported';
      break;
    case 'startup':
      title = 'chunkscope did not start';
      break;
    default:
      break;
  }
  if (serve) {
    hints.push('Requests go through chunkscope serve: the terminal where it runs shows what it refused or could not reach.');
  }
  return { title, message, hints, cors, kind };
}

/**
 * The nodes of an explained error: title, message, hints, and for CORS trouble the module's
 * `corsConfig()` text (when the page's module is running; the controller starts it before it shows
 * an error of a load or a plan, which may have run in the worker).
 */
export function errorNodes(e, { corsConfig = null } = {}) {
  return [
    h('div', { class: 'error-title' }, e.title),
    h('p', { class: 'error-message' }, e.message),
    e.hints.length ? h('ul', { class: 'hints' }, ...e.hints.map((t) => h('li', null, t))) : null,
    e.cors && corsConfig ? h('div', { class: 'snippet-head' }, copyButton(() => corsConfig, 'Copy', 'Copy distribution CORS config')) : null,
    e.cors && corsConfig ? h('pre', { class: 'code cors-config' }, corsConfig) : null,
  ];
}

/** An inline error box (inside a panel) for `err`. */
export function errorBox(err, ctx = {}, opts = {}) {
  return h('div', { class: 'error-box inline' }, ...errorNodes(explain(err, ctx), opts));
}
