// chunk-map-draw.js — painting the chunk map: the colour of each segment (by directory, or by what
// the pull plan fetches), the palette read from the --cs-map-* custom properties, and one pass over
// the visible cells with a cursor into the sorted segments, written into an ImageData:
// O(cells + segments on screen), a few milliseconds at 100k+ segments.

import * as fmt from './format.js';
import { MAX_GROUPS, SEG_TOC, SEG_TARSPLIT, SEG_FOOTER, segmentIndexAfter } from './chunk-map-layout.js';
import { FETCHED, PRESENT, ZEROS } from './plan-coverage.js';

// colour slots in the palette
export const C_GAP = 0;
export const C_TOC = 1;
export const C_TARSPLIT = 2;
export const C_FOOTER = 3;
export const C_ZEROS = 4;
export const C_PRESENT = 5;
export const C_NEEDED = 6;
export const C_OTHER = 7;
export const C_GROUP0 = 8;

/**
 * The colour slot of every segment. `pull`: colour by the plan — `coverage` (a LayerCoverage)
 * decides fetched / already present; without one yet (the plan is running) chunks are C_OTHER.
 */
export function segmentColours(segs, files, { pull = false, coverage = null } = {}) {
  const n = segs.count;
  const col = new Uint8Array(n);
  for (let s = 0; s < n; s++) {
    const f = segs.fileIdx[s];
    if (f === SEG_TOC) col[s] = C_TOC;
    else if (f === SEG_TARSPLIT) col[s] = C_TARSPLIT;
    else if (f === SEG_FOOTER) col[s] = C_FOOTER;
    else {
      const t = files.table; // a columnar table: the chunk's columns, not a row object
      const c = t ? null : files[f].chunks[segs.chunkIdx[s]];
      const k = t ? t.chunkStarts[f] + segs.chunkIdx[s] : 0;
      if (t ? t.chunkZeros[k] : c.zeros) col[s] = C_ZEROS;
      else if (pull) {
        const st = !coverage ? -1 : t ? (coverage.covers(t.chunkOffsets[k], t.chunkCompressed[k]) ? FETCHED : PRESENT) : coverage.chunkState(c);
        col[s] = st === FETCHED ? C_NEEDED : st === ZEROS ? C_ZEROS : st < 0 ? C_OTHER : C_PRESENT;
      } else col[s] = segs.groupOf[f] < 0 ? C_OTHER : C_GROUP0 + segs.groupOf[f];
    }
  }
  return col;
}

/** The map's colours from the element's computed --_map-* properties (light and dark defaults). */
export class Palette {
  constructor(el) {
    const cs = getComputedStyle(el);
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
    this.rgb = pal;
    this.selectRGB = v('--_map-select', dark ? '#ffffff' : '#111827');
    this.hoverRGB = v('--_map-hover', dark ? '#e5e7eb' : '#374151');
    this.textColour = cs.getPropertyValue('--_muted').trim() || (dark ? '#9aa3b2' : '#5b6474');
    this.little = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
    this.packed = Uint32Array.from(pal, ([r, g, b]) => this.pack(r, g, b));
    this.packSelect = this.pack(...this.selectRGB);
    // with a file selected, everything else fades towards the background
    const bg = v('--_surface', dark ? '#151b23' : '#ffffff');
    const mix = (x, y) => Math.round(x * 0.35 + y * 0.65);
    this.faded = Uint32Array.from(pal, ([r, g, b]) => this.pack(mix(r, bg[0]), mix(g, bg[1]), mix(b, bg[2])));
  }

  pack(r, g, b) {
    return this.little ? ((255 << 24) | (b << 16) | (g << 8) | r) >>> 0 : ((r << 24) | (g << 16) | (b << 8) | 255) >>> 0;
  }

  /** A slot's colour mixed towards the hover colour. */
  lighten(idx) {
    const [r, g, b] = this.rgb[idx];
    const [hr, hg, hb] = this.hoverRGB;
    const m = (x, y) => Math.round(x * 0.45 + y * 0.55);
    return this.pack(m(r, hr), m(g, hg), m(b, hb));
  }

