// plan-coverage.js — which bytes of a layer blob a pull downloads, read off planPull's own plan
// for the layer (its `requestList`), so that the chunk map, the file list and the file details
// colour exactly what the planner counted. No DOM.
//
// A byte is "fetched" when a `data` request range covers it (gaps the puller bridges between
// missing chunks included: podman downloads them) or the layer is pulled whole (a `full` request,
// the fallback); the `metadata` request (TOC, tar-split) is not file data. A chunk is "already
// present" when no fetched byte falls in it; zeros chunks are never fetched. A reused layer has
// no requests at all: everything in it is present.

export const NONE = 0;
export const PRESENT = 1;
export const FETCHED = 2;
export const ZEROS = 3;

export class LayerCoverage {
  /** @param {object} planLayer one of planPull's `layers` */
  constructor(planLayer) {
    this.digest = planLayer.digest;
    this.kind = planLayer.reused ? 'reused' : planLayer.fallback ? 'fallback' : 'partial';
    this.reason = planLayer.reused ? planLayer.reusedBy || '' : planLayer.fallback || '';
    this.whole = false;
    this.fetchBytes = 0; // data bytes the plan requests (bridged gaps included)
    const spans = [];
    for (const r of planLayer.requestList || []) {
      if (r.kind === 'full') {
        this.whole = true;
        this.fetchBytes += r.bytes || 0;
      } else if (r.kind === 'data') {
        this.fetchBytes += r.bytes || 0;
        for (const s of r.ranges || []) if (s.length > 0) spans.push([s.offset, s.offset + s.length]);
      }
    }
    spans.sort((a, b) => a[0] - b[0]);
    // merged, ascending, disjoint [start, end) spans
    const starts = [];
    const ends = [];
    for (const [s, e] of spans) {
      if (ends.length && s <= ends[ends.length - 1]) ends[ends.length - 1] = Math.max(ends[ends.length - 1], e);
      else { starts.push(s); ends.push(e); }
    }
    this.starts = Float64Array.from(starts);
    this.ends = Float64Array.from(ends);
  }

  /** True when any byte of [offset, offset + length) is fetched. */
  covers(offset, length) {
    if (this.whole) return length > 0;
    if (!(length > 0)) return false;
    // first span that ends after `offset`
    let lo = 0;
    let hi = this.ends.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.ends[mid] <= offset) lo = mid + 1;
      else hi = mid;
    }
    return lo < this.starts.length && this.starts[lo] < offset + length;
  }

  /** ZEROS, FETCHED or PRESENT for one TOC chunk. */
  chunkState(c) {
    if (c.zeros) return ZEROS;
    return this.covers(c.offset, c.compressedLength) ? FETCHED : PRESENT;
  }

  /** Per file: FETCHED if any of its chunks is, PRESENT if it has chunks and none is, else NONE. */
  fileStatus(files) {
    const out = new Uint8Array(files.length);
    const t = files.table; // a columnar table (file-table.js): its columns, no rows
    for (let i = 0; t && i < files.length; i++) {
      if (t.chunkStarts[i + 1] === t.chunkStarts[i]) continue;
      let st = PRESENT;
      for (let k = t.chunkStarts[i]; k < t.chunkStarts[i + 1]; k++) {
        if (!t.chunkZeros[k] && this.covers(t.chunkOffsets[k], t.chunkCompressed[k])) { st = FETCHED; break; }
      }
      out[i] = st;
    }
    for (let i = 0; !t && i < files.length; i++) {
      const cs = files[i].chunks || [];
      if (!cs.length) continue;
      let st = PRESENT;
      for (const c of cs) if (this.chunkState(c) === FETCHED) { st = FETCHED; break; }
      out[i] = st;
    }
    return out;
  }

  /** {chunks, bytes} of `chunks` that are fetched. */
  fetchedOf(chunks) {
    let n = 0;
    let bytes = 0;
    for (const c of chunks || []) {
      if (this.chunkState(c) === FETCHED) { n++; bytes += c.compressedLength; }
    }
    return { chunks: n, bytes };
  }
}

/**
 * LayerCoverage per layer of the report, in manifest order like the plan's layers (null where the
 * plan has no such layer), or null without a plan.
 */
export function planCoverage(plan, reportLayers) {
  if (!plan) return null;
  const layers = plan.layers || [];
  return reportLayers.map((l, i) => (layers[i] && layers[i].digest === l.digest ? new LayerCoverage(layers[i]) : null));
}
