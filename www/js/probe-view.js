// probe-view.js — does this registry serve byte ranges the way partial pulls need? Runs the range
// probe on one layer blob and shows the verdict, what was observed, and the configuration that
// fixes it. All configuration text comes from the wasm module: the probe's `fix` (nginx / storage
// lines for this verdict) and `corsFix`, or `corsConfig()` before any probe ran; no JS copy.

import { h, fill, Emitter, copyButton } from './dom.js';
import * as fmt from './format.js';

function verdictClass(v) {
  const t = String(v || '').toLowerCase();
  if (t.includes('will fail')) return 'bad';
  if (t.includes('whole') || t.includes('silently') || t.includes('fall back') || t.includes('unknown')) return 'warn';
  if (t.includes('work')) return 'good';
  return 'muted';
}

export class ProbeView extends Emitter {
  constructor() {
    super();
    this.multi = h('input', { type: 'checkbox', props: { checked: true } });
    this.run = h('button', { type: 'button', class: 'btn primary' }, 'Run the range check');
    this.run.addEventListener('click', () => this.emit('run', { multiRange: this.multi.checked }));
    this.result = h('div', { class: 'probe-result' });
    this.corsText = h('pre', { class: 'code cors-config' });
    this.corsCopy = copyButton(() => this.corsText.textContent);
    this.cors = h('div', { class: 'snippets', hidden: true },
      h('h4', null, 'CORS settings this inspector needs'),
      h('div', { class: 'snippet-head' },
        h('span', { class: 'muted' },
          'CNCF distribution config.yml: what a registry on another origin must send so that this page can read it'),
        this.corsCopy),
      this.corsText);
    this.el = h('div', { class: 'probe-view' },
      h('p', null,
        'Checks how the registry answers byte-range requests for one layer blob: a single range (what chunkscope ' +
          'uses), and optionally two ranges in one request (what podman and CRI-O send for partial pulls; reads a few kB).'),
      h('div', { class: 'toolbar' }, this.run,
        h('label', { class: 'check' }, this.multi, h('span', null, 'Also try a multi-range request'))),
      this.result,
      this.cors);
  }

  /** The CORS configuration text (the module's corsConfig(), or a probe's corsFix). */
  setCorsConfig(text) {
    this.corsText.textContent = text || '';
    this.cors.hidden = !text;
  }

  setEnabled(on, why = '') {
    this.run.disabled = !on;
    this.run.title = why;
  }

  showRunning(text = 'Probing…') {
    fill(this.result, h('p', { class: 'placeholder muted loading' }, text));
  }

  showError(node) {
    fill(this.result, node);
  }

  clear() {
    fill(this.result);
  }

  render(p, { registry, digest } = {}) {
    const row = (k, v, cls) => h('tr', null, h('th', null, k), h('td', { class: cls }, v));
    const sr = p.singleRange || {};
    const mr = p.multiRange || {};
    fill(this.result,
      h('div', { class: `verdict ${verdictClass(p.verdict)}`, dataset: { verdict: p.verdict || '' } },
        h('div', { class: 'verdict-title' }, p.verdict || 'no verdict'),
        p.verdictText ? h('div', { class: 'verdict-text' }, p.verdictText) : null),
      h('table', { class: 'data compact probe-table' },
        h('tbody', null,
          row('Blob', h('span', { class: 'mono', title: digest || '' }, `${registry || ''} · ${fmt.shortDigest(digest)}`)),
          row('Behaviour class', p.class
            ? h('span', { class: 'mono', dataset: { probeClass: [p.class, p.status, p.cap].filter((v) => v != null).join(':') } },
              [p.class, p.status, p.cap].filter((v) => v != null).join(':'))
            : 'unknown (run the multi-range check)', p.class === 'multipart' ? 'good-text' : p.class ? 'warn-text' : 'muted'),
          row('Single range', `${sr.status ?? '—'} ${sr.ok ? '(partial content: good)' : '(not a partial answer)'}`, sr.ok ? 'good-text' : 'bad-text'),
          row('Content-Range readable', sr.contentRangeExposed ? 'yes' : 'no: add it to Access-Control-Expose-Headers',
            sr.contentRangeExposed ? 'good-text' : 'warn-text'),
          row('Multi-range', mr.kind === 'not-tried' ? 'not tried' : `${mr.status ?? '—'} · ${mr.kind}`,
            mr.kind === 'multipart' ? 'good-text' : mr.kind === 'not-tried' ? 'muted' : 'warn-text'),
          row('Accept-Ranges', p.acceptRanges || '(not sent or not readable)'),
          row('Redirected to', p.redirectedTo || '(no redirect)'),
          row('Probe cost', `${fmt.bytes(p.bytesFetched)} in ${fmt.plural(p.requests || 0, 'request')}`))),
      p.fix
        ? h('div', { class: 'fix' },
          h('div', { class: 'fix-head' }, h('h4', null, 'What to change'), copyButton(() => p.fix)),
          h('pre', { class: 'code fix-text' }, p.fix))
        : null,
      p.redirectedTo
        ? h('p', { class: 'muted small redirect-note' },
          `Blobs are served from ${p.redirectedTo}: a browser reads them there, so its CORS rules must allow ` +
            'this page too (the same origins, methods and headers as below).')
        : null);
    if (p.corsFix) this.setCorsConfig(p.corsFix);
  }
}
