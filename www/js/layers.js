// layers.js — the image at a glance (manifest, platform, what reading it cost) and one row per
// layer: format, sizes, counts, checks and the bytes and requests spent on it.

import { h, fill, Emitter } from './dom.js';
import * as fmt from './format.js';

function badgeForFormat(layer) {
  const f = layer.format;
  const cls = f === 'zstd:chunked' ? 'good' : f === 'zstd:chunked-legacy' || f === 'estargz' || f === 'stargz-zstdchunked' ? 'warn' : 'muted';
  return h('span', { class: `badge ${cls}`, title: layer.mediaType || '' }, fmt.formatLabel(f));
}

/** eStargz layers: what the reference puller does with insecure_allow_unpredictable_image_contents. */
function estargzNote(layer) {
  const e = layer.estargz;
  if (!e || layer.error) return null;
  const v = e.insecurePull || {};
  const hazards = (e.insecurePullHazards || []).map((x) => x.kind).join(', ');
  // The puller's full error text (long: a blob digest, Go-quoted bytes) goes in the tooltip.
  const what = v.outcome === 'partial'
    ? `partial pull${hazards ? ` (hazards: ${hazards})` : ''}`
    : v.outcome === 'fails' ? `the pull fails (${v.code})` : (v.reason || v.outcome || '');
  const landmark = e.landmark === 'prefetch'
    ? `${fmt.plural(e.prioritizedFiles.length, 'prioritized file')} before .prefetch.landmark`
    : e.landmark === 'no-prefetch' ? 'no prioritized files (.no.prefetch.landmark)' : 'no landmark';
  return h('span', { class: 'reason estargz-note', title: v.error || v.reason || '' },
    `With insecure_allow_unpredictable_image_contents: ${what}. ${landmark}.`);
}

function checkSummary(layer) {
  const entries = Object.entries(layer.checks || {});
  const failed = entries.filter(([, c]) => c.state !== 'pass');
  if (!entries.length) return { text: '—', cls: 'muted', title: 'No checks ran for this layer' };
  if (failed.length) {
    return {
      text: `${failed.length} failed`,
      cls: 'bad',
      title: failed.map(([k, c]) => `${fmt.checkLabel(k)}: ${c.detail || 'failed'}`).join('\n'),
    };
  }
  return { text: `${entries.length}/${entries.length} passed`, cls: 'good', title: 'All checks passed (click for details)' };
}

export class ImageSummary {
  constructor() {
    this.el = h('section', { class: 'card summary', hidden: true });
  }

  render(report, { title, haveTitle } = {}) {
    if (!report) {
      this.el.hidden = true;
      return;
    }
    this.el.hidden = false;
    const layers = report.layers || [];
    const total = layers.reduce((a, l) => a + (l.size || 0), 0);
    const kv = (k, v, cls) => h('div', { class: 'kv' }, h('dt', null, k), h('dd', { class: cls }, v));
    const digest = (d) => h('span', { class: 'mono', title: d || '' }, fmt.shortDigest(d, 16));
    const log = report.requestLog || [];
    const logDetails = log.length
      ? h('details', { class: 'request-log' },
        h('summary', null, `Request log (${fmt.plural(log.length, 'request')})`),
        h('div', { class: 'table-wrap' },
          h('table', { class: 'data compact' },
            h('thead', null, h('tr', null, ...['Purpose', 'Status', 'Range', 'Bytes', 'URL'].map((c) => h('th', null, c)))),
            h('tbody', null, ...log.map((r) =>
              h('tr', { class: r.aborted ? 'warn' : '' },
                h('td', null, r.purpose || ''),
                h('td', { class: 'num' }, String(r.status ?? ''), r.aborted ? ' (aborted)' : ''),
                h('td', { class: 'mono' }, r.range || '—'),
                h('td', { class: 'num' }, fmt.int(r.bytes)),
                h('td', { class: 'mono url' }, r.url || '')))))))
      : null;
    fill(this.el,
      h('div', { class: 'summary-head' },
        h('h2', null, title || report.source || 'Image'),
        haveTitle ? h('span', { class: 'badge muted' }, `compared with ${haveTitle}`) : null),
      h('dl', { class: 'kvs' },
        report.manifestDigest ? kv('Manifest', digest(report.manifestDigest)) : null,
        report.platform ? kv('Platform', report.platform) : null,
        report.configDigest ? kv('Config', digest(report.configDigest)) : null,
        kv('Layers', `${fmt.int(layers.length)} · ${fmt.bytes(total)}`),
        kv('Read', report.requests != null && report.bytesFetched != null && report.requests > 0
          ? `${fmt.bytes(report.bytesFetched)} in ${fmt.plural(report.requests, 'request')}`
          : `${fmt.bytes(report.bytesRead)} in ${fmt.plural(report.reads || 0, 'read')}`,
        'strong'),
        total ? kv('Share of layers read', fmt.percent(report.bytesRead || 0, total, 2)) : null),
      logDetails);
  }
}

