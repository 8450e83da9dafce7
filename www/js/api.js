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
  const r = String(registry || '').trim();
  const i = String(image || '').trim();
  const bad = (message) => Object.assign(new Error(message), { kind: 'input' });
  if (!r) throw bad('Enter the registry URL, for example http://127.0.0.1:5055.');
  if (!i) throw bad('Enter an image, for example pair-b:latest or library/alpine@sha256:…');
  try {
    return cs.parseReference(r, i);
  } catch (e) {
    throw bad(String((e && e.message) || e)); // the module's own kind is 'input' too
  }
}

/** The text form of an image for the URL and the form: "repo:tag" or "repo@digest". */
export function imageText({ repository, reference }) {
  return reference.includes(':') ? `${repository}@${reference}` : `${repository}:${reference}`;
}
