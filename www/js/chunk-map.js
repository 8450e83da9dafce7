// chunk-map.js — the layer blob from byte 0 to its end as a picture: file chunks, TOC, tar-split
// and footer as coloured regions, laid out in rows like text (chunk-map-layout.js) and painted by
// chunk-map-draw.js. This is the component: toolbar, legend, and input — zoom (Ctrl/⌘ + wheel,
// buttons, + / - / 0), scroll (wheel, drag, keys), hover for the file under the pointer, click to
// select it.
//
// Colours by directory, or, with an image already present, by the pull plan: what a partial pull
// fetches versus what is already present (plan-coverage.js).

import { h, fill, Emitter } from './dom.js';
import * as fmt from './format.js';
import {
  MAX_GROUPS, SEG_TOC, SEG_TARSPLIT, SEG_FOOTER, buildSegments, geometry, maxZoom, byteAtPoint, segmentAt,
} from './chunk-map-layout.js';
import {
  C_GAP, C_TOC, C_TARSPLIT, C_FOOTER, C_ZEROS, C_PRESENT, C_NEEDED, C_OTHER, C_GROUP0, Palette, segmentColours, drawMap,
} from './chunk-map-draw.js';
import { FETCHED } from './plan-coverage.js';

export class ChunkMap extends Emitter {
  constructor() {
    super();
    this.zoom = 1;
    this.scrollRow = 0;
    this.mode = 'dir';
    this.selected = -1;
    this.hover = -1;
    this.segs = null;
    this.coverage = null;
    this.pullWanted = false;

    this.canvas = h('canvas', {
      class: 'map-canvas', tabindex: '0', 'aria-label': 'Chunk map of the layer blob',
      'aria-describedby': 'chunk-map-summary', 'aria-keyshortcuts': 'ArrowRight ArrowLeft Home End + - 0',
    });
    // the map in words (its text alternative), and what keyboard stepping selected (announced)
    this.summary = h('p', { class: 'sr-only map-summary', id: 'chunk-map-summary' });
    this.stepSay = h('p', { class: 'map-step muted small', role: 'status', 'aria-live': 'polite' });
    this.tooltip = h('div', { class: 'map-tooltip', hidden: true, role: 'status' });
    this.legend = h('div', { class: 'legend' });
    this.info = h('span', { class: 'muted map-info' });
    this.modeSel = h('select', { 'aria-label': 'Colour by' },
      h('option', { value: 'dir' }, 'directory'),
      h('option', { value: 'pull' }, 'fetched / already present'));
    this.modeSel.addEventListener('change', () => this.setMode(this.modeSel.value));
    const btn = (label, title, fn) => {
      // the accessible name is the action ("Zoom in"), not the glyph
      const b = h('button', { type: 'button', class: 'btn small', title, 'aria-label': title.replace(/ \(.*\)$/, '') }, label);
      b.addEventListener('click', fn);
      return b;
    };
    this.el = h('div', { class: 'chunk-map' },
      h('div', { class: 'toolbar' },
        h('label', { class: 'inline' }, h('span', { class: 'muted' }, 'Colour by'), this.modeSel),
        h('div', { class: 'segmented' },
          btn('−', 'Zoom out', () => this.zoomBy(1 / 2)),
          btn('Fit', 'Fit the whole blob', () => this.setZoom(1, 0)),
          btn('+', 'Zoom in (or Ctrl/⌘ + wheel)', () => this.zoomBy(2))),
        this.info),
      h('div', { class: 'map-wrap' }, this.canvas, this.tooltip),
      this.summary, this.stepSay,
      this.legend);

    this.canvas.addEventListener('wheel', (e) => this.onWheel(e), { passive: false });
    this.canvas.addEventListener('mousemove', (e) => this.onMove(e));
    this.canvas.addEventListener('mouseleave', () => { this.setHover(-1); this.tooltip.hidden = true; });
    this.canvas.addEventListener('click', (e) => this.onClick(e));
    this.canvas.addEventListener('keydown', (e) => this.onKey(e));
    this.canvas.addEventListener('pointerdown', (e) => this.onDragStart(e));
    if (typeof ResizeObserver !== 'undefined') {
      new ResizeObserver(() => this.schedule()).observe(this.canvas);
    }
    if (typeof matchMedia !== 'undefined') {
      matchMedia('(prefers-color-scheme: dark)').addEventListener?.('change', () => { this.palette = null; this.schedule(); });
    }
  }

