// ui-units.test.mjs — the inspector's DOM-free modules in node, no browser and no registry: the
// file tree model (a path of 50,000 components must not overflow the stack), the pull plan's
// coverage rules, download file names, the URL checks of dom.js and the URL query string.
import test from 'node:test';
import assert from 'node:assert/strict';
import { TocTree } from '../../www/js/toc-tree.js';
import { LayerCoverage, planCoverage, PRESENT, FETCHED, ZEROS, NONE } from '../../www/js/plan-coverage.js';
import { safeFileName, isolate } from '../../www/js/format.js';
import { checkAttribute } from '../../www/js/dom.js';
import { queryString, sortFromParam } from '../../www/js/url-state.js';
import { groupKey, buildSegments } from '../../www/js/chunk-map-layout.js';
import { SORTS } from '../../www/js/toc-tree.js';
import { parseTargetWith } from '../../www/js/api.js';

const file = (path, type = 'reg', size = 1, chunks = []) => ({ path, type, size, chunks });

test('toc tree: implied directories, totals, filter and rows', () => {
  const files = [
    file('/etc', 'dir', 0),
    file('/etc/hosts', 'reg', 10),
    file('/usr/lib/a.so', 'reg', 100),
    file('/usr/lib/b.so', 'reg', 50),
    file('/usr/bin/sh', 'symlink', 0),
  ];
  const t = new TocTree(files);
  assert.deepEqual(t.root.children.map((n) => n.path), ['/etc', '/usr']);
  const usr = t.find('/usr');
  assert.equal(usr.fileIndex, -1, 'implied directory');
  assert.deepEqual([usr.size, usr.count], [150, 2]);
  assert.deepEqual([t.root.size, t.root.count], [160, 3]);
  assert.equal(t.find('/usr/lib').children.length, 2);
  assert.equal(t.find('/nope'), null);
  // sort by size: directories first, largest first
  t.sort('size');
  assert.deepEqual(t.root.children.map((n) => n.name), ['usr', 'etc']);
  assert.deepEqual(t.find('/usr/lib').children.map((n) => n.name), ['a.so', 'b.so']);
  // filter: matches and their folders, all open
  const hit = t.matches('b.SO');
  const { rows, matched } = t.treeRows(hit);
  assert.equal(matched, 1);
  assert.deepEqual(rows.map((n) => n.path), ['/usr', '/usr/lib', '/usr/lib/b.so']);
  // list rows by path
  assert.deepEqual([...t.listRows(null, 'path').rows].map((i) => files[i].path),
    ['/etc', '/etc/hosts', '/usr/bin/sh', '/usr/lib/a.so', '/usr/lib/b.so']);
});

test('toc tree: a path of 50,000 components builds, totals, sorts, filters and lists without recursion', () => {
  const depth = 50000;
  const deep = `/${Array.from({ length: depth }, (_, i) => `d${i % 10}`).join('/')}/leaf`;
  const files = [file('/a', 'reg', 3), file(deep, 'reg', 7), file('/d0/d1', 'dir', 0)];
  const t0 = performance.now();
  const t = new TocTree(files);
  assert.equal(t.root.size, 10);
  assert.equal(t.root.count, 2);
  const leaf = t.find(deep);
  assert.equal(leaf.depth, depth);
  assert.equal(leaf.name, 'leaf');
  let top = leaf;
  while (top.parent !== t.root) top = top.parent;
  assert.deepEqual([top.path, top.size, top.count], ['/d0', 7, 1]);
  assert.equal(t.find('/d0/d1').fileIndex, 2, 'a directory entry on the deep path');
  t.sort('size');
  // open every folder on the way, then list the tree
  for (let p = leaf.parent; p; p = p.parent) p.expanded = true;
  assert.equal(t.treeRows(null).rows.length, depth + 2);
  const { rows, matched } = t.treeRows(t.matches('leaf'));
  assert.equal(matched, 1);
  assert.equal(rows.length, depth + 1);
  const ms = performance.now() - t0;
  assert.ok(ms < 5000, `${ms} ms`);
});