export class LayersTable extends Emitter {
  constructor() {
    super();
    this.tbody = h('tbody');
    this.el = h('section', { class: 'card layers', hidden: true },
      h('h3', null, 'Layers'),
      h('div', { class: 'table-wrap' },
        h('table', { class: 'data layers-table' },
          h('thead', null, h('tr', null,
            h('th', null, '#'), h('th', null, 'Layer'), h('th', null, 'Format'),
            h('th', { class: 'num' }, 'Size'), h('th', { class: 'num' }, 'TOC'),
            h('th', { class: 'num' }, 'tar-split'), h('th', { class: 'num', title: 'TOC entries, including the extra chunk entries of multi-chunk files' }, 'TOC entries'),
            h('th', { class: 'num' }, 'Files'), h('th', null, 'Checks'),
            h('th', null, 'Partial pull'), h('th', { class: 'num' }, 'Read'))),
          this.tbody)));
    this.selected = -1;
    this.rows = [];
  }

  /** @param {{reused?: (string|null)[]}} opts  per layer, how the pull plan reuses it (or null) */
  render(report, { reused = null } = {}) {
    const layers = report?.layers || [];
    this.el.hidden = !layers.length;
    this.rows = [];
    const trs = [];
    layers.forEach((l, i) => {
      const cs = checkSummary(l);
      const checksBtn = h('button', { type: 'button', class: `link ${cs.cls}`, title: cs.title, 'aria-expanded': 'false' }, cs.text);
      const tr = h('tr', {
        class: 'layer-row',
        tabindex: '0',
        dataset: { layerDigest: l.digest, layerIndex: i },
        'aria-selected': 'false',
      },
      h('td', { class: 'num' }, String(i + 1)),
      h('td', { class: 'mono digest', title: l.digest }, fmt.shortDigest(l.digest), h('span', { class: 'have-slot' })),
      h('td', null, badgeForFormat(l)),
      h('td', { class: 'num', title: `${fmt.int(l.size)} bytes` }, fmt.bytes(l.size)),
      l.notRead
        ? h('td', { class: 'num not-read', title: notReadText(l.notRead) }, 'not read')
        : h('td', { class: 'num', title: l.toc ? `${fmt.int(l.toc.length)} bytes compressed, ${fmt.int(l.toc.uncompressedLength)} uncompressed${l.toc.digestVerified ? ', digest verified' : ''}` : '' },
          l.toc ? fmt.bytes(l.toc.length) : '—'),
      l.tarSplit?.notRead
        ? h('td', { class: 'num not-read', title: notReadText(l.tarSplit.notRead) }, 'not read')
        : h('td', { class: 'num', title: l.tarSplit ? `${fmt.int(l.tarSplit.length)} bytes compressed, ${fmt.int(l.tarSplit.uncompressedLength)} uncompressed` : '' },
          l.tarSplit ? fmt.bytes(l.tarSplit.length) : '—'),
      h('td', { class: 'num entries' }, l.toc && !l.notRead ? fmt.int(l.entries) : '—'),
      h('td', { class: 'num files' }, l.toc && !l.notRead ? fmt.int(l.files) : '—'),
      h('td', { class: 'checks' }, checksBtn),
      h('td', { class: 'partial' }, verdictBadge(l.partialPull),
        hazardBadge(l.pullHazards),
        !l.partialPull?.eligible && l.partialPull?.reason && !l.error && !l.notRead ? h('span', { class: 'reason' }, l.partialPull.reason) : null,
        l.notRead ? h('span', { class: 'reason not-read-note', dataset: { notRead: l.notRead.code } }, notReadText(l.notRead)) : null,
        l.tarSplit?.notRead ? h('span', { class: 'reason not-read-note', dataset: { notRead: l.tarSplit.notRead.code } }, notReadText(l.tarSplit.notRead)) : null,
        estargzNote(l), h('span', { class: 'here-slot' })),
      h('td', { class: 'num', title: (l.readLog || []).map((r) => `bytes ${fmt.int(r.offset)}–${fmt.int(r.offset + r.length - 1)}`).join('\n') },
        `${fmt.bytes(l.bytesRead)} · ${fmt.plural(l.reads || 0, 'read')}`));
      const detail = h('tr', { class: 'layer-detail', hidden: true },
        h('td', { colspan: '11' }, this.checkList(l)));
      checksBtn.addEventListener('click', (e) => {
        e.stopPropagation();
        detail.hidden = !detail.hidden;
        checksBtn.setAttribute('aria-expanded', String(!detail.hidden));
      });
      tr.addEventListener('click', () => this.emit('select', i));
      tr.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); this.emit('select', i); }
      });
      trs.push(tr, detail);
      if (l.error) {
        const stall = stallText(l.error);
        trs.push(h('tr', { class: 'layer-error', dataset: { kind: l.error.kind, stage: l.error.stage } }, h('td', { colspan: '11' },
          h('span', { class: 'badge bad' }, stall ? 'time-out' : 'error'), ' ',
          stall ? h('strong', { class: 'stall' }, `${stall}. `) : null,
          l.error.message)));
      }
      this.rows.push(tr);
    });
    fill(this.tbody, trs);
    this.markReused(reused);
    this.setSelected(this.selected < layers.length ? this.selected : -1);
  }

  /** Marks the layers a pull reuses from the image already present (per layer: reusedBy or null). */
  markReused(reused) {
    this.rows.forEach((tr, i) => {
      const by = reused ? reused[i] : null;
      fill(tr.querySelector('.have-slot'), by
        ? h('span', {
          class: 'badge good small',
          title: by === 'blob digest'
            ? 'The same blob is in the image you already have: a pull reuses it'
            : `A pull reuses the layer you already have (same ${by})`,
        }, 'have')
        : null);
    });
  }

  /**
   * Once the Registry check has run and the plan predicts on the class it found (`probed` equals
   * the plan's predicted behaviour), each layer says what podman does with it on this registry:
   * "On this registry: whole blob downloaded again, 3.6 MB in 2 requests". A behaviour merely
   * chosen in the Pull cost tab is hypothetical and not shown here.
   */
  markPredicted(plan, probed) {
    const here = !!plan && !!probed && plan.totals?.predicted?.behaviour === probed;
    const byIndex = new Map((here ? plan.layers : []).map((l) => [l.index - 1, l]));
    this.rows.forEach((tr, i) => {
      const lp = byIndex.get(i);
      const p = lp?.predicted;
      const words = lp?.reused
        ? 'On this registry: nothing to fetch (the layer is already present)'
        : p ? `On this registry: ${PREDICTED[p.outcome]?.[0] || p.outcome}, ${fmt.bytes(p.bytes)} in ${fmt.plural(p.requests.length, 'request')}` : '';
      fill(tr.querySelector('.here-slot'), words
        ? h('span', {
          class: `reason predicted-here ${lp?.reused ? 'good-text' : PREDICTED[p.outcome]?.[1] || ''}`,
          dataset: { predicted: p ? p.outcome : 'reused', behaviour: probed },
          title: p?.error || '',
        }, words)
        : null);
    });
  }

  checkList(l) {
    const entries = Object.entries(l.checks || {});
    return h('div', { class: 'check-list' },
      h('div', { class: 'mono full-digest' }, l.digest),
      verdictBlock(l.partialPull),
      differencesBlock(l.tocTarSplitDifferences),
      hazardsBlock(l.pullHazards),
      entries.length
        ? h('ul', null, ...entries.map(([k, c]) =>
          h('li', { class: c.state === 'pass' ? 'good' : 'bad' },
            h('span', { class: 'mark', 'aria-hidden': 'true' }, c.state === 'pass' ? '✓' : '✗'),
            h('strong', null, fmt.checkLabel(k)), ' ',
            h('span', { class: 'muted' }, c.detail || ''))))
        : h('p', { class: 'muted' }, 'No checks ran: the layer has no zstd:chunked metadata.'));
  }

  setSelected(i) {
    this.selected = i;
    this.rows.forEach((r, k) => {
      r.classList.toggle('selected', k === i);
      r.setAttribute('aria-selected', String(k === i));
    });
  }
}

