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
  const t = files.table; // a columnar table (file-table.js): read its columns, make no rows
  // typed arrays sized once (every chunk, and the three metadata regions), filled in place
  let cap = 3;
  if (t) cap += t.chunkStarts[files.length] || 0;
  else for (let i = 0; i < files.length; i++) cap += (files[i].chunks || []).length;
  const starts = new Float64Array(cap);
  const ends = new Float64Array(cap);
  const fileIdx = new Int32Array(cap);
  const chunkIdx = new Int32Array(cap);
  let n = 0;
  for (let i = 0; t && i < files.length; i++) {
    const k0 = t.chunkStarts[i];
    for (let k = k0; k < t.chunkStarts[i + 1]; k++) {
      const len = t.chunkCompressed[k];
      if (!(len > 0)) continue;
      starts[n] = t.chunkOffsets[k];
      ends[n] = t.chunkOffsets[k] + len;
      fileIdx[n] = i;
      chunkIdx[n] = k - k0;
      n++;
    }
  }
  for (let i = 0; !t && i < files.length; i++) {
    const cs = files[i].chunks;
    if (!cs) continue;
    for (let k = 0; k < cs.length; k++) {
      const c = cs[k];
      if (!(c.compressedLength > 0)) continue;
      starts[n] = c.offset;
      ends[n] = c.offset + c.compressedLength;
      fileIdx[n] = i;
      chunkIdx[n] = k;
      n++;
    }
  }
  const region = (s, e, kind) => {
    if (e > s) { starts[n] = s; ends[n] = e; fileIdx[n] = kind; chunkIdx[n] = 0; n++; }
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
  let sorted = true;
  for (let i = 1; i < n; i++) if (starts[i] < starts[i - 1]) { sorted = false; break; }
  const order = sorted ? null : Array.from({ length: n }, (_, i) => i).sort((a, b) => starts[a] - starts[b]);
  const pick = (arr, T) => {
    if (!order) return n === cap ? arr : arr.slice(0, n);
    const out = new T(n);
    for (let i = 0; i < n; i++) out[i] = arr[order[i]];
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
  // Each file's key is a small integer (keyOf), the keys' bytes summed in an array: no string
  // Map lookup per segment.
  let groups;
  let keyOf;
  let ids;
  let depth = 2;
  const pathOf = t ? (i) => t.path(i) : (i) => files[i].path;
  for (;; depth++) {
    ids = new Map();
    keyOf = new Int32Array(files.length);
    const names = [];
    // a key depends only on the part before the last '/': files of one directory (together in
    // TOC order) share the last one computed
    let lastDir = null;
    let lastId = -1;
    for (let i = 0; i < files.length; i++) {
      const p = pathOf(i) || '/';
      const dir = p.slice(0, p.lastIndexOf('/') + 1);
      if (dir !== lastDir) {
        lastDir = dir;
        const k = groupKey(p, depth);
        lastId = ids.get(k);
        if (lastId === undefined) {
          lastId = names.length;
          names.push(k);
          ids.set(k, lastId);
        }
      }
      keyOf[i] = lastId;
    }
    const bytes = new Float64Array(names.length);
    const seen = new Uint8Array(names.length);
    const firstSeen = []; // in the order the segments first reach each key
    for (let s = 0; s < n; s++) {
      const f = segs.fileIdx[s];
      if (f < 0) continue;
      const id = keyOf[f];
      if (!seen[id]) { seen[id] = 1; firstSeen.push(id); }
      bytes[id] += segs.ends[s] - segs.starts[s];
    }
    groups = firstSeen.map((id) => [names[id], bytes[id]]).sort((a, b) => b[1] - a[1]);
    if (groups.length !== 1 || depth >= MAX_GROUP_DEPTH) break;
    // a deeper level must split something: stop when the one group is already the files' own directory
    const deeper = new Set();
    for (let s = 0; s < n; s++) if (segs.fileIdx[s] >= 0) deeper.add(groupKey(pathOf(segs.fileIdx[s]) || '/', depth + 1));
    if (deeper.size === 1) break;
  }
  segs.groupDepth = depth;
  const slotOf = new Int32Array(ids.size).fill(-1);
  groups.forEach(([k], i) => { slotOf[ids.get(k)] = i % MAX_GROUPS; });
  const groupOf = new Int32Array(files.length);
  for (let i = 0; i < files.length; i++) groupOf[i] = slotOf[keyOf[i]];
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
