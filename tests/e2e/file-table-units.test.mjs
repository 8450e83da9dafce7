// file-table-units.test.mjs — the columnar file table's lazy rows and the tree built on it, in node
// (no browser, no registry): a table made the way src/web/file_table.rs makes one gives the same
// rows as the fileList, and the same tree, list, sorts, filters and totals as the objects do, with
// the directory shape computed apart (as the worker does) or not. (tests/browser.rs checks the
// module's own tables against its fileList field by field.)
import test from 'node:test';
import assert from 'node:assert/strict';
import { FileTable, FILE_TYPES } from '../../www/js/file-table.js';
import { TocTree, treeShape } from '../../www/js/toc-tree.js';
import { buildSegments } from '../../www/js/chunk-map-layout.js';
import { LayerCoverage } from '../../www/js/plan-coverage.js';

const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;
const D3 = `sha256:${'3'.repeat(64)}`;
const chunk = (offset, compressedLength, o = {}) => ({
  offset, compressedLength, uncompressedOffset: 0, uncompressedLength: 1, digest: null, zeros: false, ...o,
});
const file = (path, type, o = {}) => ({
  path, type, size: 0, mode: 0o644, uid: 0, gid: 0, modtime: '2024-01-02T03:04:05Z', linkName: null, digest: null,
  xattrs: {}, devMajor: null, devMinor: null, chunks: [], ...o,
});

const FILES = [
  file('/etc', 'dir', { mode: 0o755 }),
  file('/etc/hosts', 'reg', { size: 10, digest: D1, chunks: [chunk(0, 20, { digest: D1 })] }),
  file('/usr/lib/b.so', 'reg', { size: 300, digest: D2, chunks: [chunk(20, 50, { digest: D3, uncompressedLength: 200 }), chunk(70, 0, { zeros: true, uncompressedOffset: 200, uncompressedLength: 100 })] }),
  file('/usr/lib/a.so', 'reg', { size: 100, digest: D3, chunks: [chunk(70, 40, { digest: D3 })] }),
  file('/usr/bin/sh', 'symlink', { linkName: '/bin/dash', modtime: null }),
  file('/dev/null', 'char', { devMajor: 1, devMinor: 3, xattrs: { 'user.x': 'eA==' } }),
  file('/données/日本-☃.txt', 'reg', { size: 5, digest: D1, chunks: [chunk(110, 9, { digest: D1 })] }),
];

/** The columns, made as src/web/file_table.rs makes them. */
function columns(files) {
  const enc = new TextEncoder();
  const names = [];
  const nameEnds = [];
  const nameEnds16 = [];
  let b = 0;
  let u = 0;
  const extras = [];
  const extraEnds = [];
  let e = 0;
  const c = { chunkStarts: [0], chunkOffsets: [], chunkCompressed: [], chunkUncompressedOffsets: [], chunkUncompressedLengths: [], chunkZeros: [] };
  for (const f of files) {
    const bytes = enc.encode(f.path);
    names.push(...bytes);
    nameEnds.push(b += bytes.length);
    nameEnds16.push(u += f.path.length);
    for (const k of f.chunks) {
      c.chunkOffsets.push(k.offset);
      c.chunkCompressed.push(k.compressedLength);
      c.chunkUncompressedOffsets.push(k.uncompressedOffset);
      c.chunkUncompressedLengths.push(k.uncompressedLength);
      c.chunkZeros.push(k.zeros ? 1 : 0);
    }
    c.chunkStarts.push(c.chunkOffsets.length);
    const x = {};
    for (const k of ['modtime', 'linkName', 'digest', 'devMajor', 'devMinor']) if (f[k] != null) x[k] = f[k];
    if (Object.keys(f.xattrs).length) x.xattrs = f.xattrs;
    if (!f.chunks.every((k) => k.digest && k.digest === f.digest)) x.chunkDigests = f.chunks.map((k) => k.digest);
    const json = enc.encode(JSON.stringify(x));
    extras.push(...json);
    extraEnds.push(e += json.length);
  }
  return {
    count: files.length,
    names: Uint8Array.from(names),
    nameEnds: Uint32Array.from(nameEnds),
    nameEnds16: Uint32Array.from(nameEnds16),
    types: Uint8Array.from(files.map((f) => FILE_TYPES.indexOf(f.type))),
    sizes: Float64Array.from(files.map((f) => f.size)),
    modes: Float64Array.from(files.map((f) => f.mode)),
    uids: Float64Array.from(files.map((f) => f.uid)),
    gids: Float64Array.from(files.map((f) => f.gid)),
    chunkStarts: Uint32Array.from(c.chunkStarts),
    chunkOffsets: Float64Array.from(c.chunkOffsets),
    chunkCompressed: Float64Array.from(c.chunkCompressed),
    chunkUncompressedOffsets: Float64Array.from(c.chunkUncompressedOffsets),
    chunkUncompressedLengths: Float64Array.from(c.chunkUncompressedLengths),
    chunkZeros: Uint8Array.from(c.chunkZeros),
    extras: Uint8Array.from(extras),
    extraEnds: Uint32Array.from(extraEnds),
  };
}

