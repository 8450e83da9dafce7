// file-details.js — one TOC entry: type, mode, owner, time, size, digest, link target, xattrs, and
// its chunks with their compressed ranges in the blob (zeros chunks marked; with a pull plan, which
// chunks a pull fetches and which are already present).

import { h, fill, Emitter, copyButton } from './dom.js';
import * as fmt from './format.js';
import { FETCHED, PRESENT } from './plan-coverage.js';

const MAX_CHUNK_ROWS = 5000;

const TYPE_NAME = {
  reg: 'regular file', dir: 'directory', symlink: 'symbolic link', hardlink: 'hard link',
  fifo: 'FIFO', char: 'character device', block: 'block device',
};

export class FileDetails extends Emitter {
  constructor() {
    super();
    this.el = h('section', { class: 'card file-details', 'aria-live': 'polite' });
    this.clear();
  }

  clear(message = 'Select a file to see its metadata and chunks.') {
    fill(this.el, h('div', { class: 'placeholder muted' }, message));
    this.file = null;
  }

  /**
   * @param {object|null} file  a fileList entry (null for a directory that has no TOC entry)
   * @param {{path: string, node?: object, coverage?: import('./plan-coverage.js').LayerCoverage|null,
   *   canPreview?: boolean, previewWhy?: string}} opts  `previewWhy`: why the preview is off (shown disabled)  `coverage`: the pull plan's, for the fetched / present column
   */
  show(file, { path, node, coverage = null, canPreview = false, previewWhy = '' } = {}) {
    this.file = file;
    if (!file) {
      fill(this.el,
        h('h3', { class: 'path' }, path || '/'),
        h('p', { class: 'muted' }, 'A directory implied by the paths below it; the layer has no entry of its own for it.'),
        node ? h('p', null, `${fmt.int(node.count)} files below, ${fmt.bytes(node.size)}.`) : null);
      return;
    }
    const kv = (k, ...v) => h('div', { class: 'kv' }, h('dt', null, k), h('dd', null, ...v));
    const chunks = file.chunks || [];
    const zeros = chunks.filter((c) => c.zeros).length;
    const compressed = chunks.reduce((a, c) => a + c.compressedLength, 0);
    const xattrs = Object.entries(file.xattrs || {});
    const fetched = coverage ? coverage.fetchedOf(chunks) : null;
    const actions = h('div', { class: 'actions' });
    if (file.type === 'reg' && chunks.length) {
      const mapBtn = h('button', { type: 'button', class: 'btn small' }, 'Show on chunk map');
      mapBtn.addEventListener('click', () => this.emit('show-on-map', file));
      actions.appendChild(mapBtn);
    }
    if (file.type === 'reg' && (canPreview || previewWhy)) {
      // a disabled preview says why, in text (not only in a tooltip)
      const why = previewWhy ? h('span', { class: 'muted small preview-why', id: 'preview-why' }, previewWhy) : null;
      const prev = h('button', {
        type: 'button', class: 'btn small primary preview-btn', disabled: !!previewWhy,
        ...(why ? { 'aria-describedby': 'preview-why' } : {}),
      }, file.size ? 'Preview and verify' : 'Preview');
      prev.addEventListener('click', () => this.emit('preview', file));
      actions.append(prev, ...(why ? [why] : []));
    }

    const chunkTable = chunks.length
      ? h('div', { class: 'chunks' },
        h('h4', null, 'Chunks ',
          h('span', { class: 'chunk-summary muted' },
            `${fmt.plural(chunks.length, 'chunk')} · ${fmt.plural(zeros, 'zeros chunk')} · ${fmt.bytes(compressed)} compressed` +
              (file.size >= 256 ? ` (${fmt.percent(compressed, file.size)} of ${fmt.bytes(file.size)})` : ''))),
        fetched
          ? h('p', { class: fetched.chunks ? 'warn-text' : 'good-text' }, fetched.chunks
            ? `A pull fetches ${fmt.plural(fetched.chunks, 'chunk')} (${fmt.bytes(fetched.bytes)}); the rest is already present or zeros.`
            : 'Nothing to fetch: every chunk is already present or zeros.')
          : null,
        h('div', { class: 'table-wrap' },
          h('table', { class: 'data compact chunk-table' },
            h('thead', null, h('tr', null,
              // the pull column right after #: visible however narrow the aside (the table scrolls)
              h('th', { class: 'num' }, '#'), coverage ? h('th', { class: 'pull-col' }, 'Pull') : null,
              h('th', { class: 'num' }, 'Blob offset'),
              h('th', { class: 'num' }, 'Compressed'), h('th', { class: 'num' }, 'File offset'),
              h('th', { class: 'num' }, 'Length'), h('th', null, 'Digest'))),
            h('tbody', null, ...chunks.slice(0, MAX_CHUNK_ROWS).map((c, k) => {
              const st = coverage ? coverage.chunkState(c) : null;
              return h('tr', {
                class: ['chunk-row', c.zeros && 'zeros', st === PRESENT && 'present', st === FETCHED && 'needed'],
                dataset: { chunkIndex: k },
                title: `blob bytes ${fmt.int(c.offset)}–${fmt.int(c.offset + c.compressedLength - 1)}`,
              },
              h('td', { class: 'num' }, c.zeros ? h('span', { class: 'badge muted small zeros-badge' }, 'zeros') : null, String(k + 1)),
              coverage ? h('td', { class: 'pull-col' }, c.zeros ? h('span', { class: 'muted' }, 'never') : st === PRESENT
                ? h('span', { class: 'good-text' }, 'have') : h('span', { class: 'warn-text' }, 'fetch')) : null,
              h('td', { class: 'num' }, fmt.int(c.offset)),
              h('td', { class: 'num' }, fmt.int(c.compressedLength)),
              h('td', { class: 'num' }, fmt.int(c.uncompressedOffset)),
              h('td', { class: 'num' }, fmt.int(c.uncompressedLength)),
              h('td', { class: 'mono', title: c.digest || '' }, c.digest ? c.digest.replace(/^[^:]*:/, '').slice(0, 10) : '—'));
            }))),
          chunks.length > MAX_CHUNK_ROWS ? h('p', { class: 'muted' }, `First ${fmt.int(MAX_CHUNK_ROWS)} chunks shown.`) : null))
      : null;

    fill(this.el,
      h('div', { class: 'details-head' },
        h('h3', { class: 'path', title: file.path }, file.path),
        actions),
      h('dl', { class: 'kvs' },
        kv('Type', TYPE_NAME[file.type] || file.type || '—'),
        kv('Mode', h('span', { class: 'mono' }, fmt.modeString(file.mode, file.type)), ' ',
          h('span', { class: 'muted mono' }, fmt.modeOctal(file.mode))),
        kv('Owner', h('span', { class: 'mono' }, `${file.uid}:${file.gid}`)),
        kv('Modified', fmt.time(file.modtime)),
        file.type === 'reg' ? kv('Size', fmt.bytesExact(file.size)) : null,
        file.linkName != null ? kv(file.type === 'hardlink' ? 'Links to' : 'Target', h('span', { class: 'mono link-target' }, file.linkName)) : null,
        file.devMajor != null ? kv('Device', h('span', { class: 'mono' }, `${file.devMajor}, ${file.devMinor}`)) : null,
        file.digest ? kv('Digest', h('span', { class: 'mono digest-full' }, file.digest), ' ', copyButton(() => file.digest)) : null),
      xattrs.length
        ? h('div', { class: 'xattrs' },
          h('h4', null, 'Extended attributes'),
          h('table', { class: 'data compact' },
            h('tbody', null, ...xattrs.map(([k, v]) => {
              const raw = fmt.fromBase64(v);
              const shown = raw ? fmt.bytesToDisplay(raw) : { text: String(v), kind: 'text' };
              return h('tr', null,
                h('td', { class: 'mono xattr-name' }, k),
                h('td', { class: 'mono xattr-value' },
                  shown.kind === 'hex' ? h('span', { class: 'badge muted small' }, 'hex') : null,
                  shown.kind === 'hex' ? ' ' : null, shown.text));
            }))))
        : null,
      chunkTable,
      h('div', { class: 'preview-slot' }));
  }

  get previewSlot() {
    return this.el.querySelector('.preview-slot');
  }
}
