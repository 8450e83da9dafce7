// api.js — loading the wasm module once, and parsing what users type into references.

let modulePromise = null;

/** The initialised chunkscope module (www/pkg/chunkscope.js + its .wasm). */
export function loadModule() {
  if (!modulePromise) {
    modulePromise = (async () => {
      let m;
      try {
        m = await import('../pkg/chunkscope.js');
      } catch (e) {
        throw new Error(
          `The chunkscope module could not be loaded from pkg/chunkscope.js (${e.message}). ` +
            'Build it with `bash scripts/build.sh` and serve the www/ folder as it is.',
        );
      }
      try {
        await m.default();
      } catch (e) {
        throw new Error(
          `The WebAssembly module could not start (${e.message}). The page must be served with ` +
            ".wasm as application/wasm, and a Content-Security-Policy must allow 'wasm-unsafe-eval'.",
        );
      }
      return m;
    })();
    modulePromise.catch(() => { modulePromise = null; });
  }
  return modulePromise;
}

const LOOKS_LIKE_HOST = /^(localhost|[^/]*[.:][^/]*)$/;

/**
 * "repo:tag", "repo@sha256:…", "host:port/repo:tag" → {registry?, repository, reference}.
 * Throws an Error with a plain explanation when it can't be a reference.
 */
export function parseImage(text) {
  let s = String(text || '').trim();
  if (!s) throw new Error('Enter an image, for example pair-b:latest or library/alpine@sha256:…');
  s = s.replace(/^docker:\/\//, '');
  let registry = null;
  const slash = s.indexOf('/');
  if (slash > 0 && LOOKS_LIKE_HOST.test(s.slice(0, slash))) {
    const host = s.slice(0, slash);
    const local = /^(localhost|127\.|\[::1\])/.test(host);
    registry = `${local ? 'http' : 'https'}://${host}`;
    s = s.slice(slash + 1);
  }
  let repository;
  let reference;
  const at = s.indexOf('@');
  if (at >= 0) {
    repository = s.slice(0, at);
    reference = s.slice(at + 1);
    if (!/^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/.test(reference)) {
      throw new Error(`"${reference}" is not a digest (expected sha256:<64 hex digits>).`);
    }
  } else {
    const colon = s.lastIndexOf(':');
    if (colon > s.lastIndexOf('/')) {
      repository = s.slice(0, colon);
      reference = s.slice(colon + 1);
    } else {
      repository = s;
      reference = 'latest';
    }
    if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(reference)) {
      throw new Error(`"${reference}" is not a valid tag (letters, digits, _ . - ; up to 128).`);
    }
  }
  if (!/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/.test(repository)) {
    throw new Error(
      `"${repository}" is not a repository name: lowercase letters, digits and . _ - separated by /.`,
    );
  }
  return { registry, repository, reference };
}

/** Normalises a registry URL: adds http(s):// when missing, drops a trailing slash or /v2/. */
export function normaliseRegistry(text) {
  let s = String(text || '').trim();
  if (!s) throw new Error('Enter the registry URL, for example http://127.0.0.1:5055.');
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(s)) {
    s = (/^(localhost|127\.|\[::1\])/.test(s) ? 'http://' : 'https://') + s;
  }
  let u;
  try {
    u = new URL(s);
  } catch {
    throw new Error(`"${text}" is not a URL. Use the registry's address, for example https://registry.example.com.`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new Error(`The registry URL must start with http:// or https://, not ${u.protocol}//.`);
  }
  let path = u.pathname.replace(/\/+$/, '').replace(/\/v2$/, '');
  return `${u.protocol}//${u.host}${path}`;
}

/** The text form of an image for the URL and the form: "repo:tag" or "repo@digest". */
export function imageText({ repository, reference }) {
  return reference.includes(':') ? `${repository}@${reference}` : `${repository}:${reference}`;
}
