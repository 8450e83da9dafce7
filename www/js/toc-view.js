// toc-view.js — a layer's files as a foldable tree or a flat list (the model is toc-tree.js):
// toolbar, filter, sort, keyboard, and virtualised rows: only the rows on screen exist, so 120,000
// entries scroll like 100. With a pull plan, rows are marked fetched / already present.
//
// Rows carry data-path (the file's path as text in an attribute) for tests and tools.

import { h, setText, Emitter } from './dom.js';
import * as fmt from './format.js';
import { TocTree, SORTS } from './toc-tree.js';

const ROW_H = 26; // px; matches --cs-row-h in inspector.css
const OVERSCAN = 10;
const MAX_INDENT = 48; // levels of indentation shown; deeper rows stay at this one

const TYPE_LABEL = {
  reg: 'file', dir: 'directory', symlink: 'symlink', hardlink: 'hard link', fifo: 'fifo', char: 'char device', block: 'block device',
};

export class TocView extends Emitter {
  constructor() {
    super();
    this.mode = 'tree';
    this.sort = 'toc';
    this.reverse = false;
    this.query = '';
    this.files = [];
    this.selectedIndex = -1; // file index, or -1
    this.selectedNode = null; // tree node (for implicit directories)
    this.cursor = 0; // keyboard cursor row
    this.pool = [];
    this.rowCount = 0;
    this.rowsTree = []; // nodes (tree mode)
    this.rowsFlat = new Int32Array(0); // file indices (list mode)
    this.status = null; // Uint8Array per file: 0 no mark, 1 already present, 2 fetched by a pull
    this._raf = 0;

    // Toolbar.
    this.treeBtn = h('button', { type: 'button', class: 'seg', 'aria-pressed': 'true' }, 'Tree');
    this.listBtn = h('button', { type: 'button', class: 'seg', 'aria-pressed': 'false' }, 'List');
    this.filter = h('input', {
      type: 'search', class: 'filter', placeholder: 'Filter by path…', spellcheck: 'false',
      autocomplete: 'off', 'aria-label': 'Filter files by path',
    });
    this.sortSel = h('select', { class: 'sort', 'aria-label': 'Sort by' },
      ...Object.entries(SORTS).map(([k, v]) => h('option', { value: k }, v.label)));
    this.countEl = h('span', { class: 'count muted' });
    this.legendEl = h('span', {
      class: 'pull-legend muted', hidden: true,
      title: 'From the pull plan: a file is fetched when a request of the partial pull covers any of its chunks ' +
        '(gaps it bridges included, as podman downloads them; a layer pulled whole is all fetched); already ' +
        'present when none does (a reused layer is all present).',
    }, h('span', { class: 'dot needed' }), 'fetched by a pull ', h('span', { class: 'dot present' }), 'already present');
    // which files by the pull plan: all, the ones a pull fetches, the ones already present
    this.pullSel = h('select', { class: 'pull-filter', 'aria-label': 'Show files by pull' },
      h('option', { value: '' }, 'All files'),
      h('option', { value: 'fetched' }, 'Fetched by a pull'),
      h('option', { value: 'present' }, 'Already present'));
    this.pull = '';
    this.pullSel.addEventListener('change', () => this.setPullFilter(this.pullSel.value));
    this.exportCsv = h('button', { type: 'button', class: 'btn small ghost export', dataset: { format: 'csv' }, 'aria-label': 'Export the files a pull fetches (CSV)' }, 'Export CSV');
    this.exportJson = h('button', { type: 'button', class: 'btn small ghost export', dataset: { format: 'json' }, 'aria-label': 'Export the files a pull fetches (JSON)' }, 'Export JSON');
    this.exportCsv.addEventListener('click', () => this.emit('export', { format: 'csv', files: this.fetchedFiles() }));
    this.exportJson.addEventListener('click', () => this.emit('export', { format: 'json', files: this.fetchedFiles() }));
    this.treeBtn.addEventListener('click', () => this.setMode('tree'));
    this.listBtn.addEventListener('click', () => this.setMode('list'));
    let t = 0;
    this.filter.addEventListener('input', () => {
      clearTimeout(t);
      t = setTimeout(() => this.setQuery(this.filter.value), 90);
    });
    this.sortSel.addEventListener('change', () => this.setSort(this.sortSel.value, { reverse: this.reverse }));
    this.reverseBtn = h('button', { type: 'button', class: 'btn small ghost reverse', 'aria-pressed': 'false', 'aria-label': 'Reverse the sort order' }, '↓');
    this.reverseBtn.addEventListener('click', () => this.setSort(this.sort, { reverse: !this.reverse }));

    // Header and the virtual scroller.
    // a header clicked again reverses its order
    const col = (k, label, cls) => {
      const b = h('button', { type: 'button', class: `col ${cls}`, dataset: { sort: k, label } }, label);
      b.addEventListener('click', () => this.setSort(k, { reverse: this.sort === k ? !this.reverse : false }));
      return b;
    };
    this.header = h('div', { class: 'toc-head', role: 'row' },
      col('path', 'Name', 'name'), col('size', 'Size', 'num'), col('chunks', 'Chunks', 'num'),
      col('offset', 'Offset', 'num'));
    this.spacer = h('div', { class: 'toc-spacer' });
    this.scroller = h('div', { class: 'toc-scroll', tabindex: '0', role: 'tree', 'aria-label': 'Files' }, this.spacer);
    this.scroller.addEventListener('scroll', () => this.schedule(), { passive: true });
    this.scroller.addEventListener('keydown', (e) => this.onKey(e));
    this.scroller.addEventListener('click', (e) => this.onClick(e));
    this.empty = h('div', { class: 'toc-empty muted', hidden: true });

    this.el = h('div', { class: 'toc-view' },
      h('div', { class: 'toolbar' },
        h('div', { class: 'segmented', role: 'group', 'aria-label': 'View' }, this.treeBtn, this.listBtn),
        this.filter, h('label', { class: 'inline' }, h('span', { class: 'muted' }, 'Sort'), this.sortSel), this.reverseBtn,
        h('label', { class: 'inline' }, h('span', { class: 'muted' }, 'Pull'), this.pullSel),
        this.exportCsv, this.exportJson,
        this.legendEl, this.countEl),
      h('div', { class: 'toc-table' }, this.header, this.scroller, this.empty));

    if (typeof ResizeObserver !== 'undefined') new ResizeObserver(() => this.schedule()).observe(this.scroller);
  }