  /** Bytes in the blob. */
  get size() {
    return this.segs ? this.segs.size : 1;
  }

  /** Number of segments (chunks and metadata regions). */
  get segCount() {
    return this.segs ? this.segs.count : 0;
  }

  /**
   * Loads a layer: its report (size, TOC, tar-split) and fileList. `pull`: an image is already
   * present, so colour by the plan; `coverage`: the plan's LayerCoverage for this layer (null
   * while planning).
   */
  setLayer(layer, files, { pull = false, coverage = null } = {}) {
    const t0 = performance.now();
    this.layer = layer;
    this.files = files || [];
    // a columnar table's segments come made (by the worker, beside the table)
    this.segs = (this.files.table && this.files.table.segments) || buildSegments(layer, this.files);
    this.selected = -1;
    this.hover = -1;
    this.zoom = 1;
    this.scrollRow = 0;
    this.pullWanted = pull;
    this.coverage = coverage;
    this.modeSel.querySelector('option[value="pull"]').disabled = !pull;
    if (!pull && this.mode === 'pull') this.mode = 'dir';
    if (pull && this.mode === 'dir' && this.autoPull !== false) this.mode = 'pull';
    this.modeSel.value = this.mode;
    this.recolour();
    this.buildMs = performance.now() - t0;
  }

  /** The plan's coverage of this layer arrived or changed (options re-planned). */
  setCoverage(coverage) {
    this.coverage = coverage;
    this.recolour();
  }

  setMode(mode) {
    this.mode = mode;
    this.autoPull = mode === 'pull';
    this.modeSel.value = mode;
    this.recolour();
    this.emit('state');
  }

  get pullColours() {
    return this.mode === 'pull' && this.pullWanted;
  }

  /** Files with data, in TOC order (Int32Array). */
  withData() {
    if (!this._data || this._dataFiles !== this.files) {
      const t = this.files.table; // a columnar table (file-table.js): its columns, no rows
      const n = this.files.length;
      const idx = new Int32Array(n);
      let k = 0;
      if (t) {
        for (let i = 0; i < n; i++) if (t.chunkStarts[i + 1] > t.chunkStarts[i]) idx[k++] = i;
      } else {
        this.files.forEach((f, i) => { if (f.chunks && f.chunks.length) idx[k++] = i; });
      }
      this._data = idx.subarray(0, k);
      this._dataFiles = this.files;
    }
    return this._data;
  }

  /** Files with data, in blob order (by their first chunk's offset): what ←/→ step through. */
  blobOrder() {
    if (!this._order || this._orderFiles !== this.files) {
      const t = this.files.table;
      const first = t ? (i) => t.firstOffset(i) : (i) => this.files[i].chunks[0].offset;
      const idx = Array.from(this.withData());
      idx.sort((a, b) => first(a) - first(b) || a - b);
      this._order = idx;
      this._orderFiles = this.files;
    }
    return this._order;
  }

  /** 1 already present, 2 fetched by a pull, 0 unknown (no plan against a have-image). */
  pullMarkOf(i) {
    if (!this.coverage || !this.pullWanted) return 0;
    if (!this._status || this._statusCov !== this.coverage || this._statusFiles !== this.files) {
      this._status = this.coverage.fileStatus(this.files);
      this._statusCov = this.coverage;
      this._statusFiles = this.files;
    }
    return this._status[i] || 0;
  }

  /** Selects the next (+1) or previous (-1) file in blob order, shows it, and says what it is. */
  step(dir) {
    const order = this.blobOrder();
    if (!order.length) return;
    const at = order.indexOf(this.selected);
    let k = at < 0 ? (dir > 0 ? 0 : order.length - 1) : at + dir;
    k = Math.max(0, Math.min(order.length - 1, k));
    if (dir === Infinity) k = order.length - 1;
    if (dir === -Infinity) k = 0;
    const i = order[k];
    const f = this.files[i];
    this.revealFile(i);
    const comp = f.chunks.reduce((a, c) => a + (c.zeros ? 0 : c.compressedLength || 0), 0);
    const mark = this.pullMarkOf(i);
    this.stepSay.textContent = `File ${fmt.int(k + 1)} of ${fmt.int(order.length)} in blob order: ${f.path}, ` +
      `${fmt.plural(f.chunks.length, 'chunk')}, ${fmt.bytes(comp)} compressed at offset ${fmt.int(f.chunks[0].offset)}` +
      (mark === 2 ? ', fetched by a pull' : mark === 1 ? ', already present' : '');
    this.emit('select', { index: i, path: f.path, file: f });
  }