test('plan coverage: data ranges (bridged gaps included), full pulls, reuse, zeros', () => {
  const chunk = (offset, compressedLength, zeros = false) => ({ offset, compressedLength, zeros });
  const files = [
    file('/a', 'reg', 1, [chunk(0, 100)]),
    file('/b', 'reg', 1, [chunk(100, 50), chunk(150, 50)]),
    file('/c', 'reg', 1, [chunk(200, 0, true), chunk(200, 30)]),
    file('/d', 'reg', 1, [chunk(230, 70)]),
    file('/e', 'reg', 0, []),
  ];
  // one data request: [0,100) and a bridged range [160, 240) — b's 2nd chunk, c, d's first bytes
  const partial = new LayerCoverage({
    digest: 'sha256:x', reused: false, fallback: null,
    requestList: [
      { kind: 'metadata', ranges: [{ offset: 300, length: 50 }], bytes: 50 },
      { kind: 'data', ranges: [{ offset: 160, length: 80 }, { offset: 0, length: 100 }], bytes: 180 },
    ],
  });
  assert.equal(partial.kind, 'partial');
  assert.equal(partial.fetchBytes, 180);
  assert.equal(partial.chunkState(files[0].chunks[0]), FETCHED);
  assert.equal(partial.chunkState(files[1].chunks[0]), PRESENT, 'no requested byte in [100,150)');
  assert.equal(partial.chunkState(files[1].chunks[1]), FETCHED, 'partly covered');
  assert.equal(partial.chunkState(files[2].chunks[0]), ZEROS);
  assert.equal(partial.covers(300, 50), false, 'the metadata request is not file data');
  assert.deepEqual([...partial.fileStatus(files)], [FETCHED, FETCHED, FETCHED, FETCHED, NONE]);
  assert.deepEqual(partial.fetchedOf(files[1].chunks), { chunks: 1, bytes: 50 });

  const full = new LayerCoverage({ digest: 'sha256:y', reused: false, fallback: 'no TOC', requestList: [{ kind: 'full', ranges: [], bytes: 400 }] });
  assert.equal(full.kind, 'fallback');
  assert.deepEqual([...full.fileStatus(files)], [FETCHED, FETCHED, FETCHED, FETCHED, NONE]);
  assert.equal(full.chunkState(files[2].chunks[0]), ZEROS, 'zeros are never fetched');

  const reused = new LayerCoverage({ digest: 'sha256:z', reused: true, reusedBy: 'blob digest', requestList: [] });
  assert.deepEqual([reused.kind, reused.reason], ['reused', 'blob digest']);
  assert.deepEqual([...reused.fileStatus(files)], [PRESENT, PRESENT, PRESENT, PRESENT, NONE]);

  const byLayer = planCoverage({ layers: [{ digest: 'sha256:z', reused: true, requestList: [] }] },
    [{ digest: 'sha256:z' }, { digest: 'sha256:other' }]);
  assert.equal(byLayer[0].kind, 'reused');
  assert.equal(byLayer[1], null);
});

test('download names: no controls, bidi overrides, separators or leading dots', () => {
  assert.equal(safeFileName('/usr/bin/sh'), 'sh');
  assert.equal(safeFileName('/x/evil\u202Etxt.exe'), 'eviltxt.exe');
  assert.equal(safeFileName('/x/a\u0000b\u001fc\u007fd\u0085e\u200ef\u2066g\u2069h'), 'abcdefgh');
  assert.equal(safeFileName('/x/..'), 'file');
  assert.equal(safeFileName('/x/.bashrc'), 'bashrc');
  assert.equal(safeFileName('/x/..\\..\\win.ini'), 'win.ini');
  assert.equal(safeFileName('/x/\u202E'), 'file');
  assert.equal(safeFileName(''), 'file');
  assert.equal(safeFileName('/dir/'), 'dir');
  assert.equal(isolate('a\u202Eb'), '\u2068ab\u2069');
});

test('dom attribute checks: URL attributes take blob:, http(s): or #; handlers, style, srcdoc never', () => {
  for (const [k, v] of [['href', 'blob:http://x/1'], ['href', 'https://x/'], ['src', 'http://x/'], ['href', '#top'], ['title', 'javascript:x']]) {
    assert.doesNotThrow(() => checkAttribute(k, v), `${k}=${v}`);
  }
  for (const [k, v] of [
    ['href', 'javascript:alert(1)'], ['HREF', 'javascript:alert(1)'], ['src', 'data:text/html,x'], ['xlink:href', 'javascript:x'],
    ['action', '/submit'], ['formaction', ' javascript:x'], ['href', 'relative.html'], ['onclick', 'x'], ['style', 'color:red'],
    ['srcdoc', '<b>'],
  ]) {
    assert.throws(() => checkAttribute(k, v), `${k}=${v}`);
  }
});

test('URL query strings keep : / @ readable', () => {
  assert.equal(queryString({ registry: 'http://h:5/', image: 'a/b@sha256:1', file: '/x y', empty: '' }),
    'registry=http://h:5/&image=a/b@sha256:1&file=/x%20y');
});