  /** Loads a layer's fileList. `status` (optional): see setStatus. */
  setFiles(files, { status = null } = {}) {
    const t0 = performance.now();
    this.tree = new TocTree(files);
    this.files = this.tree.files;
    this.setStatus(status, { render: false });
    for (const r of this.pool) r.key = null;
    this.selectedIndex = -1;
    this.selectedNode = null;
    this.cursor = 0;
    this.scroller.scrollTop = 0;
    if (this.sort !== 'toc' || this.reverse) this.tree.sort(this.sort, this.reverse);
    this.refresh();
    this.buildMs = performance.now() - t0;
  }

  /**
   * Per-file pull marks from the plan (Uint8Array: 0 none, 1 already present, 2 fetched by a
   * pull), or null for none. Rows are redrawn, the list is not rebuilt.
   */
  setStatus(status, { render = true } = {}) {
    this.status = status;
    this.legendEl.hidden = !status;
    for (const r of this.pool) r.key = null;
    if (render) this.render();
  }

  /** path → file index (made on first use). */
  get byPath() {
    return this.tree ? this.tree.byPath : new Map();
  }

  /** The tree's root node. */
  get root() {
    return this.tree?.root;
  }

  setMode(mode) {
    if (mode === this.mode) return;
    this.mode = mode;
    this.treeBtn.setAttribute('aria-pressed', String(mode === 'tree'));
    this.listBtn.setAttribute('aria-pressed', String(mode === 'list'));
    this.scroller.setAttribute('role', mode === 'tree' ? 'tree' : 'listbox');
    this.refresh();
    this.revealSelection();
    this.emit('state');
  }

