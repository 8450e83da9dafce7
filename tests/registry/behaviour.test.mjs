// behaviour.test.mjs — self-test of the behaviour fronts (tests/registry/behaviour_front.py) that
// scripts/registry.sh starts before the test registry, one port per registry behaviour class,
// and of the S3 topology (distribution with the s3 driver and redirects on, over moto_server).
// Each front must answer single and multi-range requests as its class says, add CORS headers to
// the answers it makes itself, pass repeated Accept headers through unfolded, and log each
// request. Fails (never skips) without the registry env: run through scripts/test.sh.
import test from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { readFileSync } from 'node:fs';

const env = process.env;
const BLOB = '/v2/pair-b/blobs/sha256:b43bea1d34eab10d09d3db596b4af8efb150a634f0d923e64e454cc5ba49fdee';
const SIZE = 3598126;

function need(name) {
  assert.ok(env[name], `${name} is not set: run through scripts/test.sh, which starts the fronts`);
  return env[name];
}
const key = (name) => `BEHAVIOUR_${name.toUpperCase().replaceAll('-', '_')}`;

/** GET with raw headers (an array value sends one header line per element). */
function get(url, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

const readLog = (file) => readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));

// The front writes a request's log line after the response went out, so a client can have the
// whole answer a moment before the line is there: poll (up to 2 s) until `ok(lines)`.
async function logUntil(file, ok) {
  for (let i = 0; ; i++) {
    const lines = readLog(file);
    if (ok(lines) || i >= 50) return lines;
    await new Promise((r) => setTimeout(r, 40));
  }
}

const ranges = (n) => 'bytes=' + Array.from({ length: n }, (_, i) => `${2 * i}-${2 * i}`).join(',');
const multipart = (r) => r.status === 206 && /^multipart\/byteranges/.test(r.headers['content-type'] || '');

// front -> [single range status, 2-range check, 17 ranges check, 65 ranges check]
const EXPECT = {
  multipart: [206, multipart, multipart, multipart],
  'whole-body': [206, (r) => r.status === 200 && r.body.length === SIZE, (r) => r.status === 200, (r) => r.status === 200],
  'rejected-400': [206, (r) => r.status === 400, (r) => r.status === 400, (r) => r.status === 400],
  'rejected-416': [206, (r) => r.status === 416 && JSON.parse(r.body).errors.length === 1, (r) => r.status === 416, (r) => r.status === 416],
  'rejected-416-plain': [206, (r) => r.status === 416 && r.body.length === 0, (r) => r.status === 416, (r) => r.status === 416],
  'rejected-501': [206, (r) => r.status === 501 && /Unsupported client range/.test(r.body), (r) => r.status === 501, (r) => r.status === 501],
  'range-cap-416-16': [206, multipart, (r) => r.status === 416, (r) => r.status === 416],
  'range-cap-400-64': [206, multipart, multipart, (r) => r.status === 400],
  'first-range-only': [206, (r) => r.status === 206 && r.headers['content-range'] === `bytes 0-99/${SIZE}` && r.body.length === 100,
    (r) => r.status === 206 && r.body.length === 1, (r) => r.status === 206 && r.body.length === 1],
  'no-range': [200, (r) => r.status === 200, (r) => r.status === 200, (r) => r.status === 200],
};

test('every behaviour front answers ranges as its class', async () => {
  for (const [name, [single, two, seventeen, sixtyFive]] of Object.entries(EXPECT)) {
    const base = need(`${key(name)}_URL`);
    const r1 = await get(base + BLOB, { Range: 'bytes=0-99' });
    assert.equal(r1.status, single, `${name}: single range`);
    if (name === 'no-range') assert.equal(r1.headers['accept-ranges'], undefined);
    const r2 = await get(base + BLOB, { Range: 'bytes=0-99,200-299', Origin: 'http://example.test' });
    assert.ok(two(r2), `${name}: 2 ranges -> ${r2.status} ${r2.headers['content-type']}`);
    assert.equal(r2.headers['access-control-allow-origin'], '*', `${name}: CORS on its own answers too`);
    assert.match(r2.headers['access-control-expose-headers'] || '', /Content-Range/);
    assert.ok(seventeen(await get(base + BLOB, { Range: ranges(17) })), `${name}: 17 ranges`);
    assert.ok(sixtyFive(await get(base + BLOB, { Range: ranges(65) })), `${name}: 65 ranges`);
    // one log line per request, with the range and its count
    const log = await logUntil(need(`${key(name)}_LOG`), (l) => l.at(-1)?.ranges === 65);
    const last = log.at(-1);
    assert.equal(last.ranges, 65, name);
    assert.equal(last.path, BLOB);
    const two_ = log.findLast((l) => l.ranges === 2);
    assert.equal(two_.origin, 'http://example.test');
    assert.equal(two_.status, r2.status);
  }
});

test('first-200 front: the first ranged GET of a blob -> 200, the next ones 206, until reset', async () => {
  const base = need('BEHAVIOUR_FIRST_200_URL');
  assert.equal((await get(base + '/_behaviour/reset')).status, 200);
  const a = await get(base + BLOB, { Range: 'bytes=0-99' });
  assert.equal(a.status, 200);
  assert.equal(a.body.length, SIZE);
  assert.equal((await get(base + BLOB, { Range: 'bytes=0-99' })).status, 206);
  assert.ok(multipart(await get(base + BLOB, { Range: 'bytes=0-99,200-299' })));
  assert.equal((await get(base + '/_behaviour/reset')).status, 200);
  assert.equal((await get(base + BLOB, { Range: 'bytes=0-99' })).status, 200);
});

test('fronts pass repeated Accept headers through unfolded (OCI manifests are served)', async () => {
  const base = need('BEHAVIOUR_WHOLE_BODY_URL');
  const r = await get(base + '/v2/pair-b/manifests/latest', {
    Accept: ['application/vnd.oci.image.manifest.v1+json', 'application/vnd.docker.distribution.manifest.v2+json'],
  });
  assert.equal(r.status, 200);
  assert.equal(r.headers['content-type'], 'application/vnd.oci.image.manifest.v1+json');
  const log = await logUntil(need('BEHAVIOUR_WHOLE_BODY_LOG'), (l) => /manifests/.test(l.at(-1)?.path));
  assert.deepEqual(log.at(-1).accept, [
    'application/vnd.oci.image.manifest.v1+json', 'application/vnd.docker.distribution.manifest.v2+json',
  ]);
});

test('S3 topology: blob GET -> 307 to the S3 server; there one range -> 206, two -> 200 whole object, CORS for any origin', async () => {
  const reg = need('S3_REGISTRY_URL');
  const s3 = need('S3_ENDPOINT_URL');
  const r = await get(reg + BLOB, { Range: 'bytes=0-99' });
  assert.equal(r.status, 307);
  const loc = r.headers.location;
  assert.ok(loc.startsWith(s3 + '/'), loc);
  const one = await get(loc, { Range: 'bytes=0-99' });
  assert.equal(one.status, 206);
  assert.equal(one.body.length, 100);
  const two = await get(loc, { Range: 'bytes=0-99,200-299', Origin: 'null' });
  assert.equal(two.status, 200);
  assert.equal(two.body.length, SIZE);
  assert.ok(two.headers['access-control-allow-origin'], 'the bucket answers CORS');
});
