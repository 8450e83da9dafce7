// format.js — numbers, bytes, modes, digests and times as people read them.

const nf = new Intl.NumberFormat('en-US');

/** 1234567 → "1,234,567". */
export function int(n) {
  if (n === null || n === undefined || Number.isNaN(n)) return '—';
  return nf.format(n);
}

/** Bytes in decimal units: 1234567 → "1.23 MB"; below 1000 → "532 B". */
export function bytes(n) {
  if (n === null || n === undefined || Number.isNaN(n)) return '—';
  const neg = n < 0;
  let v = Math.abs(n);
  if (v < 1000) return `${neg ? '-' : ''}${v} B`;
  const units = ['kB', 'MB', 'GB', 'TB', 'PB'];
  let i = -1;
  do {
    v /= 1000;
    i++;
  } while (v >= 999.5 && i < units.length - 1);
  const digits = v >= 100 ? 0 : v >= 10 ? 1 : 2;
  return `${neg ? '-' : ''}${v.toFixed(digits)} ${units[i]}`;
}

/** "1.23 MB (1,234,567 bytes)" for places with room for the exact count. */
export function bytesExact(n) {
  if (n === null || n === undefined) return '—';
  if (n < 1000) return plural(n, 'byte');
  return `${bytes(n)} (${int(n)} bytes)`;
}

/** 0.1234 → "12.3%". */
export function percent(part, whole, digits = 1) {
  if (!whole) return '—';
  const p = (100 * part) / whole;
  if (p > 0 && p < 0.1 ** digits) return `<${(0.1 ** digits).toFixed(digits)}%`;
  return `${p.toFixed(digits)}%`;
}

/** "3 requests", "1 request". */
export function plural(n, one, many = `${one}s`) {
  return `${int(n)} ${n === 1 ? one : many}`;
}

/** sha256:abcdef0123456789… → "sha256:abcdef012345". */
export function shortDigest(d, len = 12) {
  if (!d) return '—';
  const i = d.indexOf(':');
  return i < 0 ? d.slice(0, len) : d.slice(0, i + 1 + len);
}

const TYPE_CHAR = { reg: '-', dir: 'd', symlink: 'l', hardlink: 'h', char: 'c', block: 'b', fifo: 'p' };

/** Unix mode with type: (0o4755, 'reg') → "-rwsr-xr-x". */
export function modeString(mode, type = 'reg') {
  const m = Number(mode) || 0;
  const t = TYPE_CHAR[type] || '?';
  const bit = (b, c) => (m & b ? c : '-');
  const x = (xb, sb, sc) => (m & sb ? (m & xb ? sc : sc.toUpperCase()) : m & xb ? 'x' : '-');
  return (
    t +
    bit(0o400, 'r') + bit(0o200, 'w') + x(0o100, 0o4000, 's') +
    bit(0o040, 'r') + bit(0o020, 'w') + x(0o010, 0o2000, 's') +
    bit(0o004, 'r') + bit(0o002, 'w') + x(0o001, 0o1000, 't')
  );
}

/** 0o755 → "0755". */
export function modeOctal(mode) {
  return (Number(mode) || 0).toString(8).padStart(4, '0');
}

/** An RFC 3339 time as "2023-11-14 22:13:20 UTC" (kept as given when unparsable). */
export function time(s) {
  if (!s) return '—';
  const d = new Date(s);
  if (Number.isNaN(d.getTime())) return String(s);
  return d.toISOString().replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC');
}

/** Milliseconds for humans: 1234 → "1.2 s". */
export function duration(ms) {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Base64 → Uint8Array; null when the text is not base64. */
export function fromBase64(s) {
  try {
    const bin = atob(s);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  } catch {
    return null;
  }
}

/** Bytes as readable text when they are printable UTF-8, else as hex. */
export function bytesToDisplay(u8) {
  if (!u8) return { text: '', kind: 'text' };
  try {
    const t = new TextDecoder('utf-8', { fatal: true }).decode(u8);
    // eslint-disable-next-line no-control-regex
    if (!/[\u0000-\u0008\u000e-\u001f\u007f]/.test(t.replace(/\u0000$/, ''))) {
      return { text: t.replace(/\u0000$/, ''), kind: 'text' };
    }
  } catch {
    /* not UTF-8 */
  }
  return { text: Array.from(u8, (b) => b.toString(16).padStart(2, '0')).join(' '), kind: 'hex' };
}

/** Human label of a layer's format. */
export function formatLabel(format) {
  switch (format) {
    case 'zstd:chunked': return 'zstd:chunked';
    case 'zstd:chunked-legacy': return 'zstd:chunked (legacy)';
    case 'estargz': return 'eStargz';
    case 'stargz-zstdchunked': return 'zstd:chunked (stargz-snapshotter)';
    case 'zstd': return 'zstd (no partial pull)';
    case 'gzip': return 'gzip (no partial pull)';
    case 'tar': return 'tar (no partial pull)';
    default: return format || 'unknown';
  }
}

/** A check name like "tarsplit_digest" as "tar-split digest". */
export function checkLabel(name) {
  const s = String(name).replace(/_/g, ' ').replace(/\btarsplit\b/g, 'tar-split').replace(/\btoc\b/gi, 'TOC');
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** Basename of a /-path. */
export function basename(p) {
  const s = String(p).replace(/\/+$/, '');
  const i = s.lastIndexOf('/');
  return i < 0 ? s : s.slice(i + 1);
}

// C0 and C1 controls, DEL, and the bidi controls (LRM, RLM, ALM, LRE…RLO, LRI…PDI) that can make
// a name read differently from what it is ("evil\u202Etxt.exe").
// eslint-disable-next-line no-control-regex
const UNSAFE_NAME_CHARS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * A download file name from a TOC path (untrusted): its last component without control or bidi
 * characters, path separators or leading dots; "file" when nothing is left.
 */
export function safeFileName(path) {
  const name = basename(String(path ?? ''))
    .replace(UNSAFE_NAME_CHARS, '')
    .replace(/[/\\]/g, '')
    .replace(/^[.\s]+/, '')
    .trim();
  return name || 'file';
}

/** Text wrapped in a first-strong isolate (U+2068 … U+2069): it can't reorder what surrounds it. */
export function isolate(text) {
  return `\u2068${String(text).replace(UNSAFE_NAME_CHARS, '')}\u2069`;
}