test('colour by directory: two levels, one deeper while one directory holds every byte', () => {
  assert.equal(groupKey('/usr/lib/x'), '/usr/lib');
  assert.equal(groupKey('/usr/lib/python/x'), '/usr/lib');
  assert.equal(groupKey('/etc/x'), '/etc');
  assert.equal(groupKey('/x'), '/');
  assert.equal(groupKey('/opt/app/src/x', 3), '/opt/app/src');
  assert.equal(groupKey('/opt/app/x', 3), '/opt/app');
  const file = (path, offset) => ({ path, type: 'reg', chunks: [{ offset, compressedLength: 100 }] });
  const layer = { size: 10000, toc: null, tarSplit: null };
  // everything under /opt/app (as the pair fixtures): grouped by /opt/app/src, /opt/app/locale
  const deep = buildSegments(layer, [file('/opt/app/src/a.py', 0), file('/opt/app/src/b.py', 100), file('/opt/app/locale/l00/m.txt', 200)]);
  assert.equal(deep.groupDepth, 3);
  assert.deepEqual(deep.groups.map(([k]) => k), ['/opt/app/src', '/opt/app/locale']);
  // already several groups at two levels: unchanged
  const flat = buildSegments(layer, [file('/usr/lib/a', 0), file('/etc/b', 100)]);
  assert.equal(flat.groupDepth, 2);
  // one directory with only files in it: no deeper level to find, stops
  const one = buildSegments(layer, [file('/data/a', 0), file('/data/b', 100)]);
  assert.deepEqual(one.groups.map(([k]) => k), ['/data']);
});

test('chunk map segments: sorted by offset, empty chunks left out, metadata regions, groups by bytes, rows or columns alike', () => {
  const layer = { size: 2000, toc: { offset: 1500, length: 300 }, tarSplit: null };
  const rows = [
    { path: '/usr/lib/b', chunks: [{ offset: 700, compressedLength: 50 }] },
    { path: '/usr/lib/a', chunks: [{ offset: 100, compressedLength: 200 }, { offset: 300, compressedLength: 0 }] },
    { path: '/etc/x', chunks: [{ offset: 400, compressedLength: 300 }] },
    { path: '/etc', type: 'dir', chunks: [] },
  ];
  const s = buildSegments(layer, rows);
  // the TOC region starts 8 bytes early (its frame header); the footer's 200 bytes after it
  assert.equal(s.count, 5);
  assert.deepEqual(Array.from(s.starts), [100, 400, 700, 1492, 1800]);
  assert.deepEqual(Array.from(s.ends), [300, 700, 750, 1800, 2000]);
  assert.deepEqual(Array.from(s.fileIdx), [1, 2, 0, -2, -4]);
  assert.deepEqual(Array.from(s.chunkIdx), [0, 0, 0, 0, 0]);
  // '/etc' 300 bytes, '/usr/lib' 250; the directory entry '/etc' itself has no bytes
  assert.deepEqual(s.groups, [['/etc', 300], ['/usr/lib', 250]]);
  assert.deepEqual(Array.from(s.groupOf), [1, 1, 0, -1]);
  // the same files as a columnar table (file-table.js's columns): the same segments and groups
  const table = {
    length: rows.length,
    chunkStarts: Uint32Array.from([0, 1, 3, 4, 4]),
    chunkOffsets: Float64Array.from([700, 100, 300, 400]),
    chunkCompressed: Float64Array.from([50, 200, 0, 300]),
    path: (i) => rows[i].path,
  };
  const list = Object.assign(rows.map(() => ({})), { table });
  const c = buildSegments(layer, list);
  for (const k of ['count', 'starts', 'ends', 'fileIdx', 'chunkIdx', 'groupOf']) {
    assert.deepEqual(Array.from([c[k]].flat()), Array.from([s[k]].flat()), k);
  }
  assert.deepEqual(c.groups, s.groups);
});

test('a reference parsed by another thread: its input errors are the form\'s, its other failures stay what they are', async () => {
  const ok = await parseTargetWith(async (registry, image) => ({ registry, repository: image, reference: 'latest' }), ' http://127.0.0.1:5000 ', 'app');
  assert.deepEqual(ok, { registry: 'http://127.0.0.1:5000', repository: 'app', reference: 'latest' });
  await assert.rejects(parseTargetWith(async () => { throw Object.assign(new Error('bad reference'), { kind: 'input' }); }, 'http://r', 'A:b:c'),
    (e) => e.kind === 'input' && e.message === 'bad reference');
  await assert.rejects(parseTargetWith(async () => { throw Object.assign(new Error('Cancelled.'), { kind: 'cancelled' }); }, 'http://r', 'app'),
    (e) => e.kind === 'cancelled');
  // the form's own checks come first, without asking the parser
  await assert.rejects(parseTargetWith(async () => assert.fail('not asked'), 'r.example.com', 'app'),
    (e) => e.kind === 'input' && /no scheme/.test(e.message));
});

test('sort parameter: KEY or -KEY, unknown keys ignored', () => {
  assert.deepEqual(sortFromParam('size', SORTS), { sort: 'size', reverse: false });
  assert.deepEqual(sortFromParam('-offset', SORTS), { sort: 'offset', reverse: true });
  assert.equal(sortFromParam('__proto__', SORTS), null);
  assert.equal(sortFromParam('-nope', SORTS), null);
  assert.equal(sortFromParam('', SORTS), null);
});
