// toc-tree.js — the model behind the file list: a layer's fileList as a directory tree (with the
// directories that only the paths imply), per-directory totals, sorting, filtering, and the rows a
// tree or flat list shows. No DOM: toc-view.js renders it, and node can test it.
//
// Nothing here recurses: a path with tens of thousands of components (a hostile TOC can have one)
// costs time linear in its length, never the call stack.

export const SORTS = {
  toc: { label: 'TOC order' },
  path: { label: 'Path' },
  size: { label: 'Size' },
  chunks: { label: 'Chunks' },
  offset: { label: 'Blob offset' },
  compressed: { label: 'Compressed' },
};

/**
 * The directory structure of `n` paths, as plain data (a worker computes it next to the file
 * table and transfers it): `dirPath` (every directory, the root '' first, parents before children,
 * the ones only implied by paths included), `dirParent` (-1 for the root), `dirEntry` (the TOC
 * entry of the directory itself, or -1), and `fileDir` (per entry: the directory it is in, or for a
 * directory entry the directory it is). `pathOf(i)`, `isDirEntry(i)`.
 */
export function treeShape(n, pathOf, isDirEntry) {
  const dirPath = [''];
  const parents = [-1];
  const entries = [-1];
  const subdirs = [new Map()];
  const fileDir = new Int32Array(n);
  const dirFor = (p, end) => {
    let d = 0;
    let start = 0;
    while (start < end) {
      let slash = p.indexOf('/', start);
      if (slash < 0 || slash > end) slash = end;
      if (slash > start) {
        const name = p.slice(start, slash);
        let next = subdirs[d].get(name);
        if (next === undefined) {
          next = dirPath.length;
          dirPath.push(p.slice(0, slash));
          parents.push(d);
          entries.push(-1);
          subdirs.push(new Map());
          subdirs[d].set(name, next);
        }
        d = next;
      }
      start = slash + 1;
    }
    return d;
  };
  let lastParentPath = null;
  let lastParent = 0;
  for (let i = 0; i < n; i++) {
    const p = pathOf(i) || '/';
    if (p === '/') { entries[0] = i; fileDir[i] = 0; continue; }
    if (isDirEntry(i)) {
      const d = dirFor(p, p.length);
      entries[d] = i;
      fileDir[i] = d;
      continue;
    }
    const cut = p.lastIndexOf('/');
    // TOC order keeps a directory's files together: reuse the last parent while it matches
    const parentPath = cut <= 0 ? '' : p.slice(0, cut);
    const parent = parentPath === lastParentPath ? lastParent : dirFor(p, Math.max(0, cut));
    lastParentPath = parentPath;
    lastParent = parent;
    fileDir[i] = parent;
  }
  return { dirPath, dirParent: Int32Array.from(parents), dirEntry: Int32Array.from(entries), fileDir };
}

/** A directory: its sub-directories and file indices; `children` are made (and sorted) on demand. */
class DirNode {
  constructor(tree, name, path, parent) {
    this.tree = tree;
    this.name = name;
    this.path = path;
    this.depth = parent ? parent.depth + 1 : -1;
    this.parent = parent;
    this.fileIndex = -1;
    this.isDir = true;
    this.expanded = !parent;
    this.size = 0;
    this.count = 0;
    this.hit = true;
    this.hits = 0;
    this.dirs = [];
    this.files = [];
    this.subdirs = new Map();
    this._kids = null;
    this._ver = -1;
  }

  /** Sub-directories first, then files, in the tree's sort order; file nodes made here. */
  get children() {
    return this.tree.kids(this);
  }
}

