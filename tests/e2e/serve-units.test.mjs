// serve-units.test.mjs — how the page maps what the user types to `chunkscope serve`'s gateway
// (www/js/api.js viaGateway), in node alone: no browser, no registry.
import test from 'node:test';
import assert from 'node:assert/strict';
import { viaGateway } from '../../www/js/api.js';

const O = 'http://127.0.0.1:8080';
const strict = { gateway: '/registry/', insecure: false };
const insecure = { gateway: '/registry/', insecure: true };

test('a plain registry name is https through the gateway; the registry is shown as typed', () => {
  assert.deepEqual(viaGateway('registry.example.com', strict, O),
    { base: `${O}/registry/https/registry.example.com`, shown: 'registry.example.com', dockerHub: false });
  assert.deepEqual(viaGateway(' Quay.IO/ ', strict, O),
    { base: `${O}/registry/https/quay.io`, shown: 'quay.io', dockerHub: false });
  assert.equal(viaGateway('127.0.0.1:5000', strict, O).base, `${O}/registry/https/127.0.0.1:5000`);
  assert.equal(viaGateway('https://ghcr.io', strict, O).base, `${O}/registry/https/ghcr.io`);
});

test('plain http needs --insecure', () => {
  assert.throws(() => viaGateway('http://127.0.0.1:5000', strict, O), (e) => e.kind === 'input' && /--insecure/.test(e.message));
  assert.deepEqual(viaGateway('http://127.0.0.1:5000', insecure, O),
    { base: `${O}/registry/http/127.0.0.1:5000`, shown: 'http://127.0.0.1:5000', dockerHub: false });
});

test('Docker Hub by any of its names reaches registry-1.docker.io', () => {
  for (const name of ['docker.io', 'index.docker.io', 'registry-1.docker.io', 'https://docker.io/']) {
    const g = viaGateway(name, strict, O);
    assert.equal(g.base, `${O}/registry/https/registry-1.docker.io`, name);
    assert.equal(g.dockerHub, true);
  }
});

test('anything but a host and port is refused', () => {
  for (const bad of ['registry.example.com/v2', 'user@host', 'host:port', 'ftp://host', '-host', 'host/../x', 'a b', '']) {
    assert.throws(() => viaGateway(bad, insecure, O), (e) => e.kind === 'input', bad);
  }
});