test('file table: lazy rows are the fileList (paths decoded alone or all at once)', () => {
  const t = new FileTable(columns(FILES));
  const list = t.asList();
  assert.equal(list.length, FILES.length);
  assert.equal(list.table, t);
  assert.deepEqual(JSON.parse(JSON.stringify([...list])), FILES);
  assert.equal(list[2], list[2], 'one row object per file');
  assert.equal(list[99], undefined);
  assert.equal(list.filter((f) => f.type === 'reg').length, 4);
  assert.equal(t.path(6), '/données/日本-☃.txt');
  t.allPaths();
  assert.deepEqual(FILES.map((_, i) => t.path(i)), FILES.map((f) => f.path));
  assert.equal(list[2].chunks[1].zeros, true);
  assert.equal(list[2].chunks[0].digest, D3, 'a chunk digest that differs from the file digest');
  assert.equal(list[1].chunks[0].digest, D1, 'implied: the file digest');
  assert.deepEqual([t.compressed(2), t.fetchable(2), t.firstOffset(4)], [50, 50, Infinity]);
});

for (const shaped of [false, true]) {
  test(`file table: the tree and list on it are the objects' ones${shaped ? ' (shape computed apart, as in the worker)' : ''}`, () => {
    const raw = columns(FILES);
    if (shaped) {
      const w = new FileTable(raw);
      w.allPaths();
      raw.shape = treeShape(w.length, (i) => w.path(i), (i) => w.types[i] === 1);
    }
    const a = new TocTree(new FileTable(raw).asList());
    const b = new TocTree(FILES);
    const rows = (t) => t.treeRows(null).rows.map((n) => [n.path, n.depth, n.isDir, n.size, n.count, n.fileIndex]);
    const open = (t) => { for (const d of t.dirList) d.expanded = true; };
    open(a);
    open(b);
    assert.deepEqual(rows(a), rows(b));
    assert.equal(a.regularCount, 4);
    for (const sort of ['size', 'chunks', 'offset', 'compressed', 'path']) {
      for (const reverse of [false, true]) {
        a.sort(sort, reverse);
        b.sort(sort, reverse);
        assert.deepEqual(rows(a), rows(b), `${sort} ${reverse}`);
        assert.deepEqual([...a.listRows(null, sort, reverse).rows], [...b.listRows(null, sort, reverse).rows], `${sort} ${reverse}`);
      }
    }
    const hit = a.matches('☃');
    assert.deepEqual([...hit], [...b.matches('☃')]);
    const fa = a.treeRows(hit);
    const fb = b.treeRows(b.matches('☃'));
    assert.equal(fa.matched, 1);
    assert.deepEqual(fa.rows.map((n) => [n.path, n.hits]), fb.rows.map((n) => [n.path, n.hits]));
    assert.equal(a.find('/usr/lib/a.so').fileIndex, 3);
    assert.equal(a.find('/usr').fileIndex, -1, 'implied');
    assert.equal(a.byPath.get('/dev/null'), 5);
  });
}

test('file table: chunk map segments and plan coverage read the columns', () => {
  const layer = { size: 200, toc: { offset: 130, length: 50 } };
  const t = new FileTable(columns(FILES));
  const a = buildSegments(layer, t.asList());
  const b = buildSegments(layer, FILES);
  assert.deepEqual(a, b);
  const cov = new LayerCoverage({ digest: 'x', requestList: [{ kind: 'data', bytes: 20, ranges: [{ offset: 0, length: 20 }] }] });
  assert.deepEqual([...cov.fileStatus(t.asList())], [...cov.fileStatus(FILES)]);
});