  /** Sorts by `sort` (a SORTS key), its natural order or, with `reverse`, the opposite one. */
  setSort(sort, { reverse = false } = {}) {
    if (!SORTS[sort]) return;
    this.sort = sort;
    this.reverse = !!reverse;
    this.sortSel.value = sort;
    this.reverseBtn.setAttribute('aria-pressed', String(this.reverse));
    this.reverseBtn.textContent = this.reverse ? '↑' : '↓';
    for (const b of this.header.querySelectorAll('.col')) {
      const on = b.dataset.sort === sort;
      b.textContent = on ? `${b.dataset.label} ${this.reverse ? '↑' : '↓'}` : b.dataset.label;
      b.setAttribute('aria-label', on
        ? `${b.dataset.label}: sorted${this.reverse ? ', reversed' : ''}; click to reverse`
        : `Sort by ${b.dataset.label.toLowerCase()}`);
    }
    if (this.tree) this.tree.sort(sort, this.reverse);
    this.refresh();
    this.revealSelection();
    this.emit('state');
  }

  setQuery(q) {
    this.query = q.trim();
    // the filter in force (the input is debounced): what a test or host page can wait for
    this.el.dataset.query = this.query;
    if (this.filter.value !== q) this.filter.value = q;
    this.refresh();
    this.scroller.scrollTop = 0;
    this.revealSelection();
    this.emit('state');
  }

  /**
   * Per file 2 when a pull fetches it, 1 when it is already present, 0 otherwise: the plan's marks
   * when comparing with images already present, else (a cold pull) every regular file with data.
   */
  pullStatus() {
    if (this.status) return this.status;
    const st = new Uint8Array(this.files.length);
    const t = this.tree.table;
    if (t) {
      // columnar: no row objects
      for (let i = 0; i < st.length; i++) if (t.types[i] === 0 && t.fetchable(i) > 0) st[i] = 2;
      return st;
    }
    this.files.forEach((f, i) => {
      if (f.type === 'reg' && (f.chunks || []).some((c) => !c.zeros && c.compressedLength > 0)) st[i] = 2;
    });
    return st;
  }

  /** The files a pull fetches: {path, size, chunks, compressedBytes, digest}. */
  fetchedFiles() {
    if (!this.tree) return [];
    const st = this.pullStatus();
    const t = this.tree.table;
    if (t) {
      // columnar: read the columns (a row's digest from its extras), make no rows
      t.allPaths();
      const out = [];
      for (let i = 0; i < st.length; i++) {
        if (st[i] !== 2) continue;
        out.push({ path: t.path(i), size: t.sizes[i], chunks: t.chunkCount(i), compressedBytes: t.fetchable(i), digest: t.extra(i).digest || '' });
      }
      return out;
    }
    return this.files.filter((f, i) => st[i] === 2).map((f) => ({
      path: f.path,
      size: f.size || 0,
      chunks: (f.chunks || []).length,
      compressedBytes: (f.chunks || []).reduce((a, c) => a + (c.zeros ? 0 : c.compressedLength || 0), 0),
      digest: f.digest || '',
    }));
  }

  /** '' (all), 'fetched' or 'present': the file list shows those files only. */
  setPullFilter(v) {
    this.pull = v === 'fetched' || v === 'present' ? v : '';
    this.pullSel.value = this.pull;
    this.refresh();
    this.scroller.scrollTop = 0;
    this.emit('state');
  }

  /** Is any filter on (path text or pull)? */
  get filtering() {
    return !!(this.query || this.pull);
  }

