// chunk-map-layout.js — the chunk map's model and geometry: a layer blob as sorted segments (file
// chunks, TOC, tar-split, footer) with their directory groups, the cell grid they are laid out on
// (rows like text, zoomable), and hit testing from a byte or a pointer back to a segment.
// No drawing here (chunk-map-draw.js) and no events (chunk-map.js).

export const CELL = 3; // css px per cell (square)
export const GUTTER = 76; // css px for the offset labels
export const VIEW_ROWS = 96; // rows in view at zoom 1
export const SEG_TOC = -2;
export const SEG_TARSPLIT = -3;
export const SEG_FOOTER = -4;
export const MAX_GROUPS = 11;

/**
 * The directory a path is coloured by, its first `depth` directories (default 2): "/usr/lib/x" →
 * "/usr/lib"; "/etc/x" → "/etc"; "/x" → "/"; with depth 3 "/opt/app/src/x" → "/opt/app/src".
 */
export function groupKey(path, depth = 2) {
  const limit = depth + 2;
  const parts = path.split('/', limit);
  const dirs = parts.length < limit ? parts.slice(1, -1) : parts.slice(1, depth + 1);
  return dirs.length ? `/${dirs.join('/')}` : '/';
}

/** The deepest level "colour by directory" goes to find more than one group. */
export const MAX_GROUP_DEPTH = 8;

/**
 * A layer's segments, ascending by offset: `starts`/`ends` (bytes), `fileIdx` (a file index, or
 * SEG_TOC / SEG_TARSPLIT / SEG_FOOTER), `chunkIdx` (the chunk within the file); plus directory
 * groups by compressed bytes (`groups`: [key, bytes] largest first; `groupOf`: per file, the
 * colour slot 0…MAX_GROUPS-1 or -1).
 */
export function buildSegments(layer, files) {
  const size = Math.max(1, layer.size || 1);
  const starts = [];
  const ends = [];
  const fileIdx = [];
  const chunkIdx = [];
  const t = files.table; // a columnar table (file-table.js): read its columns, make no rows
  for (let i = 0; t && i < files.length; i++) {
    for (let k = t.chunkStarts[i]; k < t.chunkStarts[i + 1]; k++) {
      const len = t.chunkCompressed[k];
      if (!(len > 0)) continue;
      starts.push(t.chunkOffsets[k]);
      ends.push(t.chunkOffsets[k] + len);
      fileIdx.push(i);
      chunkIdx.push(k - t.chunkStarts[i]);
    }
  }
  for (let i = 0; !t && i < files.length; i++) {
    const cs = files[i].chunks;
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
    region(Math.max(0, layer.toc.offset - 8), layer.toc.offset + layer.toc.length, SEG_TOC);
    metaEnd = Math.max(metaEnd, layer.toc.offset + layer.toc.length);
  }
  if (layer.tarSplit) {
    region(Math.max(0, layer.tarSplit.offset - 8), layer.tarSplit.offset + layer.tarSplit.length, SEG_TARSPLIT);
    metaEnd = Math.max(metaEnd, layer.tarSplit.offset + layer.tarSplit.length);
  }
  if (metaEnd && size - metaEnd > 0 && size - metaEnd <= 1024) region(metaEnd, size, SEG_FOOTER);
  const n = starts.length;
  let sorted = true;
  for (let i = 1; i < n; i++) if (starts[i] < starts[i - 1]) { sorted = false; break; }
  const order = sorted ? null : Array.from({ length: n }, (_, i) => i).sort((a, b) => starts[a] - starts[b]);
  const pick = (arr, T) => {
    const out = new T(n);
    for (let i = 0; i < n; i++) out[i] = arr[order ? order[i] : i];
    return out;
  };
  const segs = {
    size,
    count: n,
    starts: pick(starts, Float64Array),
    ends: pick(ends, Float64Array),
    fileIdx: pick(fileIdx, Int32Array),
    chunkIdx: pick(chunkIdx, Int32Array),
  };

  // Directory groups, largest first; colours by rank, repeating after MAX_GROUPS (neighbours
  // rarely share one).
  // When one directory holds every byte (/opt/app/…), group one level deeper, and again, so the
  // colours say something.
  let groups;
  let keys;
  let depth = 2;
  for (;; depth++) {
    const groupBytes = new Map();
    const pathOf = files.table ? (i) => files.table.path(i) : (i) => files[i].path;
    keys = new Array(files.length);
    // a key depends only on the part before the last '/': files of one directory (together in
    // TOC order) share the last one computed
    let lastDir = null;
    let lastKey = null;
    for (let i = 0; i < files.length; i++) {
      const p = pathOf(i) || '/';
      const dir = p.slice(0, p.lastIndexOf('/') + 1);
      if (dir !== lastDir) { lastDir = dir; lastKey = groupKey(p, depth); }
      keys[i] = lastKey;
    }
    for (let s = 0; s < n; s++) {
      const f = segs.fileIdx[s];
      if (f < 0) continue;
      groupBytes.set(keys[f], (groupBytes.get(keys[f]) || 0) + segs.ends[s] - segs.starts[s]);
    }
    groups = [...groupBytes.entries()].sort((a, b) => b[1] - a[1]);
    if (groups.length !== 1 || depth >= MAX_GROUP_DEPTH) break;
    // a deeper level must split something: stop when the one group is already the files' own directory
    const deeper = new Set();
    for (let s = 0; s < n; s++) if (segs.fileIdx[s] >= 0) deeper.add(groupKey((files.table ? files.table.path(segs.fileIdx[s]) : files[segs.fileIdx[s]].path) || '/', depth + 1));
    if (deeper.size === 1) break;
  }
  segs.groupDepth = depth;
  const slot = new Map(groups.map(([k], i) => [k, i % MAX_GROUPS]));
  const groupOf = new Int32Array(files.length);
  for (let i = 0; i < files.length; i++) {
    const g = slot.get(keys[i]);
    groupOf[i] = g === undefined ? -1 : g;
  }
  segs.groups = groups;
  segs.groupOf = groupOf;
  return segs;
}

