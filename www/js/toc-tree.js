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

function dirNode(name, path, parent) {
  return {
    name, path, depth: parent ? parent.depth + 1 : -1, parent, children: [], fileIndex: -1, isDir: true,
    expanded: !parent, size: 0, count: 0, hit: true, subdirs: new Map(),
  };
}

export class TocTree {
  /** @param {object[]} files a layer's fileList */
  constructor(files) {
    this.files = files || [];
    const n = this.files.length;
    this.sizeArr = new Float64Array(n);
    this.chunkArr = new Int32Array(n);
    this.offArr = new Float64Array(n);
    this.compArr = new Float64Array(n);
    this.byPath = new Map();
    this.lower = null;
    this.regularCount = 0;
    // a columnar table (file-table.js): its columns, no row objects
    const t = this.files.table;
    this.table = t || null;
    this.paths = new Array(n);
    this.isReg = new Uint8Array(n);
    this.isDirEntry = new Uint8Array(n);
    if (t) {
      t.allPaths();
      for (let i = 0; i < n; i++) {
        const p = t.path(i);
        this.paths[i] = p;
        this.sizeArr[i] = t.sizes[i];
        this.chunkArr[i] = t.chunkCount(i);
        this.offArr[i] = t.firstOffset(i);
        this.compArr[i] = t.compressed(i);
        this.byPath.set(p, i);
        this.isReg[i] = t.types[i] === 0 ? 1 : 0;
        this.isDirEntry[i] = t.types[i] === 1 ? 1 : 0;
        this.regularCount += this.isReg[i];
      }
    } else {
      for (let i = 0; i < n; i++) {
        const f = this.files[i];
        this.paths[i] = f.path;
        this.sizeArr[i] = f.size || 0;
        const c = f.chunks || [];
        this.chunkArr[i] = c.length;
        this.offArr[i] = c.length ? c[0].offset : Infinity;
        let comp = 0;
        for (let k = 0; k < c.length; k++) comp += c[k].compressedLength;
        this.compArr[i] = comp;
        this.byPath.set(f.path, i);
        this.isReg[i] = f.type === 'reg' ? 1 : 0;
        this.isDirEntry[i] = f.type === 'dir' ? 1 : 0;
        this.regularCount += this.isReg[i];
      }
    }
    this.build();
  }

  /**
   * The directory node for the directory part of `p` up to `end` (exclusive), made with any
   * missing ancestors. Walks the components one by one, each looked up by name in its parent.
   */
  dirFor(p, end) {
    let d = this.root;
    let start = 0;
    while (start < end) {
      let slash = p.indexOf('/', start);
      if (slash < 0 || slash > end) slash = end;
      if (slash > start) {
        const name = p.slice(start, slash);
        let next = d.subdirs.get(name);
        if (!next) {
          next = dirNode(name, p.slice(0, slash), d);
          d.subdirs.set(name, next);
          d.children.push(next);
          this.dirList.push(next);
        }
        d = next;
      }
      start = slash + 1;
    }
    return d;
  }

  build() {
    const root = dirNode('/', '/', null);
    this.root = root;
    this.dirList = []; // every directory but the root, parents before children
    const files = this.files;
    const paths = this.paths;
    this.nodeOf = new Array(files.length);
    let lastParentPath = null;
    let lastParent = null;
    for (let i = 0; i < files.length; i++) {
      const p = paths[i] || '/';
      if (p === '/') { root.fileIndex = i; this.nodeOf[i] = root; continue; }
      if (this.isDirEntry[i]) {
        const d = this.dirFor(p, p.length);
        d.fileIndex = i;
        this.nodeOf[i] = d;
        continue;
      }
      const cut = p.lastIndexOf('/');
      // TOC order keeps a directory's files together: reuse the last parent while it matches
      const parentPath = cut <= 0 ? '' : p.slice(0, cut);
      const parent = parentPath === lastParentPath ? lastParent : this.dirFor(p, Math.max(0, cut));
      lastParentPath = parentPath;
      lastParent = parent;
      const node = {
        name: p.slice(cut + 1), path: p, depth: parent.depth + 1, parent, children: null, fileIndex: i,
        isDir: false, expanded: false, size: 0, count: 0, hit: true,
      };
      parent.children.push(node);
      this.nodeOf[i] = node;
    }
    // Totals per directory (files and payload sizes below it): files into their directory, then
    // each directory into its parent, children before parents.
    for (const d of [root, ...this.dirList]) {
      for (const c of d.children) {
        if (c.isDir) continue;
        d.size += this.sizeArr[c.fileIndex];
        d.count += this.isReg[c.fileIndex];
      }
    }
    for (let k = this.dirList.length - 1; k >= 0; k--) {
      const d = this.dirList[k];
      d.parent.size += d.size;
      d.parent.count += d.count;
    }
    this.sort('toc');
    // Open the first levels while they stay short.
    let frontier = [root];
    let visible = root.children.length;
    while (frontier.length) {
      const next = [];
      for (const d of frontier) for (const c of d.children) if (c.isDir) next.push(c);
      const add = next.reduce((a, d) => a + d.children.length, 0);
      if (!next.length || visible + add > 40) break;
      for (const d of next) d.expanded = true;
      visible += add;
      frontier = next;
    }
  }

  /** The node of a path: a file's, or a directory's (implied directories included), or null. */
  find(path) {
    const i = this.byPath.get(path);
    if (i !== undefined) return this.nodeOf[i];
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
    const { sizeArr, chunkArr, offArr, compArr, paths } = this;
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
    const val = (n) => {
      if (sort === 'size') return -n.size;
      if (n.fileIndex < 0) return 0;
      if (sort === 'chunks') return -this.chunkArr[n.fileIndex];
      if (sort === 'offset') return this.offArr[n.fileIndex];
      if (sort === 'compressed') return -this.compArr[n.fileIndex];
      return 0;
    };
    const sign = reverse ? -1 : 1;
    const cmp = (a, b) => {
      if (a.isDir !== b.isDir) return a.isDir ? -1 : 1;
      if (sort !== 'toc' && sort !== 'path') {
        const d = val(a) - val(b);
        if (d) return sign * d;
      }
      return sign * (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
    };
    this.root.children.sort(cmp);
    for (const d of this.dirList) d.children.sort(cmp);
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
      for (const d of [this.root, ...this.dirList]) {
        for (const c of d.children) {
          if (c.isDir) continue;
          c.hit = hit[c.fileIndex] === 1;
          if (c.hit) {
            matched++;
            up(c.parent);
            // the matching regular files under each folder (`hits`, beside its `count`)
            if (this.isReg[c.fileIndex]) for (let p = c.parent; p; p = p.parent) p.hits++;
          }
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
      if (i >= d.children.length) { dirs.pop(); next.pop(); continue; }
      next[top] = i + 1;
      const c = d.children[i];
      if (hit && !c.hit) continue;
      rows.push(c);
      if (c.isDir && (hit || c.expanded)) { dirs.push(c); next.push(0); }
    }
    return { rows, matched };
  }
}
