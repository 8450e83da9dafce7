// fronts.test.mjs — self-test of the test registry that scripts/registry.sh starts:
// the fixtures are served with their original digests, CORS headers reach clients
// directly and through every nginx front, and each front treats Range as designed
// (direct: RFC ranges; RANGE1: one range -> 206, more -> 200 whole blob;
// RANGE0: always 200 whole blob; LOG: pass-through, logs the Range header).
//
// Run with the registry env exported (scripts/test.sh does this):
//   set -a; . target/registry/env; set +a; node --test tests/registry/
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const env = process.env;
const skip = env.REGISTRY_URL ? false : 'REGISTRY_URL not set (start scripts/registry.sh and export its env)';
const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');

// pair-b layer 2 (see tests/fixtures/README.md)
const BLOB = 'sha256:b43bea1d34eab10d09d3db596b4af8efb150a634f0d923e64e454cc5ba49fdee';
const BLOB_SIZE = 3598126;
const BLOB_PATH = `/v2/pair-b/blobs/${BLOB}`;
// a per-run offset, so that log lines of this run can't be mistaken for older ones
const K = 1000 + Math.floor(Math.random() * 100000);
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const LAYOUTS = [
  ['tiny-current', 'tiny'], ['tiny-legacy', 'tiny'], ['pair-a', 'pair-a'],
  ['pair-b', 'pair-b'], ['pair-a-legacy', 'pair-a'], ['pair-b-legacy', 'pair-b'],
];
const CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'HEAD, GET, OPTIONS',
  'access-control-allow-headers': 'Accept, Range, Authorization, Cache-Control',
  'access-control-expose-headers':
    'Content-Range, Content-Length, Docker-Content-Digest, WWW-Authenticate, ETag, Accept-Ranges',
};

async function get(url, headers = {}, method = 'GET') {
  const res = await fetch(url, { method, headers });
  const body = method === 'HEAD' ? Buffer.alloc(0) : Buffer.from(await res.arrayBuffer());
  return { status: res.status, headers: res.headers, body };
}

function assertCors(headers, where) {
  for (const [k, v] of Object.entries(CORS)) assert.equal(headers.get(k), v, `${where}: ${k}`);
}