  /** The map's text alternative: what the blob holds, and how to step through it. */
  describeMap() {
    const l = this.layer;
    if (!l) return;
    const order = this.withData(); // counts only: no need to sort
    let fetched = 0;
    let present = 0;
    if (this.coverage && this.pullWanted) {
      for (const i of order) {
        const m = this.pullMarkOf(i);
        if (m === 2) fetched++;
        else if (m === 1) present++;
      }
    }
    this.summary.textContent = `Layer blob of ${fmt.bytes(l.size)}: ${fmt.plural(order.length, 'file')} with data` +
      `${l.toc ? `, table of contents ${fmt.bytes(l.toc.length)} at offset ${fmt.int(l.toc.offset)}` : ''}` +
      `${l.tarSplit ? `, tar-split ${fmt.bytes(l.tarSplit.length)}` : ''}. ` +
      (fetched + present ? `A pull fetches ${fmt.plural(fetched, 'file')}; ${fmt.plural(present, 'file')} already present. ` : '') +
      'Arrow right and left step through the files in blob order, Home and End go to the first and last, plus and minus zoom.';
  }

  recolour() {
    this.describeMap();
    if (!this.segs) return;
    this.colour = segmentColours(this.segs, this.files, { pull: this.pullColours, coverage: this.coverage });
    this.el.dataset.colours = this.pullColours ? (this.coverage ? 'plan' : 'planning') : 'directory';
    this.renderLegend();
    this.schedule();
  }

  renderLegend() {
    if (!this.layer) return;
    this.legendSwatches = [];
    const chip = (slot, label, title) => {
      const sw = h('span', { class: 'swatch' });
      this.legendSwatches.push([sw, slot]);
      return h('span', { class: 'chip', title: title || label }, sw, label);
    };
    const items = [];
    const cov = this.coverage;
    if (this.pullColours && !cov) {
      items.push(chip(C_OTHER, 'planning the pull…'), chip(C_ZEROS, 'zeros (never fetched)'));
    } else if (this.pullColours) {
      const fromPlan = 'From the pull plan: a byte is fetched when a request of the partial pull covers it, gaps ' +
        'between missing chunks that the puller bridges included (podman downloads them too).';
      if (cov.kind === 'reused') {
        items.push(chip(C_PRESENT, `already present: the layer is reused${cov.reason ? ` (same ${cov.reason})` : ''}, nothing is fetched`));
      } else if (cov.kind === 'fallback') {
        items.push(chip(C_NEEDED, `fetched: the whole blob (full pull: ${cov.reason})`));
      } else {
        items.push(
          chip(C_NEEDED, `fetched by a pull (${fmt.bytes(cov.fetchBytes)} of data, bridged gaps included)`, fromPlan),
          chip(C_PRESENT, 'already present (in no request)', fromPlan));
      }
      items.push(chip(C_ZEROS, 'zeros (never fetched)'));
    } else {
      this.segs.groups.slice(0, MAX_GROUPS).forEach(([k, b], i) => items.push(chip(C_GROUP0 + i, k, `${k}: ${fmt.bytes(b)} compressed`)));
      if (this.segs.groups.length > MAX_GROUPS) {
        items.push(h('span', { class: 'chip muted' }, `+ ${fmt.int(this.segs.groups.length - MAX_GROUPS)} more directories (colours repeat)`));
      }
      items.push(chip(C_ZEROS, 'zeros chunks'));
    }
    if (this.layer.toc) items.push(chip(C_TOC, `TOC ${fmt.bytes(this.layer.toc.length)}`));
    if (this.layer.tarSplit) items.push(chip(C_TARSPLIT, `tar-split ${fmt.bytes(this.layer.tarSplit.length)}`));
    items.push(chip(C_FOOTER, 'footer'), chip(C_GAP, 'no file data'));
    fill(this.legend, items);
    this.paintSwatches();
  }

  paintSwatches() {
    if (!this.palette) this.palette = new Palette(this.el);
    for (const [sw, slot] of this.legendSwatches || []) sw.style.backgroundColor = this.palette.css(slot);
  }

  // ---------------------------------------------------------------- view

  geometry() {
    return geometry({
      cssWidth: this.canvas.clientWidth, dpr: window.devicePixelRatio || 1, zoom: this.zoom, size: this.size,
    });
  }