export class TocTree {
  /** @param {object[]} files a layer's fileList (or file-table.js's lazy list: its `.table`) */
  constructor(files) {
    this.files = files || [];
    const n = this.files.length;
    const t = this.files.table;
    this.table = t || null;
    this.lower = null;
    this._paths = null;
    this._byPath = null;
    this.regularCount = 0;
    this.isReg = new Uint8Array(n);
    this.isDirEntry = new Uint8Array(n);
    if (t) {
      // a columnar table (file-table.js): its columns, no row objects, no strings yet
      this.sizeArr = t.sizes;
      const { types } = t;
      for (let i = 0; i < n; i++) {
        const ty = types[i];
        this.isReg[i] = ty === 0 ? 1 : 0;
        this.isDirEntry[i] = ty === 1 ? 1 : 0;
        this.regularCount += ty === 0 ? 1 : 0;
      }
      this.pathOf = (i) => t.path(i);
    } else {
      this.sizeArr = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const f = this.files[i];
        this.sizeArr[i] = f.size || 0;
        this.isReg[i] = f.type === 'reg' ? 1 : 0;
        this.isDirEntry[i] = f.type === 'dir' ? 1 : 0;
        this.regularCount += this.isReg[i];
      }
      this.pathOf = (i) => this.files[i].path;
    }
    this._chunkCols = null;
    const shape = (t && t.shape) || treeShape(n, this.pathOf, (i) => this.isDirEntry[i] === 1);
    this.build(shape);
  }

  /** Per file: chunk count, first chunk's blob offset (Infinity: none), compressed bytes (for sorts). */
  chunkCols() {
    if (!this._chunkCols) {
      const n = this.files.length;
      const chunkArr = new Int32Array(n);
      const offArr = new Float64Array(n);
      const compArr = new Float64Array(n);
      const t = this.table;
      for (let i = 0; i < n; i++) {
        let comp = 0;
        if (t) {
          const a = t.chunkStarts[i];
          const b = t.chunkStarts[i + 1];
          chunkArr[i] = b - a;
          offArr[i] = b > a ? t.chunkOffsets[a] : Infinity;
          for (let k = a; k < b; k++) comp += t.chunkCompressed[k];
        } else {
          const c = this.files[i].chunks || [];
          chunkArr[i] = c.length;
          offArr[i] = c.length ? c[0].offset : Infinity;
          for (let k = 0; k < c.length; k++) comp += c[k].compressedLength;
        }
        compArr[i] = comp;
      }
      this._chunkCols = { chunkArr, offArr, compArr };
    }
    return this._chunkCols;
  }

  get chunkArr() { return this.chunkCols().chunkArr; }
  get offArr() { return this.chunkCols().offArr; }
  get compArr() { return this.chunkCols().compArr; }

  /** Every path (made once, when a sort or filter needs them all). */
  get paths() {
    if (!this._paths) {
      if (this.table) this.table.allPaths();
      const out = new Array(this.files.length);
      for (let i = 0; i < out.length; i++) out[i] = this.pathOf(i);
      this._paths = out;
    }
    return this._paths;
  }

  /** path → file index (made on first use). */
  get byPath() {
    if (!this._byPath) {
      const m = new Map();
      const { paths } = this;
      for (let i = 0; i < paths.length; i++) m.set(paths[i], i);
      this._byPath = m;
    }
    return this._byPath;
  }

  build({ dirPath, dirParent, dirEntry, fileDir }) {
    const root = new DirNode(this, '/', '/', null);
    this.root = root;
    this.ver = 0;
    this.sortKey = 'toc';
    this.reverse = false;
    this.dirs = [root];
    this.dirList = []; // every directory but the root, parents before children
    for (let id = 1; id < dirPath.length; id++) {
      const parent = this.dirs[dirParent[id]];
      const path = dirPath[id];
      const name = path.slice(path.lastIndexOf('/') + 1);
      const d = new DirNode(this, name, path, parent);
      parent.subdirs.set(name, d);
      parent.dirs.push(d);
      this.dirs.push(d);
      this.dirList.push(d);
    }
    for (let id = 0; id < dirEntry.length; id++) if (dirEntry[id] >= 0) this.dirs[id].fileIndex = dirEntry[id];
    this.fileDir = fileDir;
    this.nodes = new Array(this.files.length); // file nodes, made on demand
    // Totals per directory (files and payload sizes below it): files into their directory, then
    // each directory into its parent, children before parents.
    const { dirs, sizeArr, isReg, isDirEntry } = this;
    const nd = dirs.length;
    const dirSize = new Float64Array(nd);
    const dirCount = new Int32Array(nd);
    const perDir = new Int32Array(nd + 1);
    const rootEntry = dirEntry[0];
    for (let i = 0; i < fileDir.length; i++) {
      if (isDirEntry[i] || rootEntry === i) continue;
      const d = fileDir[i];
      dirSize[d] += sizeArr[i];
      dirCount[d] += isReg[i];
      perDir[d + 1]++;
    }
    // each directory's files, in TOC order: one Int32Array, a view per directory
    for (let d = 0; d < nd; d++) perDir[d + 1] += perDir[d];
    const byDir = new Int32Array(perDir[nd]);
    const at = perDir.slice(0, nd);
    for (let i = 0; i < fileDir.length; i++) {
      if (isDirEntry[i] || rootEntry === i) continue;
      byDir[at[fileDir[i]]++] = i;
    }
    for (let d = 0; d < nd; d++) {
      dirs[d].files = byDir.subarray(perDir[d], perDir[d + 1]);
      dirs[d].size = dirSize[d];
      dirs[d].count = dirCount[d];
    }
    for (let k = this.dirList.length - 1; k >= 0; k--) {
      const d = this.dirList[k];
      d.parent.size += d.size;
      d.parent.count += d.count;
    }
    // Open the first levels while they stay short.
    const width = (d) => d.dirs.length + d.files.length;
    let frontier = [root];
    let visible = width(root);
    while (frontier.length) {
      const next = [];
      for (const d of frontier) for (const c of d.dirs) next.push(c);
      const add = next.reduce((a, d) => a + width(d), 0);
      if (!next.length || visible + add > 40) break;
      for (const d of next) d.expanded = true;
      visible += add;
      frontier = next;
    }
  }

  /** File `i`'s node (a directory entry's is its directory; the root entry's the root). */
  nodeOf(i) {
    if (this.isDirEntry[i] || this.root.fileIndex === i) return this.dirs[this.fileDir[i]];
    let node = this.nodes[i];
    if (!node) {
      const parent = this.dirs[this.fileDir[i]];
      const p = this.pathOf(i) || '/';
      node = {
        name: p.slice(p.lastIndexOf('/') + 1), path: p, depth: parent.depth + 1, parent, children: null, fileIndex: i,
        isDir: false, expanded: false, size: 0, count: 0, hit: true,
      };
      this.nodes[i] = node;
    }
    return node;
  }

  /** A directory's children in the current sort order (sorted when first asked for after a sort). */
  kids(d) {
    if (d._ver !== this.ver) {
      const out = d.dirs.slice();
      for (const i of d.files) out.push(this.nodeOf(i));
      out.sort(this.nodeComparator());
      d._kids = out;
      d._ver = this.ver;
    }
    return d._kids;
  }

  /** The node of a path: a file's, or a directory's (implied directories included), or null. */
  find(path) {
    const i = this.byPath.get(path);
    if (i !== undefined) return this.nodeOf(i);
    if (path === '/') return this.root;
    let d = this.root;
    for (const name of String(path).split('/')) {
      if (!name) continue;
      d = d.subdirs.get(name);
      if (!d) return null;
    }
    return d;
  }

  /** Comparator of file indices for the flat list. */
  comparator(sort, reverse = false) {
    const c = this.comparator1(sort);
    return reverse ? (a, b) => c(b, a) : c;
  }

  comparator1(sort) {
    const { sizeArr, chunkArr, offArr, compArr } = this;
    const paths = sort === 'path' ? this.paths : null;
    const byPath = (a, b) => (paths[a] < paths[b] ? -1 : paths[a] > paths[b] ? 1 : a - b);
    switch (sort) {
      case 'size': return (a, b) => sizeArr[b] - sizeArr[a] || a - b;
      case 'chunks': return (a, b) => chunkArr[b] - chunkArr[a] || a - b;
      case 'offset': return (a, b) => offArr[a] - offArr[b] || a - b;
      case 'compressed': return (a, b) => compArr[b] - compArr[a] || a - b;
      case 'path': return byPath;
      default: return (a, b) => a - b;
    }
  }

  /**
   * Sorts every directory's children: directories first, then by `sort`, then by name; `reverse`
   * flips the order within directories and files (directories stay first).
   */
  sort(sort, reverse = false) {
    this.sortKey = sort;
    this.reverse = reverse;
    this.ver++; // each directory sorts its children when they are next shown
  }

  /** The order of a directory's children: directories first, then by the sort, then by name. */
  nodeComparator() {
    const sort = this.sortKey;
    const val = (n) => {
      if (sort === 'size') return -n.size;
      if (n.fileIndex < 0) return 0;
      if (sort === 'chunks') return -this.chunkArr[n.fileIndex];
      if (sort === 'offset') return this.offArr[n.fileIndex];
      if (sort === 'compressed') return -this.compArr[n.fileIndex];
      return 0;
    };
    const sign = this.reverse ? -1 : 1;
    return (a, b) => {
      if (a.isDir !== b.isDir) return a.isDir ? -1 : 1;
      if (sort !== 'toc' && sort !== 'path') {
        const d = val(a) - val(b);
        if (d) return sign * d;
      }
      return sign * (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
    };
  }

  /** Per file 1 when its path contains `query` (case-insensitive); null for no query. */
  matches(query) {
    const q = String(query || '').toLowerCase();
    if (!q) return null;
    if (!this.lower) this.lower = this.paths.map((p) => p.toLowerCase());
    const hit = new Uint8Array(this.files.length);
    for (let i = 0; i < hit.length; i++) if (this.lower[i].includes(q)) hit[i] = 1;
    return hit;
  }

  /** Flat list rows: file indices, filtered by `hit` and sorted. */
  listRows(hit, sort, reverse = false) {
    let idx;
    if (hit) {
      let matched = 0;
      for (let i = 0; i < hit.length; i++) matched += hit[i];
      idx = new Int32Array(matched);
      let k = 0;
      for (let i = 0; i < hit.length; i++) if (hit[i]) idx[k++] = i;
    } else {
      idx = new Int32Array(this.files.length);
      for (let i = 0; i < idx.length; i++) idx[i] = i;
    }
    if (sort !== 'toc' || reverse) idx.sort(this.comparator(sort, reverse));
    return { rows: idx, matched: idx.length };
  }

  /**
   * Tree rows: nodes in display order. Without a filter, the children of expanded directories;
   * with one (`hit`), every node that matches or has a match below it, all folders open.
   */
  treeRows(hit) {
    let matched = this.files.length;
    if (hit) {
      matched = 0;
      this.root.hit = false;
      this.root.hits = 0;
      for (const d of this.dirList) { d.hit = false; d.hits = 0; }
      const up = (n) => {
        for (let p = n; p && !p.hit; p = p.parent) p.hit = true;
      };
      for (const d of this.dirs) {
        for (const i of d.files) {
          if (hit[i] !== 1) continue;
          matched++;
          up(d);
          // the matching regular files under each folder (`hits`, beside its `count`)
          if (this.isReg[i]) for (let p = d; p; p = p.parent) p.hits++;
        }
      }
      for (const d of this.dirList) {
        if (d.fileIndex >= 0 && hit[d.fileIndex]) { matched++; up(d); }
      }
    }
    const rows = [];
    // depth-first, in order, with an explicit stack of (directory, next child)
    const dirs = [this.root];
    const next = [0];
    while (dirs.length) {
      const top = dirs.length - 1;
      const d = dirs[top];
      const i = next[top];
      const kids = this.kids(d);
      if (i >= kids.length) { dirs.pop(); next.pop(); continue; }
      next[top] = i + 1;
      const c = kids[i];
      if (hit && (c.isDir ? !c.hit : hit[c.fileIndex] !== 1)) continue;
      rows.push(c);
      if (c.isDir && (hit || c.expanded)) { dirs.push(c); next.push(0); }
    }
    return { rows, matched };
  }
}
