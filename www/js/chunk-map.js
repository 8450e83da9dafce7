// chunk-map.js — the layer blob from byte 0 to its end as a picture: file chunks, TOC, tar-split
// and footer as coloured regions, laid out in rows like text. Colours by directory, or by "needed /
// already present" when a have-image is set. Zoom (Ctrl/⌘ + wheel, buttons), scroll, hover for the
// file under the pointer, click to select it.
//
// Drawing is one pass over the visible cells with a cursor into the sorted segment arrays, written
// into an ImageData: O(cells + segments on screen), a few milliseconds at 100k+ segments.

import { h, fill, Emitter, hashIndex } from './dom.js';
import * as fmt from './format.js';

const CELL = 3; // css px per cell (square)
const GUTTER = 76; // css px for the offset labels
const VIEW_ROWS = 96; // rows in view at zoom 1
const SEG_TOC = -2;
const SEG_TARSPLIT = -3;
const SEG_FOOTER = -4;
const MAX_GROUPS = 11;

// colour slots in the palette array
const C_GAP = 0;
const C_TOC = 1;
const C_TARSPLIT = 2;
const C_FOOTER = 3;
const C_ZEROS = 4;
const C_PRESENT = 5;
const C_NEEDED = 6;
const C_OTHER = 7;
const C_GROUP0 = 8;

function groupKey(path) {
  const parts = path.split('/');
  // "/usr/lib/x" → "/usr/lib"; "/etc/x" → "/etc"; "/x" → "/"
  if (parts.length <= 2) return '/';
  if (parts.length === 3) return `/${parts[1]}`;
  return `/${parts[1]}/${parts[2]}`;
}