  css(idx) {
    const [r, g, b] = this.rgb[idx];
    return `rgb(${r}, ${g}, ${b})`;
  }
}

/**
 * Draws the visible rows into `canvas` (already sized to W × H device px): cells, a ring around a
 * small selected file, offset labels and the scroll bar. `view`: {segs, colour, files, scrollRow,
 * selected, hover}. Returns {viewStart, viewEnd} in bytes.
 */
export function drawMap(canvas, g, pal, view) {
  const { segs, colour, scrollRow, selected: sel, hover: hov } = view;
  const W = canvas.width;
  const H = canvas.height;
  const ctx = canvas.getContext('2d');
  const mapW = g.cols * g.cell;
  const img = ctx.createImageData(mapW, H);
  const px = new Uint32Array(img.data.buffer);
  const firstRow = Math.floor(scrollRow);
  const { starts, ends, fileIdx, count: n, size } = segs;
  const bpc = g.bpc;
  const cellStart = firstRow * g.cols;
  // first segment that ends after the first visible byte
  let j = segmentIndexAfter(segs, cellStart * bpc);
  for (let r = 0; r < g.rowsView; r++) {
    const row = firstRow + r;
    for (let c = 0; c < g.cols; c++) {
      const a = (row * g.cols + c) * bpc;
      let packed;
      if (a >= size) {
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
        const colourIdx = best >= 0 ? colour[best] : C_GAP;
        if (sel < 0) packed = pal.packed[colourIdx];
        else if (hasSel) packed = fileIdx[best] === sel ? pal.packed[colourIdx] : pal.packSelect;
        else packed = pal.faded[colourIdx];
        if (!hasSel && hov >= 0 && best >= 0 && fileIdx[best] === hov) packed = pal.lighten(colourIdx);
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
  if (sel >= 0) drawRing(ctx, g, pal, view.files[sel]?.chunks, firstRow);

  // offset labels
  ctx.fillStyle = pal.textColour;
  ctx.font = `${Math.round(10 * g.dpr)}px ui-monospace, SFMono-Regular, Menlo, monospace`;
  ctx.textAlign = 'right';
  ctx.textBaseline = 'top';
  const every = Math.max(1, Math.ceil((14 * g.dpr) / g.cell) * 2);
  for (let r = 0; r < g.rowsView; r += every) {
    const off = (firstRow + r) * g.cols * bpc;
    if (off >= size) break;
    ctx.fillText(fmt.bytes(Math.round(off)), g.gutter - 6 * g.dpr, r * g.cell);
  }
  // scroll position bar
  if (g.totalRows > g.rowsView) {
    const barH = Math.max(8 * g.dpr, (H * g.rowsView) / g.totalRows);
    const barY = ((H - barH) * scrollRow) / (g.totalRows - g.rowsView);
    ctx.fillStyle = pal.textColour;
    ctx.globalAlpha = 0.5;
    ctx.fillRect(W - 4 * g.dpr, barY, 3 * g.dpr, barH);
    ctx.globalAlpha = 1;
  }
  return { viewStart: cellStart * bpc, viewEnd: Math.min(size, (firstRow + g.rowsView) * g.cols * bpc) };
}

function drawRing(ctx, g, pal, cs, firstRow) {
  if (!cs || !cs.length) return;
  const start = cs[0].offset;
  const end = cs[cs.length - 1].offset + cs[cs.length - 1].compressedLength;
  if ((end - start) / g.bpc > 40) return; // big enough to see
  const cell = Math.floor((start + end) / 2 / g.bpc);
  const row = Math.floor(cell / g.cols) - firstRow;
  if (row < 0 || row >= g.rowsView) return;
  const x = g.gutter + (cell % g.cols) * g.cell + g.cell / 2;
  const y = row * g.cell + g.cell / 2;
  const [r, gg, b] = pal.selectRGB;
  ctx.strokeStyle = `rgb(${r}, ${gg}, ${b})`;
  ctx.lineWidth = 2 * g.dpr;
  ctx.beginPath();
  ctx.arc(x, y, 7 * g.dpr, 0, Math.PI * 2);
  ctx.stroke();
}