/**
 * The cell grid for a canvas `cssWidth` px wide at `zoom`: cell and gutter in device px, columns,
 * rows in view, total rows, and bytes per cell.
 */
export function geometry({ cssWidth, dpr, zoom, size }) {
  const cssW = Math.max(200, cssWidth || 800);
  const cell = Math.max(1, Math.round(CELL * dpr));
  const gutter = Math.round(GUTTER * dpr);
  const cols = Math.max(16, Math.floor((cssW * dpr - gutter) / cell));
  const rowsView = VIEW_ROWS;
  const totalRows = Math.max(rowsView, Math.round(rowsView * zoom));
  const bpc = size / (cols * totalRows);
  return { dpr, cssW, cell, gutter, cols, rowsView, totalRows, bpc };
}

/** The zoom at which a cell holds about 16 bytes: beyond that there is nothing more to see. */
export function maxZoom(g, size) {
  return Math.max(1, size / (g.cols * g.rowsView * 16));
}

/** The byte under a point (device px from the canvas's top left), or -1. */
export function byteAtPoint(g, x, y, scrollRow, size) {
  const mx = x - g.gutter;
  if (mx < 0) return -1;
  const col = Math.floor(mx / g.cell);
  const row = Math.floor(y / g.cell) + Math.floor(scrollRow);
  if (col >= g.cols || row < 0 || row >= g.totalRows) return -1;
  const b = (row * g.cols + col + 0.5) * g.bpc;
  return b < size ? b : -1;
}

/** Index of the first segment that ends after `byte`. */
export function segmentIndexAfter(segs, byte) {
  let lo = 0;
  let hi = segs.count;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (segs.ends[mid] <= byte) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The segment under a byte (or the nearest within `slack` bytes), or -1. */
export function segmentAt(segs, byte, slack = 0) {
  const i = segmentIndexAfter(segs, byte - slack);
  return i < segs.count && segs.starts[i] <= byte + slack ? i : -1;
}
