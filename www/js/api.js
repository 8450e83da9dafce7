// api.js — loading the wasm module once, and turning what users type into the targets its calls
// take. Reference rules (registry URL, repository, tag, digest) are the module's own
// (`parseReference`), so the form accepts exactly what every later call accepts.

let modulePromise = null;
let loaded = null;

/** The initialised chunkscope module (www/pkg/chunkscope.js + its .wasm). */
export function loadModule() {
  if (!modulePromise) {
    modulePromise = (async () => {
      let m;
      try {
        m = await import('../pkg/chunkscope.js');
      } catch (e) {
        throw Object.assign(
          new Error(
            `The chunkscope module could not be loaded from pkg/chunkscope.js (${e.message}). ` +
              'Build it with `bash scripts/build.sh` and serve the www/ folder as it is.',
          ),
          { kind: 'startup' },
        );
      }
      try {
        await m.default();
      } catch (e) {
        throw Object.assign(
          new Error(
            `The WebAssembly module could not start (${e.message}). The page must be served with ` +
              ".wasm as application/wasm, and a Content-Security-Policy must allow 'wasm-unsafe-eval'.",
          ),
          { kind: 'startup' },
        );
      }
      loaded = m;
      return m;
    })();
    modulePromise.catch(() => { modulePromise = null; });
  }
  return modulePromise;
}

/** The module if it has started, else null (for synchronous callers such as error views). */
export function loadedModule() {
  return loaded;
}

/**
 * `registry` + `image` ("repo", "repo:tag", "repo@sha256:…") → {registry, repository, reference},
 * registry normalised, by the module's parseReference. Throws an Error whose message says what to
 * fix (empty fields get a prompt with an example instead of the parser's message) and `kind: 'input'`.
 */
export function parseTarget(cs, registry, image) {
  const q = targetQuery(registry, image);
  let t;
  try {
    t = cs.parseReference(q.base, q.image);
  } catch (e) {
    throw q.bad(String((e && e.message) || e)); // the module's own kind is 'input' too
  }
  return q.gw ? { ...t, shown: q.gw.shown } : t;
}

/**
 * The same as parseTarget, with `parseReference(registry, image)` returning a promise: the
 * inspection worker's (inspect-client.js), so that a first Inspect need not wait for the page's
 * own copy of the module.
 */
export async function parseTargetWith(parseReference, registry, image) {
  const q = targetQuery(registry, image);
  let t;
  try {
    t = await parseReference(q.base, q.image);
  } catch (e) {
    // the worker's own failures (it could not start, a cancel) stay what they are
    if (e && e.kind && e.kind !== 'input') throw e;
    throw q.bad(String((e && e.message) || e));
  }
  return q.gw ? { ...t, shown: q.gw.shown } : t;
}

/** What parseReference is given for what the user typed ({base, image, gw, bad}); throws the
 * form's own `kind: 'input'` errors. */
function targetQuery(registry, image) {
  const r = String(registry || '').trim();
  const i = String(image || '').trim();
  const bad = (message) => Object.assign(new Error(message), { kind: 'input' });
  const serve = serveInfo();
  if (!r) {
    throw bad(serve
      ? 'Enter the registry, for example registry.example.com, or http://127.0.0.1:5000 for plain http.'
      : 'Enter the registry URL, for example http://127.0.0.1:5055.');
  }
  if (!i) throw bad('Enter an image, for example pair-b:latest or library/alpine@sha256:…');
  if (!serve) {
    // never assume a scheme: the module is told exactly what the user meant
    const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(r);
    if (!scheme) {
      throw bad(`Registry ${JSON.stringify(r)} has no scheme: type https://${r} or, for plain http, http://${r}.`);
    }
    if (!/^https?$/i.test(scheme[1])) {
      throw bad(`Registry ${JSON.stringify(r)}: the scheme ${scheme[1]}:// is not supported; a registry is read over http:// or https://.`);
    }
  }
  const gw = serve ? viaGateway(r, serve) : null;
  // Docker Hub's official images live under library/ (`alpine` is `library/alpine`)
  const img = gw && gw.dockerHub && !/^[^:@]*\//.test(i) ? `library/${i}` : i;
  return { base: gw ? gw.base : r, image: img, gw, bad };
}

/**
 * `{gateway, insecure}` when the page is served by `chunkscope serve` (which adds
 * `<meta name="chunkscope-serve" content='{"gateway":"/registry/","insecure":false}'>` to the
 * page), else null: registry requests then go through the same-origin gateway.
 */
export function serveInfo() {
  if (typeof document === 'undefined') return null;
  const m = document.querySelector('meta[name="chunkscope-serve"]');
  if (!m) return null;
  try {
    const v = JSON.parse(m.getAttribute('content') || '');
    if (v && typeof v.gateway === 'string' && /^\/[a-z-]+\/$/.test(v.gateway)) {
      return { gateway: v.gateway, insecure: v.insecure === true };
    }
  } catch { /* not served by chunkscope serve */ }
  return null;
}

/**
 * What the user typed as a registry (`registry.example.com`, `127.0.0.1:5000`, `https://…`,
 * `http://…`) → `{base, shown}`: the gateway URL on this origin the module is given
 * (`/registry/https/HOST[:PORT]`), and the registry as shown. A plain name means https; plain http
 * must be asked for with `http://` and needs `chunkscope serve --insecure`. `docker.io` means
 * Docker Hub's API host, registry-1.docker.io (`dockerHub: true`). Throws `kind: 'input'`.
 */
export function viaGateway(registry, serve, origin = globalThis.location && globalThis.location.origin) {
  const bad = (message) => Object.assign(new Error(message), { kind: 'input' });
  let host = String(registry).trim().replace(/\/+$/, '');
  let scheme = 'https';
  const m = /^(https?):\/\/(.*)$/i.exec(host);
  if (m) {
    scheme = m[1].toLowerCase();
    host = m[2];
  }
  if (!/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?$/.test(host)) {
    throw bad(`Registry ${JSON.stringify(registry)}: expected a registry name such as registry.example.com or 127.0.0.1:5000 (no path).`);
  }
  host = host.toLowerCase();
  // Docker Hub's names for itself: its registry API is at registry-1.docker.io
  const dockerHub = ['docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com'].includes(host);
  const apiHost = dockerHub ? 'registry-1.docker.io' : host;
  if (scheme === 'http' && !serve.insecure) {
    throw bad(`Registry ${host} over plain http: restart the local server with \`chunkscope serve --insecure\`, or use https.`);
  }
  return {
    base: `${origin}${serve.gateway}${scheme}/${apiHost}`,
    shown: scheme === 'https' ? host : `http://${host}`,
    dockerHub,
  };
}

/** The text form of an image for the URL and the form: "repo:tag" or "repo@digest". */
export function imageText({ repository, reference }) {
  return reference.includes(':') ? `${repository}@${reference}` : `${repository}:${reference}`;
}