/**
 * A section deliberately not read (`notRead`, README "Over the limit") in words: not an error, the
 * reference puller does not read it either and pulls the layer whole.
 */
export function notReadText(nr) {
  if (!nr) return '';
  const what = nr.what || 'TOC';
  const mib = (n) => (n % 1048576 === 0 ? `${fmt.int(n / 1048576)} MiB` : fmt.bytes(n));
  if (nr.code === 'tar-split-over-limit') {
    return `${what} not read: ${fmt.bytes(nr.size)} (${fmt.int(nr.size)} bytes) is over chunkscope's ${mib(nr.limit)} limit ` +
      '(the reference puller has none and reads it); the layer was inspected without its tar-split';
  }
  if (nr.code === 'toc-over-limit') {
    return `${what} not read: ${fmt.bytes(nr.size)} (${fmt.int(nr.size)} bytes) is over the reference puller's ${mib(nr.limit)} limit, ` +
      'so podman does not read it either and pulls this layer whole';
  }
  return `${what} not read (${nr.code}): ${fmt.bytes(nr.size)}, limit ${fmt.bytes(nr.limit)}`;
}

const STALL_STAGE = {
  connect: 'while connecting',
  headers: 'waiting for the answer\'s headers',
  body: 'in the middle of the body',
};

/**
 * A stall (`network` error with `stage`, README "Errors") in words: "Timed out waiting for the
 * answer's headers (nothing for 2 s)"; '' for any other error.
 */
