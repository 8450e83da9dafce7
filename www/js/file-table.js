// file-table.js — a layer's columnar file table (`inspectImage({fileTable: true})`: typed arrays
// plus the names as one UTF-8 buffer) and the lazy rows made from it. Nothing is materialised
// until it is looked at: a row's path is decoded when the row is shown (or all at once, with one
// TextDecoder call, when the tree needs every path), its chunks when they are asked for, and the
// fields a row never shows (digest, modtime, xattrs, chunk digests) from a small JSON text when a
// file is opened.

/** Entry types by code (the table's `types` column); as src/web/file_table.rs TYPE_CODES. */
export const FILE_TYPES = ['reg', 'dir', 'symlink', 'hardlink', 'char', 'block', 'fifo'];

const decoder = new TextDecoder();

/** One chunk of a row: its numbers are read from the table's columns. */
class ChunkRow {
  constructor(t, k, file) {
    this.t = t;
    this.k = k;
    this.file = file;
  }
  get offset() { return this.t.chunkOffsets[this.k]; }
  get compressedLength() { return this.t.chunkCompressed[this.k]; }
  get uncompressedOffset() { return this.t.chunkUncompressedOffsets[this.k]; }
  get uncompressedLength() { return this.t.chunkUncompressedLengths[this.k]; }
  get zeros() { return this.t.chunkZeros[this.k] === 1; }
  get digest() {
    // no chunkDigests: every chunk's digest is the file's
    const e = this.t.extra(this.file);
    return e.chunkDigests ? e.chunkDigests[this.k - this.t.chunkStarts[this.file]] ?? null : e.digest ?? null;
  }
  toJSON() {
    const { offset, compressedLength, uncompressedOffset, uncompressedLength, digest, zeros } = this;
    return { offset, compressedLength, uncompressedOffset, uncompressedLength, digest, zeros };
  }
}

/** One file (a `FileReport` to its readers), backed by the table. */
class FileRow {
  constructor(t, i) {
    this.t = t;
    this.i = i;
    this._chunks = null;
  }
  get path() { return this.t.path(this.i); }
  get type() { return this.t.type(this.i); }
  get size() { return this.t.sizes[this.i]; }
  get mode() { return this.t.modes[this.i]; }
  get uid() { return this.t.uids[this.i]; }
  get gid() { return this.t.gids[this.i]; }
  get modtime() { return this.t.extra(this.i).modtime ?? null; }
  get linkName() { return this.t.extra(this.i).linkName ?? null; }
  get digest() { return this.t.extra(this.i).digest ?? null; }
  get xattrs() { return this.t.extra(this.i).xattrs || {}; }
  get devMajor() { return this.t.extra(this.i).devMajor ?? null; }
  get devMinor() { return this.t.extra(this.i).devMinor ?? null; }
  get chunks() {
    if (!this._chunks) {
      const { chunkStarts } = this.t;
      const out = [];
      for (let k = chunkStarts[this.i]; k < chunkStarts[this.i + 1]; k++) out.push(new ChunkRow(this.t, k, this.i));
      this._chunks = out;
    }
    return this._chunks;
  }
  toJSON() {
    const out = {};
    for (const k of ['path', 'type', 'size', 'mode', 'uid', 'gid', 'modtime', 'linkName', 'digest', 'xattrs', 'devMajor', 'devMinor']) out[k] = this[k];
    out.chunks = this.chunks.map((c) => c.toJSON());
    return out;
  }
}

export class FileTable {
  /** @param {import('../pkg/chunkscope.js').FileTable} t a layer's `fileTable` */
  constructor(t) {
    Object.assign(this, t);
    this.length = t.count;
    this.text = null; // every name, decoded at once by allPaths()
    this.extras1 = new Map();
    this.rows = new Array(this.length);
  }

  /** File `i`'s path: a slice of the decoded names, or its bytes decoded alone. */
  path(i) {
    if (this.text !== null) return this.text.slice(i ? this.nameEnds16[i - 1] : 0, this.nameEnds16[i]);
    return decoder.decode(this.names.subarray(i ? this.nameEnds[i - 1] : 0, this.nameEnds[i]));
  }

  /** Decodes every name with one TextDecoder call; path(i) then slices it. */
  allPaths() {
    if (this.text === null) this.text = decoder.decode(this.names);
  }

  type(i) { return FILE_TYPES[this.types[i]] || 'reg'; }
  chunkCount(i) { return this.chunkStarts[i + 1] - this.chunkStarts[i]; }
  /** Blob offset of the first chunk, or Infinity. */
  firstOffset(i) { return this.chunkCount(i) ? this.chunkOffsets[this.chunkStarts[i]] : Infinity; }
  /** Compressed bytes of the file's chunks (zeros chunks included, as the list's column). */
  compressed(i) {
    let s = 0;
    for (let k = this.chunkStarts[i]; k < this.chunkStarts[i + 1]; k++) s += this.chunkCompressed[k];
    return s;
  }
  /** Compressed bytes a pull fetches for it (zeros chunks are never fetched). */
  fetchable(i) {
    let s = 0;
    for (let k = this.chunkStarts[i]; k < this.chunkStarts[i + 1]; k++) if (!this.chunkZeros[k]) s += this.chunkCompressed[k];
    return s;
  }

  /** The fields a row does not show, parsed when first asked for (a few entries are kept). */
  extra(i) {
    let e = this.extras1.get(i);
    if (!e) {
      e = JSON.parse(decoder.decode(this.extras.subarray(i ? this.extraEnds[i - 1] : 0, this.extraEnds[i])));
      if (this.extras1.size > 256) this.extras1.clear();
      this.extras1.set(i, e);
    }
    return e;
  }

  /** File `i` as a FileReport-shaped object (the same object each time). */
  get(i) {
    return this.rows[i] || (this.rows[i] = new FileRow(this, i));
  }

  /**
   * The table as an array of FileReport-shaped rows for the views that take a fileList:
   * `list[i]` makes row `i` when first read; `list.table` is this table.
   */
  asList() {
    if (this._list) return this._list;
    const table = this;
    const target = [];
    this._list = new Proxy(target, {
      get(t, k, r) {
        if (typeof k === 'string') {
          const c = k.charCodeAt(0);
          if (c >= 48 && c <= 57) {
            const i = Number(k);
            return Number.isInteger(i) && i < table.length ? table.get(i) : undefined;
          }
          if (k === 'length') return table.length;
          if (k === 'table') return table;
        }
        return Reflect.get(t, k, r);
      },
      has(t, k) {
        if (typeof k === 'string' && /^\d+$/.test(k)) return Number(k) < table.length;
        return Reflect.has(t, k);
      },
    });
    return this._list;
  }
}

/** Replaces each layer's `fileTable` of a report by a lazy `fileList` (its `.table` the table). */
export function adoptFileTables(report) {
  for (const l of (report && report.layers) || []) {
    if (l.fileTable) {
      l.fileList = new FileTable(l.fileTable).asList();
      delete l.fileTable;
    }
  }
  return report;
}