  matches() {
    if (!this.tree) return null;
    const hit = this.tree.matches(this.query);
    if (!this.pull) return hit;
    const want = this.pull === 'fetched' ? 2 : 1;
    const st = this.pullStatus();
    const out = new Uint8Array(this.files.length);
    for (let i = 0; i < out.length; i++) out[i] = st[i] === want && (!hit || hit[i]) ? 1 : 0;
    return out;
  }

  /** Recomputes the visible rows after a change of mode, sort, filter or folding. */
  refresh() {
    if (!this.tree) return;
    const hit = this.matches();
    let matched;
    if (this.mode === 'list') {
      const r = this.tree.listRows(hit, this.sort, this.reverse);
      this.rowsFlat = r.rows;
      this.rowCount = r.rows.length;
      matched = hit ? r.matched : this.files.length;
    } else {
      const r = this.tree.treeRows(hit);
      this.rowsTree = r.rows;
      this.rowCount = r.rows.length;
      matched = r.matched;
    }
    this.matched = matched;
    this.spacer.style.height = `${this.rowCount * ROW_H}px`;
    // short lists get a short box; long ones stop at --cs-list-height (CSS max-height)
    this.scroller.style.height = `${Math.max(4, this.rowCount) * ROW_H + 2}px`;
    this.cursor = Math.min(this.cursor, Math.max(0, this.rowCount - 1));
    const n = this.files.length;
    const regular = this.tree.regularCount;
    setText(this.countEl, this.filtering
      ? `${fmt.int(matched)} of ${fmt.plural(n, 'path')} match`
      : `${fmt.plural(n, 'path')} · ${fmt.plural(regular, 'file')}`);
    this.empty.hidden = this.rowCount > 0;
    setText(this.empty, this.files.length ? 'No entry matches the filter.' : 'This layer has no file list.');
    for (const b of this.header.querySelectorAll('.col')) b.classList.toggle('active', b.dataset.sort === this.sort);
    this.render();
  }

  schedule() {
    if (this._raf) return;
    this._raf = requestAnimationFrame(() => {
      this._raf = 0;
      this.render();
    });
  }

  rowAt(k) {
    if (this.mode === 'list') {
      const i = this.rowsFlat[k];
      return { fileIndex: i, node: null };
    }
    const node = this.rowsTree[k];
    return { fileIndex: node.fileIndex, node };
  }

  makeRow() {
    const el = h('div', { class: 'row' },
      h('span', { class: 'name' },
        h('span', { class: 'twisty', 'aria-hidden': 'true' }),
        h('span', { class: 'icon', 'aria-hidden': 'true' }),
        h('span', { class: 'label' }),
        h('span', { class: 'sr-only pull-mark' }),
        h('span', { class: 'target' })),
      h('span', { class: 'num size' }),
      h('span', { class: 'num chunks' }),
      h('span', { class: 'num offset' }));
    const [name, size, chunks, offset] = el.children;
    const [twisty, icon, label, pullMark, target] = name.children;
    this.spacer.appendChild(el);
    return { el, name, twisty, icon, label, pullMark, target, size, chunks, offset, key: null };
  }

