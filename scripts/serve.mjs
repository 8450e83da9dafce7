#!/usr/bin/env node
// serve.mjs — a tiny static file server for www/ (node standard library only).
//
//   node scripts/serve.mjs [--root DIR] [--port N] [--host H] [--next-free] [--query QS]
//
//   --root DIR    folder to serve (default: www/ next to this script's folder)
//   --port N      port (default 8080; 0 = any free port)
//   --host H      address to listen on (default 127.0.0.1; serving beyond loopback is up to you)
//   --next-free   if the port is busy, try the next ones (up to +100)
//   --query QS    printed after the URL, e.g. "registry=http://127.0.0.1:5055&image=pair-b:latest"
//
// Prints one line `serving DIR at http://HOST:PORT/` on stdout once listening (and, with --query,
// `open: http://HOST:PORT/?QS`). GET and HEAD only; paths never leave the root; `.wasm` is served
// as application/wasm so that WebAssembly.instantiateStreaming works. Nothing is cached; every
// answer carries `X-Content-Type-Options: nosniff`.
//
// An HTML page's Content-Security-Policy <meta> is also sent as the HTTP header (the same text,
// read from the page, so the two can't drift apart); `index.html` additionally gets
// `frame-ancestors 'none'` (only a header can carry it): the inspector page can't be framed.
// `embed.html` demonstrates embedding, so it gets no frame-ancestors.
//
// As a module: `import { serve } from './serve.mjs'; const s = await serve({ root, port: 0 });`
// gives { server, url, port, close() }.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const DEFAULT_ROOT = path.join(HERE, '..', 'www');

export const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.ts': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
};

const CSP_META = /<meta\s+http-equiv=["']Content-Security-Policy["']\s+content="([^"]*)"/i;

/** The CSP of an HTML page (its <meta>), as sent in the header; null for none. */
export function pageCsp(file, html) {
  const m = CSP_META.exec(html);
  if (!m) return null;
  const csp = m[1].replace(/&#39;|&apos;/g, "'").replace(/&quot;/g, '"').replace(/&amp;/g, '&').trim().replace(/;\s*$/, '');
  return path.basename(file) === 'index.html' ? `${csp}; frame-ancestors 'none'` : csp;
}

function send(res, status, body, headers = {}) {
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    ...headers,
  });
  res.end(body);
}

function handler(root) {
  const realRoot = fs.realpathSync(root);
  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return send(res, 405, 'method not allowed\n', { Allow: 'GET, HEAD' });
    }
    let rel;
    try {
      rel = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    } catch {
      return send(res, 400, 'bad request\n');
    }
    if (rel.includes('\0')) return send(res, 400, 'bad request\n');
    let file = path.join(realRoot, path.normalize(rel));
    let st;
    try {
      file = fs.realpathSync(file);
      st = fs.statSync(file);
      if (st.isDirectory()) {
        file = path.join(file, 'index.html');
        st = fs.statSync(file);
      }
    } catch {
      return send(res, 404, 'not found\n');
    }
    if (file !== realRoot && !file.startsWith(realRoot + path.sep)) return send(res, 404, 'not found\n');
    if (!st.isFile()) return send(res, 404, 'not found\n');
    const ext = path.extname(file).toLowerCase();
    const headers = {
      'Content-Type': MIME[ext] || 'application/octet-stream',
      'Content-Length': st.size,
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
    };
    if (ext === '.html') {
      let csp = null;
      try {
        csp = pageCsp(file, fs.readFileSync(file, 'utf8'));
      } catch {
        return send(res, 500, 'could not read the page\n');
      }
      if (csp) headers['Content-Security-Policy'] = csp;
    }
    res.writeHead(200, headers);
    if (req.method === 'HEAD') return res.end();
    fs.createReadStream(file).on('error', () => res.destroy()).pipe(res);
  };
}

function listen(server, port, host) {
  return new Promise((resolve, reject) => {
    const onError = (e) => { server.off('listening', onListening); reject(e); };
    const onListening = () => { server.off('error', onError); resolve(server.address().port); };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

/** Starts serving `root`; resolves to { server, url, port, close }. */
export async function serve({ root = DEFAULT_ROOT, port = 0, host = '127.0.0.1', nextFree = false } = {}) {
  if (!fs.existsSync(root)) throw new Error(`serve: no such folder ${root}`);
  const server = http.createServer(handler(root));
  server.keepAliveTimeout = 1000;
  let p = Number(port);
  for (let tries = 0; ; tries++) {
    try {
      p = await listen(server, p, host);
      break;
    } catch (e) {
      if (e.code === 'EADDRINUSE' && nextFree && p !== 0 && tries < 100) { p += 1; continue; }
      throw e;
    }
  }
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${p}/`;
  return {
    server, url, port: p,
    close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(() => r()); }),
  };
}

function parseArgs(argv) {
  const o = { root: DEFAULT_ROOT, port: 8080, host: '127.0.0.1', nextFree: false, query: '' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--root') o.root = path.resolve(val());
    else if (a === '--port') o.port = Number(val());
    else if (a === '--host') o.host = val();
    else if (a === '--next-free') o.nextFree = true;
    else if (a === '--query') o.query = val();
    else if (a === '-h' || a === '--help') {
      console.log('usage: node scripts/serve.mjs [--root DIR] [--port N] [--host H] [--next-free] [--query QS]');
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  if (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535) throw new Error(`bad port ${o.port}`);
  return o;
}

if (import.meta.url === pathToFileURL(process.argv[1] || '').href) {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`serve: ${e.message}`);
    process.exit(2);
  }
  serve(opts).then((s) => {
    console.log(`serving ${opts.root} at ${s.url}`);
    if (opts.query) console.log(`open: ${s.url}?${opts.query}`);
    const stop = () => { s.close().then(() => process.exit(0)); setTimeout(() => process.exit(0), 500).unref(); };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  }, (e) => {
    console.error(`serve: ${e.code === 'EADDRINUSE' ? `port ${opts.port} is in use (try --next-free or --port 0)` : e.message}`);
    process.exit(1);
  });
}