function accessLog(file) {
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

// nginx writes the log line after the response went out, so a client can see the
// whole response a moment before its line is in the log: poll for the last n GETs.
async function lastGets(file, n, wantLastRange) {
  for (let i = 0; ; i++) {
    const gets = accessLog(file).filter((l) => l.method === 'GET');
    if (gets.at(-1)?.range === wantLastRange || i >= 50) return gets.slice(-n);
    await new Promise((r) => setTimeout(r, 40));
  }
}

test('manifests are served with the fixtures\' digests, by tag and as latest', { skip }, async () => {
  for (const [dir, tag] of LAYOUTS) {
    const index = JSON.parse(readFileSync(path.join(FIXTURES, dir, 'index.json'), 'utf8'));
    const want = index.manifests.find(
      (m) => m.annotations?.['org.opencontainers.image.ref.name'] === tag).digest;
    for (const ref of [tag, 'latest', want]) {
      const r = await get(`${env.REGISTRY_URL}/v2/${dir}/manifests/${ref}`, { Accept: OCI_MANIFEST });
      assert.equal(r.status, 200, `${dir}:${ref}`);
      assert.equal(r.headers.get('docker-content-digest'), want, `${dir}:${ref}`);
      assertCors(r.headers, `${dir}:${ref}`);
    }
  }
});

test('registry: one range -> 206 with CORS headers; two ranges -> 206 multipart', { skip }, async () => {
  const one = await get(env.REGISTRY_URL + BLOB_PATH, { Range: 'bytes=0-99' });
  assert.equal(one.status, 206);
  assert.equal(one.body.length, 100);
  assert.equal(one.headers.get('content-range'), `bytes 0-99/${BLOB_SIZE}`);
  assert.equal(one.headers.get('docker-content-digest'), BLOB);
  assertCors(one.headers, 'registry 206');
  const two = await get(env.REGISTRY_URL + BLOB_PATH, { Range: 'bytes=0-99,200-299' });
  assert.equal(two.status, 206);
  assert.match(two.headers.get('content-type'), /^multipart\/byteranges/);
});

test('registry: OPTIONS preflight -> 200 with CORS headers, on every front', { skip }, async () => {
  for (const base of [env.REGISTRY_URL, env.RANGE1_URL, env.RANGE0_URL, env.LOG_URL]) {
    const r = await get(base + BLOB_PATH, {
      Origin: 'http://127.0.0.1:1',
      'Access-Control-Request-Method': 'GET',
      'Access-Control-Request-Headers': 'range',
    }, 'OPTIONS');
    assert.equal(r.status, 200, base);
    assertCors(r.headers, `OPTIONS ${base}`);
  }
});

test('RANGE1 front (max_ranges 1): one range -> 206, two ranges -> 200 whole blob', { skip }, async () => {
  const one = await get(env.RANGE1_URL + BLOB_PATH, { Range: 'bytes=100-163' });
  assert.equal(one.status, 206);
  assert.equal(one.body.length, 64);
  assert.equal(one.headers.get('content-range'), `bytes 100-163/${BLOB_SIZE}`);
  assertCors(one.headers, 'RANGE1 206');
  const direct = await get(env.REGISTRY_URL + BLOB_PATH, { Range: 'bytes=100-163' });
  assert.deepEqual(one.body, direct.body);
  const two = await get(env.RANGE1_URL + BLOB_PATH, { Range: `bytes=0-99,${K}-${K + 99}` });
  assert.equal(two.status, 200);
  assert.equal(two.body.length, BLOB_SIZE);
  assertCors(two.headers, 'RANGE1 200');
  const log = await lastGets(env.RANGE1_ACCESS_LOG, 2, `bytes=0-99,${K}-${K + 99}`);
  assert.deepEqual(log.map((l) => [l.range, l.status, l.body_bytes_sent]),
    [['bytes=100-163', 206, 64], [`bytes=0-99,${K}-${K + 99}`, 200, BLOB_SIZE]]);
});

test('RANGE0 front (max_ranges 0): a range -> 200 whole blob, no Accept-Ranges', { skip }, async () => {
  const r = await get(env.RANGE0_URL + BLOB_PATH, { Range: `bytes=${K}-${K + 99}` });
  assert.equal(r.status, 200);
  assert.equal(r.body.length, BLOB_SIZE);
  assert.equal(r.headers.get('accept-ranges'), null);
  assertCors(r.headers, 'RANGE0');
  const [last] = await lastGets(env.RANGE0_ACCESS_LOG, 1, `bytes=${K}-${K + 99}`);
  assert.deepEqual([last.range, last.status, last.body_bytes_sent], [`bytes=${K}-${K + 99}`, 200, BLOB_SIZE]);
});

test('LOG front: passes Range through unchanged and logs it', { skip }, async () => {
  const range = `bytes=${BLOB_SIZE - 72}-${BLOB_SIZE - 1}`;
  const r = await get(env.LOG_URL + BLOB_PATH, { Range: range });
  assert.equal(r.status, 206);
  assert.equal(r.body.length, 72);
  const two = await get(env.LOG_URL + BLOB_PATH, { Range: `bytes=0-1,${K}-${K + 1}` });
  assert.equal(two.status, 206);
  const log = await lastGets(env.LOG_ACCESS_LOG, 2, `bytes=0-1,${K}-${K + 1}`);
  assert.deepEqual(log.map((l) => [l.range, l.status, l.upstream_status]),
    [[range, 206, '206'], [`bytes=0-1,${K}-${K + 1}`, 206, '206']]);
});