  maxZoom() {
    return maxZoom(this.geometry(), this.size);
  }

  setZoom(z, centreByte = null) {
    const g0 = this.geometry();
    const centre = centreByte ?? (this.scrollRow + g0.rowsView / 2) * g0.cols * g0.bpc;
    this.zoom = Math.min(this.maxZoom(), Math.max(1, z));
    const g = this.geometry();
    this.scrollRow = centre / (g.cols * g.bpc) - g.rowsView / 2;
    this.clampScroll();
    this.schedule();
    this.emit('state');
  }

  zoomBy(f, centreByte = null) {
    this.setZoom(this.zoom * f, centreByte);
  }

  clampScroll() {
    const g = this.geometry();
    this.scrollRow = Math.max(0, Math.min(g.totalRows - g.rowsView, this.scrollRow));
  }

  /** Zooms so that [start, end) fills about a third of the view, and centres it. */
  reveal(start, end) {
    if (!this.layer) return;
    // The view shows size / zoom bytes: pick the zoom at which the range fills a third of it.
    const z = this.size / (3 * Math.max(1, end - start));
    this.setZoom(Math.max(1, Math.min(z, this.maxZoom())), (start + end) / 2);
  }

  byteAt(clientX, clientY) {
    const r = this.canvas.getBoundingClientRect();
    const g = this.geometry();
    return byteAtPoint(g, (clientX - r.left) * g.dpr, (clientY - r.top) * g.dpr, this.scrollRow, this.size);
  }

  schedule() {
    if (this._raf) return;
    this._raf = requestAnimationFrame(() => {
      this._raf = 0;
      this.draw();
    });
  }

  draw() {
    if (!this.layer || !this.canvas.isConnected || !this.canvas.clientWidth) return;
    const t0 = performance.now();
    if (!this.palette) { this.palette = new Palette(this.el); this.paintSwatches(); }
    const g = this.geometry();
    const W = Math.round(g.cssW * g.dpr);
    const H = g.rowsView * g.cell;
    if (this.canvas.width !== W || this.canvas.height !== H) {
      this.canvas.width = W;
      this.canvas.height = H;
      this.canvas.style.height = `${H / g.dpr}px`;
    }
    this.clampScroll();
    const { viewStart, viewEnd } = drawMap(this.canvas, g, this.palette, {
      segs: this.segs, colour: this.colour, files: this.files, scrollRow: this.scrollRow,
      selected: this.selected, hover: this.hover,
    });
    this.info.textContent =
      `1 cell = ${fmt.bytes(Math.max(1, Math.round(g.bpc)))} · bytes ${fmt.bytes(Math.round(viewStart))}–${fmt.bytes(Math.round(viewEnd))} of ${fmt.bytes(this.size)} · ` +
      `${fmt.int(this.segCount)} regions · zoom ${this.zoom < 10 ? this.zoom.toFixed(1) : Math.round(this.zoom)}×`;
    this.lastDrawMs = performance.now() - t0;
    this.el.dataset.drawMs = this.lastDrawMs.toFixed(1);
  }

  // ---------------------------------------------------------------- input

  describe(seg) {
    const { starts, ends, fileIdx, chunkIdx } = this.segs;
    const f = fileIdx[seg];
    const len = ends[seg] - starts[seg];
    const range = `bytes ${fmt.int(starts[seg])}–${fmt.int(ends[seg] - 1)} (${fmt.bytes(len)})`;
    if (f === SEG_TOC) return ['TOC (table of contents, zstd skippable frame)', range];
    if (f === SEG_TARSPLIT) return ['tar-split (tar headers to rebuild the layer)', range];
    if (f === SEG_FOOTER) return ['footer', range];
    const file = this.files[f];
    const c = file.chunks[chunkIdx[seg]];
    const lines = [file.path, `chunk ${chunkIdx[seg] + 1} of ${file.chunks.length} · ${range}`];
    lines.push(`${fmt.bytes(c.uncompressedLength)} uncompressed${c.zeros ? ' · zeros chunk (never fetched)' : ''}`);
    if (this.pullWanted && this.coverage && !c.zeros) {
      lines.push(this.coverage.chunkState(c) === FETCHED ? 'fetched by a pull' : 'already present: a pull does not fetch it');
    }
    return lines;
  }