  render() {
    const top = this.scroller.scrollTop;
    const height = this.scroller.clientHeight || 500;
    const first = Math.max(0, Math.floor(top / ROW_H) - OVERSCAN);
    const last = Math.min(this.rowCount, Math.ceil((top + height) / ROW_H) + OVERSCAN);
    const need = last - first;
    while (this.pool.length < need) this.pool.push(this.makeRow());
    const tree = this.mode === 'tree';
    for (let p = 0; p < this.pool.length; p++) {
      const r = this.pool[p];
      const k = first + p;
      if (k >= last) {
        if (!r.el.hidden) {
          // an idle row keeps no identity: no path, no state classes
          r.el.hidden = true;
          r.key = null;
          r.el.className = 'row';
          delete r.el.dataset.path;
          delete r.el.dataset.row;
        }
        continue;
      }
      r.el.hidden = false;
      const { fileIndex, node } = this.rowAt(k);
      const f = fileIndex >= 0 ? this.files[fileIndex] : null;
      const isDir = node ? node.isDir : f.type === 'dir';
      const key = `${this.mode}|${k}|${fileIndex}|${node ? node.path : ''}|${node ? node.expanded : ''}|${this.query}|${this.pull}|${this.status ? 1 : 0}`;
      r.el.style.transform = `translateY(${k * ROW_H}px)`;
      const selected = (fileIndex >= 0 && fileIndex === this.selectedIndex) || (node && node === this.selectedNode);
      r.el.classList.toggle('selected', !!selected);
      r.el.classList.toggle('cursor', k === this.cursor);
      r.el.setAttribute('aria-selected', String(!!selected));
      if (r.key === key) continue;
      r.key = key;
      r.el.dataset.row = String(k);
      const path = node ? node.path : f.path;
      r.el.dataset.path = path;
      const type = f ? f.type : 'dir';
      r.el.dataset.type = type;
      r.el.className = `row t-${type}${r.el.classList.contains('selected') ? ' selected' : ''}${k === this.cursor ? ' cursor' : ''}`;
      const st = this.status && fileIndex >= 0 ? this.status[fileIndex] : 0;
      if (st === 1) r.el.classList.add('present');
      else if (st === 2) r.el.classList.add('needed');
      // the mark in words too (the row's accessible name), not in colour alone
      setText(r.pullMark, st === 1 ? ' (already present)' : st === 2 ? ' (fetched by a pull)' : '');
      if (tree) {
        r.el.setAttribute('role', 'treeitem');
        r.el.setAttribute('aria-level', String(node.depth + 1));
        if (isDir) r.el.setAttribute('aria-expanded', String(this.filtering ? true : node.expanded));
        else r.el.removeAttribute('aria-expanded');
        r.name.style.paddingLeft = `${Math.min(node.depth, MAX_INDENT) * 16 + 4}px`;
        setText(r.twisty, isDir ? (this.filtering || node.expanded ? '▾' : '▸') : '');
        setText(r.label, node.name);
      } else {
        r.el.setAttribute('role', 'option');
        r.el.removeAttribute('aria-expanded');
        r.el.removeAttribute('aria-level');
        r.name.style.paddingLeft = '4px';
        setText(r.twisty, '');
        setText(r.label, f.path);
      }
      setText(r.icon, ICON[type] ?? '?');
      r.icon.title = TYPE_LABEL[type] || type;
      if (isDir && node) {
        // under a filter: how many of the folder's files match
        setText(r.target, this.filtering && node.hits != null
          ? `${fmt.int(node.hits)} of ${fmt.plural(node.count, 'file')}`
          : node.count ? fmt.plural(node.count, 'file') : '');
        setText(r.size, node.count ? fmt.bytes(node.size) : '');
        setText(r.chunks, '');
        setText(r.offset, '');
      } else if (f) {
        setText(r.target, f.linkName ? `→ ${f.linkName}` : '');
        setText(r.size, f.type === 'reg' ? fmt.bytes(f.size) : '');
        setText(r.chunks, f.chunks && f.chunks.length ? fmt.int(f.chunks.length) : '');
        setText(r.offset, f.chunks && f.chunks.length ? fmt.int(f.chunks[0].offset) : '');
      }
    }
  }

  onClick(e) {
    const row = e.target.closest('.row');
    if (!row || !this.scroller.contains(row)) return;
    const k = Number(row.dataset.row);
    this.cursor = k;
    this.activate(k, e.target.closest('.twisty') ? 'toggle' : 'click');
  }