export class ChunkMap extends Emitter {
  constructor() {
    super();
    this.zoom = 1;
    this.scrollRow = 0;
    this.mode = 'dir';
    this.selected = -1;
    this.hover = -1;
    this.segCount = 0;

    this.canvas = h('canvas', { class: 'map-canvas', tabindex: '0', 'aria-label': 'Chunk map of the layer blob' });
    this.tooltip = h('div', { class: 'map-tooltip', hidden: true, role: 'status' });
    this.legend = h('div', { class: 'legend' });
    this.info = h('span', { class: 'muted map-info' });
    this.modeSel = h('select', { 'aria-label': 'Colour by' },
      h('option', { value: 'dir' }, 'directory'),
      h('option', { value: 'pull' }, 'needed / already present'));
    this.modeSel.addEventListener('change', () => this.setMode(this.modeSel.value));
    const btn = (label, title, fn) => {
      const b = h('button', { type: 'button', class: 'btn small', title }, label);
      b.addEventListener('click', fn);
      return b;
    };
    this.el = h('div', { class: 'chunk-map' },
      h('div', { class: 'toolbar' },
        h('label', { class: 'inline' }, h('span', { class: 'muted' }, 'Colour by'), this.modeSel),
        h('div', { class: 'segmented' },
          btn('−', 'Zoom out', () => this.zoomBy(1 / 2)),
          btn('Fit', 'Whole blob', () => this.setZoom(1, 0)),
          btn('+', 'Zoom in (or Ctrl/⌘ + wheel)', () => this.zoomBy(2))),
        this.info),
      h('div', { class: 'map-wrap' }, this.canvas, this.tooltip),
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

  /** Loads a layer: its report (size, TOC, tar-split) and fileList; `presence(digest)` for pull colours. */
  setLayer(layer, files, { presence = null } = {}) {
    const t0 = performance.now();
    this.layer = layer;
    this.files = files || [];
    this.presence = presence;
    this.size = Math.max(1, layer.size || 1);
    const starts = [];
    const ends = [];
    const fileIdx = [];
    const chunkIdx = [];
    for (let i = 0; i < this.files.length; i++) {
      const cs = this.files[i].chunks;
      if (!cs) continue;
      for (let k = 0; k < cs.length; k++) {
        const c = cs[k];
        if (!(c.compressedLength > 0)) continue;
        starts.push(c.offset);
        ends.push(c.offset + c.compressedLength);
        fileIdx.push(i);
        chunkIdx.push(k);
      }
    }
    const region = (s, e, kind) => {
      if (e > s) { starts.push(s); ends.push(e); fileIdx.push(kind); chunkIdx.push(0); }
    };
    let metaEnd = 0;
    if (layer.toc) {
      const s = Math.max(0, layer.toc.offset - 8);
      region(s, layer.toc.offset + layer.toc.length, SEG_TOC);
      metaEnd = Math.max(metaEnd, layer.toc.offset + layer.toc.length);
    }
    if (layer.tarSplit) {
      const s = Math.max(0, layer.tarSplit.offset - 8);
      region(s, layer.tarSplit.offset + layer.tarSplit.length, SEG_TARSPLIT);
      metaEnd = Math.max(metaEnd, layer.tarSplit.offset + layer.tarSplit.length);
    }
    if (metaEnd && this.size - metaEnd > 0 && this.size - metaEnd <= 1024) region(metaEnd, this.size, SEG_FOOTER);
    const n = starts.length;
    let sorted = true;
    for (let i = 1; i < n; i++) if (starts[i] < starts[i - 1]) { sorted = false; break; }
    let order = null;
    if (!sorted) {
      order = Array.from({ length: n }, (_, i) => i).sort((a, b) => starts[a] - starts[b]);
    }
    const pick = (arr, T) => {
      const out = new T(n);
      for (let i = 0; i < n; i++) out[i] = arr[order ? order[i] : i];
      return out;
    };
    this.starts = pick(starts, Float64Array);
    this.ends = pick(ends, Float64Array);
    this.fileIdx = pick(fileIdx, Int32Array);
    this.chunkIdx = pick(chunkIdx, Int32Array);
    this.segCount = n;

    // Directory groups, largest first.
    const groupBytes = new Map();
    this.groupOf = new Int32Array(this.files.length);
    const keys = this.files.map((f) => groupKey(f.path || '/'));
    for (let s = 0; s < n; s++) {
      const f = this.fileIdx[s];
      if (f < 0) continue;
      groupBytes.set(keys[f], (groupBytes.get(keys[f]) || 0) + this.ends[s] - this.starts[s]);
    }
    const groups = [...groupBytes.entries()].sort((a, b) => b[1] - a[1]);
    // colours by rank, repeating after MAX_GROUPS: neighbours rarely share one
    const slot = new Map(groups.map(([k], i) => [k, i % MAX_GROUPS]));
    this.groups = groups;
    for (let i = 0; i < this.files.length; i++) {
      const g = slot.get(keys[i]);
      this.groupOf[i] = g === undefined ? -1 : g;
    }
    this.selected = -1;
    this.hover = -1;
    this.zoom = 1;
    this.scrollRow = 0;
    this.modeSel.querySelector('option[value="pull"]').disabled = !presence;
    if (!presence && this.mode === 'pull') this.mode = 'dir';
    if (presence && this.mode === 'dir' && this.autoPull !== false) this.mode = 'pull';
    this.modeSel.value = this.mode;
    this.computeColours();
    this.buildMs = performance.now() - t0;
    this.renderLegend();
    this.schedule();
  }

  setMode(mode) {
    this.mode = mode;
    this.autoPull = mode === 'pull';
    this.modeSel.value = mode;
    this.computeColours();
    this.renderLegend();
    this.schedule();
    this.emit('state');
  }

  computeColours() {
    const n = this.segCount;
    const col = new Uint8Array(n);
    const pull = this.mode === 'pull' && this.presence;
    for (let s = 0; s < n; s++) {
      const f = this.fileIdx[s];
      if (f === SEG_TOC) col[s] = C_TOC;
      else if (f === SEG_TARSPLIT) col[s] = C_TARSPLIT;
      else if (f === SEG_FOOTER) col[s] = C_FOOTER;
      else {
        const c = this.files[f].chunks[this.chunkIdx[s]];
        if (c.zeros) col[s] = C_ZEROS;
        else if (pull) col[s] = this.presence(c.digest) ? C_PRESENT : C_NEEDED;
        else col[s] = this.groupOf[f] < 0 ? C_OTHER : C_GROUP0 + this.groupOf[f];
      }
    }
    this.colour = col;
  }

  readPalette() {
    const cs = getComputedStyle(this.el);
    const probe = document.createElement('canvas').getContext('2d');
    const rgb = (css, fallback) => {
      probe.fillStyle = '#000';
      probe.fillStyle = (css || '').trim() || fallback;
      const v = probe.fillStyle;
      if (v.startsWith('#')) return [parseInt(v.slice(1, 3), 16), parseInt(v.slice(3, 5), 16), parseInt(v.slice(5, 7), 16)];
      const m = v.match(/\d+(\.\d+)?/g) || [0, 0, 0];
      return [Number(m[0]), Number(m[1]), Number(m[2])];
    };
    const v = (name, fb) => rgb(cs.getPropertyValue(name), fb);
    const dark = matchMedia?.('(prefers-color-scheme: dark)').matches;
    const groups = (cs.getPropertyValue('--_map-palette') || '').split(/,(?![^(]*\))/).map((x) => x.trim()).filter(Boolean);
    const fallbackGroups = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#86bcb6', '#d37295'];
    const pal = [
      v('--_map-gap', dark ? '#1c2129' : '#eef0f3'),
      v('--_map-toc', '#7c3aed'),
      v('--_map-tarsplit', '#2563eb'),
      v('--_map-footer', '#dc2626'),
      v('--_map-zeros', dark ? '#3a4150' : '#d5d9e0'),
      v('--_map-present', '#16a34a'),
      v('--_map-needed', '#f59e0b'),
      v('--_map-other', dark ? '#6b7280' : '#9ca3af'),
    ];
    for (let i = 0; i < MAX_GROUPS; i++) pal.push(rgb(groups[i], fallbackGroups[i % fallbackGroups.length]));
    this.palette = pal;
    this.selectRGB = v('--_map-select', dark ? '#ffffff' : '#111827');
    this.hoverRGB = v('--_map-hover', dark ? '#e5e7eb' : '#374151');
    this.textColour = cs.getPropertyValue('--_muted').trim() || (dark ? '#9aa3b2' : '#5b6474');
    this.little = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
    this.packed = new Uint32Array(pal.length);
    pal.forEach(([r, g, b], i) => { this.packed[i] = this.pack(r, g, b); });
    this.packSelect = this.pack(...this.selectRGB);
    // with a file selected, everything else fades towards the background
    const bg = v('--_surface', dark ? '#151b23' : '#ffffff');
    this.faded = new Uint32Array(pal.length);
    pal.forEach(([r, g, b], i) => {
      const m = (x, y) => Math.round(x * 0.35 + y * 0.65);
      this.faded[i] = this.pack(m(r, bg[0]), m(g, bg[1]), m(b, bg[2]));
    });
  }

  renderLegend() {
    if (!this.layer) return;
    const chip = (slot, label, title) => {
      const sw = h('span', { class: 'swatch' });
      this.legendSwatches.push([sw, slot]);
      return h('span', { class: 'chip', title: title || label }, sw, label);
    };
    this.legendSwatches = [];
    const items = [];
    if (this.mode === 'pull' && this.presence) {
      items.push(chip(C_NEEDED, 'needed (fetched)'), chip(C_PRESENT, 'already present'), chip(C_ZEROS, 'zeros (never fetched)'));
    } else {
      this.groups.slice(0, MAX_GROUPS).forEach(([k, b], i) => items.push(chip(C_GROUP0 + i, k, `${k}: ${fmt.bytes(b)} compressed`)));
      if (this.groups.length > MAX_GROUPS) {
        items.push(h('span', { class: 'chip muted' }, `+ ${fmt.int(this.groups.length - MAX_GROUPS)} more directories (colours repeat)`));
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
    if (!this.palette) this.readPalette();
    for (const [sw, slot] of this.legendSwatches || []) {
      const [r, g, b] = this.palette[slot];
      sw.style.backgroundColor = `rgb(${r}, ${g}, ${b})`;
    }
  }

  // ---------------------------------------------------------------- geometry

  geometry() {
    const dpr = window.devicePixelRatio || 1;
    const cssW = Math.max(200, this.canvas.clientWidth || 800);
    const cell = Math.max(1, Math.round(CELL * dpr));
    const gutter = Math.round(GUTTER * dpr);
    const cols = Math.max(16, Math.floor((cssW * dpr - gutter) / cell));
    const rowsView = VIEW_ROWS;
    const totalRows = Math.max(rowsView, Math.round(rowsView * this.zoom));
    const bpc = this.size / (cols * totalRows);
    return { dpr, cssW, cell, gutter, cols, rowsView, totalRows, bpc };
  }

  maxZoom() {
    const g = this.geometry();
    // Stop around 16 bytes per cell: beyond that there is nothing more to see.
    return Math.max(1, this.size / (g.cols * g.rowsView * 16));
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
    const x = (clientX - r.left) * g.dpr - g.gutter;
    const y = (clientY - r.top) * g.dpr;
    if (x < 0) return -1;
    const col = Math.floor(x / g.cell);
    const row = Math.floor(y / g.cell) + Math.floor(this.scrollRow);
    if (col >= g.cols || row < 0 || row >= g.totalRows) return -1;
    const b = (row * g.cols + col + 0.5) * g.bpc;
    return b < this.size ? b : -1;
  }

  /** The segment under a byte (or the nearest within its cell), or -1. */
  segmentAt(byte, slack = 0) {
    const s = this.starts;
    let lo = 0;
    let hi = this.segCount;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.ends[mid] <= byte - slack) lo = mid + 1;
      else hi = mid;
    }
    if (lo < this.segCount && s[lo] <= byte + slack) return lo;
    return -1;
  }

  // ---------------------------------------------------------------- drawing

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
    if (!this.palette) { this.readPalette(); this.paintSwatches(); }
    const g = this.geometry();
    const W = Math.round(g.cssW * g.dpr);
    const H = g.rowsView * g.cell;
    if (this.canvas.width !== W || this.canvas.height !== H) {
      this.canvas.width = W;
      this.canvas.height = H;
      this.canvas.style.height = `${H / g.dpr}px`;
    }
    this.clampScroll();
    const ctx = this.canvas.getContext('2d');
    const mapW = g.cols * g.cell;
    const img = ctx.createImageData(mapW, H);
    const px = new Uint32Array(img.data.buffer);
    const firstRow = Math.floor(this.scrollRow);
    const pal = this.packed;
    const faded = this.faded;
    const { starts, ends, colour, fileIdx } = this;
    const n = this.segCount;
    const bpc = g.bpc;
    const cellStart = firstRow * g.cols;
    // first segment that ends after the first visible byte
    let j = this.segmentIndexAfter(cellStart * bpc);
    const sel = this.selected;
    const hov = this.hover;
    for (let r = 0; r < g.rowsView; r++) {
      const row = firstRow + r;
      for (let c = 0; c < g.cols; c++) {
        const a = (row * g.cols + c) * bpc;
        let colourIdx = C_GAP;
        let packed;
        if (a >= this.size) {
          packed = 0; // transparent past the end
        } else {
          const b = a + bpc;
          while (j < n && ends[j] <= a) j++;
          let best = -1;
          let bestOv = 0;
          let hasSel = false;
          for (let m = j; m < n && starts[m] < b; m++) {
            const ov = Math.min(ends[m], b) - Math.max(starts[m], a);
            if (ov > bestOv) { bestOv = ov; best = m; }
            if (sel >= 0 && fileIdx[m] === sel) hasSel = true;
          }
          if (best >= 0) colourIdx = colour[best];
          if (sel < 0) packed = pal[colourIdx];
          else if (hasSel) packed = fileIdx[best] === sel ? pal[colourIdx] : this.packSelect;
          else packed = faded[colourIdx];
          if (!hasSel && hov >= 0 && best >= 0 && fileIdx[best] === hov) packed = this.lighten(colourIdx);
        }
        const x0 = c * g.cell;
        const y0 = r * g.cell;
        for (let dy = 0; dy < g.cell; dy++) {
          const base = (y0 + dy) * mapW + x0;
          for (let dx = 0; dx < g.cell; dx++) px[base + dx] = packed;
        }
      }
    }
    ctx.clearRect(0, 0, W, H);
    ctx.putImageData(img, g.gutter, 0);

    // a ring around a small selected file, so that one cell can be found at a glance
    if (this.selected >= 0) this.drawRing(ctx, g, firstRow);

    // offset labels
    ctx.fillStyle = this.textColour;
    ctx.font = `${Math.round(10 * g.dpr)}px ui-monospace, SFMono-Regular, Menlo, monospace`;
    ctx.textAlign = 'right';
    ctx.textBaseline = 'top';
    const every = Math.max(1, Math.ceil((14 * g.dpr) / g.cell) * 2);
    for (let r = 0; r < g.rowsView; r += every) {
      const off = (firstRow + r) * g.cols * bpc;
      if (off >= this.size) break;
      ctx.fillText(fmt.bytes(Math.round(off)), g.gutter - 6 * g.dpr, r * g.cell);
    }
    // scroll position bar
    if (g.totalRows > g.rowsView) {
      const barH = Math.max(8 * g.dpr, (H * g.rowsView) / g.totalRows);
      const barY = ((H - barH) * this.scrollRow) / (g.totalRows - g.rowsView);
      ctx.fillStyle = this.textColour;
      ctx.globalAlpha = 0.5;
      ctx.fillRect(W - 4 * g.dpr, barY, 3 * g.dpr, barH);
      ctx.globalAlpha = 1;
    }
    const viewStart = cellStart * bpc;
    const viewEnd = Math.min(this.size, (firstRow + g.rowsView) * g.cols * bpc);
    this.info.textContent =
      `1 cell = ${fmt.bytes(Math.max(1, Math.round(bpc)))} · bytes ${fmt.bytes(Math.round(viewStart))}–${fmt.bytes(Math.round(viewEnd))} of ${fmt.bytes(this.size)} · ` +
      `${fmt.int(this.segCount)} regions · zoom ${this.zoom < 10 ? this.zoom.toFixed(1) : Math.round(this.zoom)}×`;
    this.lastDrawMs = performance.now() - t0;
    this.el.dataset.drawMs = this.lastDrawMs.toFixed(1);
  }

  drawRing(ctx, g, firstRow) {
    const cs = this.files[this.selected]?.chunks;
    if (!cs || !cs.length) return;
    const start = cs[0].offset;
    const end = cs[cs.length - 1].offset + cs[cs.length - 1].compressedLength;
    if ((end - start) / g.bpc > 40) return; // big enough to see
    const cell = Math.floor((start + end) / 2 / g.bpc);
    const row = Math.floor(cell / g.cols) - firstRow;
    if (row < 0 || row >= g.rowsView) return;
    const x = g.gutter + (cell % g.cols) * g.cell + g.cell / 2;
    const y = row * g.cell + g.cell / 2;
    const [r, gg, b] = this.selectRGB;
    ctx.strokeStyle = `rgb(${r}, ${gg}, ${b})`;
    ctx.lineWidth = 2 * g.dpr;
    ctx.beginPath();
    ctx.arc(x, y, 7 * g.dpr, 0, Math.PI * 2);
    ctx.stroke();
  }

  lighten(idx) {
    const [r, g, b] = this.palette[idx];
    const [hr, hg, hb] = this.hoverRGB;
    const m = (x, y) => Math.round(x * 0.45 + y * 0.55);
    return this.pack(m(r, hr), m(g, hg), m(b, hb));
  }

  pack(r, g, b) {
    return this.little ? ((255 << 24) | (b << 16) | (g << 8) | r) >>> 0 : ((r << 24) | (g << 16) | (b << 8) | 255) >>> 0;
  }

  segmentIndexAfter(byte) {
    let lo = 0;
    let hi = this.segCount;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.ends[mid] <= byte) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  // ---------------------------------------------------------------- interaction

  describe(seg) {
    const f = this.fileIdx[seg];
    const len = this.ends[seg] - this.starts[seg];
    const range = `bytes ${fmt.int(this.starts[seg])}–${fmt.int(this.ends[seg] - 1)} (${fmt.bytes(len)})`;
    if (f === SEG_TOC) return ['TOC (table of contents, zstd skippable frame)', range];
    if (f === SEG_TARSPLIT) return ['tar-split (tar headers to rebuild the layer)', range];
    if (f === SEG_FOOTER) return ['footer', range];
    const file = this.files[f];
    const c = file.chunks[this.chunkIdx[seg]];
    const lines = [file.path, `chunk ${this.chunkIdx[seg] + 1} of ${file.chunks.length} · ${range}`];
    lines.push(`${fmt.bytes(c.uncompressedLength)} uncompressed${c.zeros ? ' · zeros chunk (never fetched)' : ''}`);
    if (this.presence && !c.zeros) lines.push(this.presence(c.digest) ? 'already present' : 'needed: a pull fetches it');
    return lines;
  }

  onMove(e) {
    if (!this.layer) return;
    if (this._drag) return;
    const byte = this.byteAt(e.clientX, e.clientY);
    const g = this.geometry();
    const seg = byte < 0 ? -1 : this.segmentAt(byte, g.bpc / 2);
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
    this.setHover(this.fileIdx[seg] >= 0 ? this.fileIdx[seg] : -1);
    this.canvas.style.cursor = this.fileIdx[seg] >= 0 ? 'pointer' : 'default';
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
    const seg = this.segmentAt(byte, g.bpc / 2);
    if (seg < 0 || this.fileIdx[seg] < 0) return;
    const f = this.fileIdx[seg];
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
    const start = c[0].offset;
    const last = c[c.length - 1];
    this.reveal(start, last.offset + last.compressedLength);
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

export { groupKey, hashIndex };