export function stallText(err) {
  const stage = err && (err.stage || err.details?.stage);
  if (!stage || !STALL_STAGE[stage]) return '';
  const seconds = err.seconds ?? err.details?.seconds;
  return `Timed out ${STALL_STAGE[stage]}${seconds != null ? ` (nothing arrived for ${seconds} s)` : ''}`;
}

/** What podman really does with a layer on the registry (LayerPlan.predicted.outcome), in words. */
const PREDICTED = {
  partial: ['partial pull', 'good-text'],
  'double-download': ['whole blob downloaded again', 'warn-text'],
  'full-fallback': ['falls back to a full pull', 'warn-text'],
  fails: ['the pull fails', 'bad-text'],
};

// ---- The puller's verdict and pull hazards (every name from the layer is set as text). ----

const OUTCOME = {
  partial: { cls: 'good', text: 'partial', title: 'The reference puller (podman 5.4, containers/storage 1.57) pulls this layer partially' },
  'full-pull': { cls: 'warn', text: 'full pull', title: 'The reference puller fetches this layer whole with one ordinary GET' },
  fails: { cls: 'bad', text: 'pull fails', title: 'The reference puller refuses this layer: the pull of the image fails, with no fallback' },
};

/** The verdict as a badge: partial / full pull / pull fails. */
export function verdictBadge(pp) {
  const o = pp?.code === 'tar-split-not-checked'
    ? { cls: 'warn', text: 'partial?', title: 'Partial pull if the tar-split matches the TOC: tick "verify each layer\'s tar-split" to check (a mismatch makes the reference pull fail)' }
    : OUTCOME[pp?.outcome] || OUTCOME.fails;
  const title = [o.title, pp?.reason, pp?.error].filter(Boolean).join('\n');
  return h('span', { class: `badge ${o.cls}`, title, dataset: { outcome: pp?.outcome || '' } }, o.text);
}

function hazardBadge(hazards) {
  if (!hazards?.length) return null;
  return h('span', {
    class: 'badge small warn hazards',
    title: hazards.map((x) => `${x.pull === 'partial' ? 'partial pull' : 'full pull'}: ${x.kind} (${x.count})`).join('\n'),
  }, fmt.plural(hazards.length, 'hazard'));
}

function verdictBlock(pp) {
  if (!pp) return null;
  const o = OUTCOME[pp.outcome] || OUTCOME.fails;
  return h('div', { class: 'pull-verdict' },
    h('strong', null, 'Reference puller: '), verdictBadge(pp), ' ',
    h('span', { class: 'mono small' }, pp.code || ''), ' ',
    pp.reason ? h('span', null, pp.reason) : h('span', null, o.title),
    pp.error ? h('div', { class: 'mono verdict-error' }, pp.error) : null,
    h('div', { class: 'muted small' }, `Rule: ${pp.source || ''}`));
}

function differencesBlock(diffs) {
  if (!diffs?.length) return null;
  return h('div', { class: 'differences' },
    h('strong', null, 'TOC ↔ tar-split differences (containers/storage\'s terms, one per entry):'),
    h('ul', null, ...diffs.map((d) => h('li', { class: 'bad' },
      h('span', { class: 'mono small' }, d.kind + (d.field ? ` · ${d.field}` : '')), ' ',
      h('span', { class: 'mono' }, d.message),
      d.note ? h('div', { class: 'muted small' }, d.note) : null))));
}

function hazardsBlock(hazards) {
  if (!hazards?.length) return null;
  return h('div', { class: 'hazards' },
    h('strong', null, 'Pull hazards (what the stored layer loses):'),
    h('ul', null, ...hazards.map((x) => h('li', { class: 'warn', dataset: { hazard: x.kind } },
      h('span', { class: 'badge small warn' }, x.pull === 'partial' ? 'partial pull' : 'full pull'), ' ',
      h('strong', null, x.kind), ` — ${fmt.plural(x.count, 'entry', 'entries')}: `,
      h('span', { class: 'mono' }, x.examples.map((e) => fmt.isolate(e)).join(', ') + (x.count > x.examples.length ? ', …' : '')),
      h('div', { class: 'muted small' }, x.detail)))));
}