  activate(k, how) {
    if (k < 0 || k >= this.rowCount) return;
    const { fileIndex, node } = this.rowAt(k);
    if (this.mode === 'tree' && node.isDir && !this.filtering) {
      if (how === 'toggle' || how === 'click' || how === 'enter') {
        const wasSelected = node === this.selectedNode || (fileIndex >= 0 && fileIndex === this.selectedIndex);
        if (how === 'toggle' || wasSelected || how === 'enter') {
          node.expanded = !node.expanded;
          this.refresh();
        }
      }
    }
    this.selectedIndex = fileIndex;
    this.selectedNode = node;
    this.render();
    this.emit('select', { index: fileIndex, path: node ? node.path : this.files[fileIndex].path, file: fileIndex >= 0 ? this.files[fileIndex] : null, node });
  }

  onKey(e) {
    if (!this.rowCount) return;
    let k = this.cursor;
    const page = Math.max(1, Math.floor(this.scroller.clientHeight / ROW_H) - 1);
    switch (e.key) {
      case 'ArrowDown': k++; break;
      case 'ArrowUp': k--; break;
      case 'PageDown': k += page; break;
      case 'PageUp': k -= page; break;
      case 'Home': k = 0; break;
      case 'End': k = this.rowCount - 1; break;
      case 'Enter': case ' ': e.preventDefault(); this.activate(k, 'enter'); return;
      case 'ArrowRight': case 'ArrowLeft': {
        if (this.mode !== 'tree' || this.filtering) return;
        const { node } = this.rowAt(k);
        if (node.isDir && node.expanded !== (e.key === 'ArrowRight')) {
          node.expanded = e.key === 'ArrowRight';
          this.refresh();
        } else if (e.key === 'ArrowLeft' && node.parent && node.parent !== this.root) {
          k = this.rowsTree.indexOf(node.parent);
        }
        e.preventDefault();
        break;
      }
      default: return;
    }
    e.preventDefault();
    k = Math.max(0, Math.min(this.rowCount - 1, k));
    this.cursor = k;
    this.scrollToRow(k);
    this.activate(k, 'key');
  }

  scrollToRow(k) {
    const top = k * ROW_H;
    const s = this.scroller;
    if (top < s.scrollTop) s.scrollTop = top;
    else if (top + ROW_H > s.scrollTop + s.clientHeight) s.scrollTop = top + ROW_H - s.clientHeight;
    this.render();
  }

  /** Selects a file by path (from the chunk map or the URL), opening its folders. */
  select(path, { emit = true } = {}) {
    if (!this.tree) return false;
    const i = this.byPath.get(path);
    const node = this.tree.find(path);
    if (!node) return false;
    if (this.filtering) {
      const hit = this.matches();
      if (i === undefined || !hit[i]) {
        this.pull = '';
        this.pullSel.value = '';
        this.setQuery('');
      }
    }
    for (let p = node.parent; p; p = p.parent) p.expanded = true;
    this.selectedIndex = i !== undefined ? i : -1;
    this.selectedNode = node;
    this.refresh();
    this.revealSelection();
    if (emit) this.emit('select', { index: this.selectedIndex, path, file: i !== undefined ? this.files[i] : null, node });
    return true;
  }

  revealSelection() {
    let k = -1;
    if (this.mode === 'list' && this.selectedIndex >= 0) k = this.rowsFlat.indexOf(this.selectedIndex);
    else if (this.mode === 'tree' && this.selectedNode) k = this.rowsTree.indexOf(this.selectedNode);
    if (k < 0) return;
    this.cursor = k;
    const s = this.scroller;
    const top = k * ROW_H;
    if (top < s.scrollTop || top + ROW_H > s.scrollTop + s.clientHeight) {
      s.scrollTop = Math.max(0, top - s.clientHeight / 3);
    }
    this.render();
  }
}

const ICON = { reg: '', dir: '', symlink: '↪', hardlink: '⇉', fifo: '|', char: 'c', block: 'b' };