  onMove(e) {
    if (!this.layer) return;
    if (this._drag) return;
    const byte = this.byteAt(e.clientX, e.clientY);
    const g = this.geometry();
    const seg = byte < 0 ? -1 : segmentAt(this.segs, byte, g.bpc / 2);
    if (seg < 0) {
      this.tooltip.hidden = true;
      this.setHover(-1);
      return;
    }
    const lines = this.describe(seg);
    this.tooltip.replaceChildren(...lines.map((l, i) => h('div', { class: i === 0 ? 'tt-title' : 'tt-line' }, l)));
    this.tooltip.hidden = false;
    const wrap = this.canvas.getBoundingClientRect();
    const x = e.clientX - wrap.left;
    const y = e.clientY - wrap.top;
    const tw = this.tooltip.offsetWidth;
    this.tooltip.style.left = `${Math.min(x + 14, wrap.width - tw - 4)}px`;
    this.tooltip.style.top = `${y + 18}px`;
    const f = this.segs.fileIdx[seg];
    this.setHover(f >= 0 ? f : -1);
    this.canvas.style.cursor = f >= 0 ? 'pointer' : 'default';
  }

  setHover(f) {
    if (f === this.hover) return;
    this.hover = f;
    this.schedule();
  }

  onClick(e) {
    if (this._dragged) { this._dragged = false; return; }
    const byte = this.byteAt(e.clientX, e.clientY);
    if (byte < 0) return;
    const g = this.geometry();
    const seg = segmentAt(this.segs, byte, g.bpc / 2);
    if (seg < 0 || this.segs.fileIdx[seg] < 0) return;
    const f = this.segs.fileIdx[seg];
    this.select(f);
    this.emit('select', { index: f, path: this.files[f].path, file: this.files[f] });
  }

  select(fileIndex) {
    this.selected = fileIndex;
    this.schedule();
  }

  /** Selects a file and brings its chunks into view. */
  revealFile(fileIndex) {
    this.select(fileIndex);
    const c = this.files[fileIndex]?.chunks;
    if (!c || !c.length) return;
    const last = c[c.length - 1];
    this.reveal(c[0].offset, last.offset + last.compressedLength);
  }

  onWheel(e) {
    if (!this.layer) return;
    if (e.ctrlKey || e.metaKey) {
      e.preventDefault();
      const byte = this.byteAt(e.clientX, e.clientY);
      this.zoomBy(e.deltaY < 0 ? 1.25 : 0.8, byte >= 0 ? byte : null);
      return;
    }
    const g = this.geometry();
    if (g.totalRows <= g.rowsView) return; // nothing to scroll: let the page scroll
    const before = this.scrollRow;
    this.scrollRow += (e.deltaY / (g.cell / g.dpr)) * 0.5;
    this.clampScroll();
    if (this.scrollRow !== before) {
      e.preventDefault();
      this.schedule();
    }
  }

  onKey(e) {
    const g = this.geometry();
    const page = g.rowsView * 0.8;
    if (e.key === 'ArrowRight' || e.key === 'ArrowLeft' || e.key === 'Home' || e.key === 'End') {
      e.preventDefault();
      this.step({ ArrowRight: 1, ArrowLeft: -1, Home: -Infinity, End: Infinity }[e.key]);
      return;
    }
    if (e.key === '+' || e.key === '=') this.zoomBy(2);
    else if (e.key === '-') this.zoomBy(0.5);
    else if (e.key === '0') this.setZoom(1, 0);
    else if (e.key === 'PageDown' || e.key === 'ArrowDown') this.scrollRow += e.key === 'PageDown' ? page : 4;
    else if (e.key === 'PageUp' || e.key === 'ArrowUp') this.scrollRow -= e.key === 'PageUp' ? page : 4;
    else return;
    e.preventDefault();
    this.clampScroll();
    this.schedule();
  }

  onDragStart(e) {
    if (e.button !== 0) return;
    const g = this.geometry();
    if (g.totalRows <= g.rowsView) return;
    const y0 = e.clientY;
    const r0 = this.scrollRow;
    this._drag = true;
    this._dragged = false;
    const move = (ev) => {
      const dy = ((ev.clientY - y0) * g.dpr) / g.cell;
      if (Math.abs(ev.clientY - y0) > 3) this._dragged = true;
      this.scrollRow = r0 - dy;
      this.clampScroll();
      this.schedule();
    };
    const up = () => {
      this._drag = false;
      window.removeEventListener('pointermove', move);
      window.removeEventListener('pointerup', up);
    };
    window.addEventListener('pointermove', move);
    window.addEventListener('pointerup', up);
  }
}
