// preview.js — one file's content: fetched as its compressed range, decompressed and checked
// against the TOC digest by the wasm module, then shown as text or a hex dump, and downloadable
// under a cleaned name (no control or bidi characters, separators or leading dots).

import { h, fill } from './dom.js';
import * as fmt from './format.js';

const TEXT_LIMIT = 256 * 1024;
const HEX_LIMIT = 16 * 1024;

/** "00000000  7f 45 4c 46 …  |.ELF…|" lines for the first `limit` bytes. */
export function hexDump(u8, limit = HEX_LIMIT) {
  const n = Math.min(u8.length, limit);
  const lines = [];
  for (let off = 0; off < n; off += 16) {
    const row = u8.subarray(off, Math.min(off + 16, n));
    let hex = '';
    let asc = '';
    for (let i = 0; i < 16; i++) {
      if (i < row.length) {
        hex += row[i].toString(16).padStart(2, '0') + ' ';
        asc += row[i] >= 0x20 && row[i] < 0x7f ? String.fromCharCode(row[i]) : '.';
      } else hex += '   ';
      if (i === 7) hex += ' ';
    }
    lines.push(`${off.toString(16).padStart(8, '0')}  ${hex} |${asc}|`);
  }
  return lines.join('\n');
}

/** Text when the bytes are UTF-8 without control characters (other than tab, CR, LF, FF). */
export function asText(u8) {
  const head = u8.subarray(0, TEXT_LIMIT);
  let text;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(head);
  } catch (e) {
    // A multi-byte character cut at the limit is fine; anything else is binary.
    if (u8.length <= TEXT_LIMIT) return null;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(u8.subarray(0, TEXT_LIMIT - 3));
    } catch {
      return null;
    }
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000b\u000e-\u001a\u001c-\u001f]/.test(text)) return null;
  return text;
}

export class Preview {
  constructor() {
    this.el = h('div', { class: 'preview', hidden: true });
    this.url = null;
  }

  loading(file) {
    this.release();
    this.el.hidden = false;
    fill(this.el, h('p', { class: 'placeholder muted loading' },
      `Fetching ${fmt.bytes((file.chunks || []).reduce((a, c) => a + (c.zeros ? 0 : c.compressedLength), 0))} for ${file.path}…`));
  }

  error(node) {
    this.el.hidden = false;
    fill(this.el, node);
  }

  /**
   * @param {{bytes: Uint8Array, verified: true|null, bytesFetched: number, requests: number}} r
   *   readFile's result: `verified` is true when the TOC digest matched, null when the TOC has no
   *   digest for the file (a mismatch never gets here: readFile rejects).
   */
  show(file, r) {
    this.release();
    const u8 = r.bytes instanceof Uint8Array ? r.bytes : new Uint8Array(r.bytes || []);
    const text = asText(u8);
    const name = fmt.safeFileName(file.path);
    this.url = URL.createObjectURL(new Blob([u8], { type: 'application/octet-stream' }));
    const download = h('a', { class: 'btn small', href: this.url, download: name }, `Download ${fmt.isolate(name)}`);
    const truncated = text !== null ? u8.length > TEXT_LIMIT : u8.length > HEX_LIMIT;
    const verified = r.verified === true;
    this.el.hidden = false;
    fill(this.el,
      h('div', { class: 'preview-head' },
        verified
          ? h('span', { class: 'badge good', dataset: { verified: 'true' } }, '✓ digest verified')
          : h('span', { class: 'badge muted', dataset: { verified: 'none' } }, 'no digest to verify'),
        h('span', { class: 'muted' },
          ` ${fmt.bytes(u8.length)} · ${r.requests
            ? `fetched ${fmt.bytes(r.bytesFetched)} in ${fmt.plural(r.requests, 'request')}`
            : `read ${fmt.bytes(r.bytesFetched)} from the local file`} · `),
        h('span', { class: 'muted' }, text !== null ? 'text' : 'binary, hex dump'),
        download),
      verified ? null : h('p', { class: 'muted small' },
        'The TOC gives no digest for this file (an empty file has none), so its content could not be checked.'),
      h('pre', { class: `code preview-body ${text !== null ? 'text' : 'hex'}` },
        text !== null ? text : hexDump(u8)),
      truncated ? h('p', { class: 'muted small' },
        `Showing the first ${fmt.bytes(text !== null ? TEXT_LIMIT : HEX_LIMIT)}; download for the rest.`) : null);
  }

  release() {
    if (this.url) URL.revokeObjectURL(this.url);
    this.url = null;
  }

  hide() {
    this.release();
    this.el.hidden = true;
    fill(this.el);
  }
}
