// probe-view.js — does this registry serve byte ranges the way partial pulls need? Runs the range
// probe on one layer blob and shows the verdict, what was observed, and the configuration that
// fixes it. All configuration text comes from the wasm module: the probe's `fix` (nginx / storage
// lines for this verdict) and `corsFix`, or `corsConfig()` before any probe ran; no JS copy.

import { h, fill, Emitter, copyButton } from './dom.js';
import * as fmt from './format.js';
import { serveInfo } from './api.js';

// The probe's typed verdict (wire names of registry::probe::Verdict) → the colour of the box.
const VERDICT_CLASS = {
  'partial-pulls-work': 'good',
  'partial-pulls-retry': 'warn',
  'whole-layers': 'warn',
  'full-pull-fallback': 'warn',
  'pull-fails': 'bad',
  unknown: 'muted',
};

const VERDICT_TITLE = {
  'partial-pulls-work': 'Partial pulls work',
  'partial-pulls-retry': 'Partial pulls work, with retries',
  'whole-layers': 'Partial pulls silently download whole layers',
  'full-pull-fallback': 'Pulls fall back to full downloads',
  'pull-fails': 'Partial pulls fail',
  unknown: 'Unknown: run the multi-range check',
};

/** `class[:status][:cap]`, the behaviour's text form (as the CLI's --registry-behaviour takes it). */
function behaviourText(p) {
  if (!p.class) return 'not classified (multi-range not tried)';
  return [p.class, p.status, p.cap].filter((x) => x !== null && x !== undefined).join(':');
}

export class ProbeView extends Emitter {
  constructor() {
    super();
    // chunkscope serve forwards single ranges only: no multi-range request through its gateway.
    this.viaServe = !!serveInfo();
    this.multi = h('input', { type: 'checkbox', props: { checked: !this.viaServe, disabled: this.viaServe } });
    this.ladder = h('input', { type: 'checkbox', class: 'ladder', props: { checked: false, disabled: this.viaServe } });
    this.run = h('button', { type: 'button', class: 'btn primary' }, 'Run the range check');
    this.run.addEventListener('click', () =>
      this.emit('run', { multiRange: this.multi.checked || this.ladder.checked, ladder: this.ladder.checked }));
    this.result = h('div', { class: 'probe-result' });
    this.corsText = h('pre', { class: 'code cors-config' });
    this.corsCopy = copyButton(() => this.corsText.textContent, 'Copy', 'Copy distribution CORS config');
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
        h('label', { class: 'check', title: this.viaServe ? 'chunkscope serve forwards single ranges only' : '' }, this.multi,
          h('span', null, this.viaServe
            ? 'Also try a multi-range request (not through chunkscope serve: it forwards single ranges only)'
            : 'Also try a multi-range request')),
        h('label', { class: 'check', title: 'Sends 16, 64, 256 and 1024 ranges in one request (256 bytes read of each) and bisects to find the largest count the registry accepts' },
          this.ladder, h('span', null, 'Find the range cap (ladder)'))),
      this.result,
      this.cors);
  }

  /** The CORS configuration text (the module's corsConfig(), or a probe's corsFix). */
  setCorsConfig(text) {
    this.corsText.textContent = text || '';
    // behind chunkscope serve the page reads registries through its own origin: no CORS needed
    this.cors.hidden = !text || this.viaServe;
  }

  /** Enables the Run button; a disabled one says why, in words next to it (its aria-describedby). */
  setEnabled(on, why = '') {
    this.run.disabled = !on;
    this.run.title = why;
    if (!this.runWhy) {
      this.runWhy = h('span', { class: 'muted small run-why', id: 'probe-run-why' });
      this.run.after(this.runWhy);
      this.run.setAttribute('aria-describedby', 'probe-run-why');
    }
    this.runWhy.textContent = !on && why ? why : '';
    this.runWhy.hidden = on || !why;
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
      h('div', { class: `verdict ${VERDICT_CLASS[p.verdict] || 'muted'}`, dataset: { verdict: p.verdict || '', class: p.class || '' } },
        h('div', { class: 'verdict-title' }, VERDICT_TITLE[p.verdict] || 'no verdict'),
        p.verdictText ? h('div', { class: 'verdict-text' }, p.verdictText) : null),
      h('table', { class: 'data compact probe-table' },
        h('tbody', null,
          row('Behaviour class', h('span', { class: 'mono behaviour' }, behaviourText(p)),
            p.class === 'multipart' ? 'good-text' : p.class ? 'warn-text' : 'muted'),
          row('Blob', h('span', { class: 'mono', title: digest || '' }, `${registry || ''} · ${fmt.shortDigest(digest)}`)),
          row('Single range', `${sr.status ?? '—'} ${sr.ok ? '(partial content: good)' : '(not a partial answer)'}`, sr.ok ? 'good-text' : 'bad-text'),
          row('Content-Range readable', sr.contentRangeExposed ? 'yes' : 'no: add it to Access-Control-Expose-Headers',
            sr.contentRangeExposed ? 'good-text' : 'warn-text'),
          row('Same range again', `${p.repeatRange?.status ?? '—'}`, p.repeatRange?.ok ? 'good-text' : 'bad-text'),
          row('Multi-range', mr.kind === 'not-tried' ? 'not tried' : `${mr.status ?? '—'} · ${mr.kind}`,
            mr.kind === 'multipart' ? 'good-text' : mr.kind === 'not-tried' ? 'muted' : 'warn-text'),
          (p.ladder || []).length
            ? row('Range ladder', p.ladder.map((s) => `${s.ranges}→${s.status}`).join(' '), p.cap ? 'warn-text' : 'good-text')
            : null,
          row('Accept-Ranges', p.acceptRanges || '(not sent or not readable)'),
          row('Redirected to', p.redirectedTo || '(no redirect)'),
          row('Probe cost', `${fmt.bytes(p.bytesFetched)} in ${fmt.plural(p.requests || 0, 'request')}`))),
      p.fix
        ? h('div', { class: 'fix' },
          h('div', { class: 'fix-head' }, h('h4', null, 'What to change for podman and CRI-O'), copyButton(() => p.fix, 'Copy', 'Copy the registry fix')),
          h('pre', { class: 'code fix-text' }, p.fix))
        : null,
      p.redirectedTo
        ? h('p', { class: 'muted small redirect-note' },
          `Blobs are served from ${p.redirectedTo}: a browser reads them there, so its CORS rules must allow ` +
            'this page too (the same origins, methods and headers as below).')
        : null,
      // what this page needs, apart from the fix for podman
      p.browserFix
        ? h('div', { class: 'fix browser-fix' },
          h('div', { class: 'fix-head' }, h('h4', null, 'For this page: CORS on the storage blobs are redirected to'),
            copyButton(() => p.browserFix, 'Copy', 'Copy the storage CORS rules')),
          h('pre', { class: 'code browser-fix-text' }, p.browserFix))
        : null);
    if (p.corsFix) this.setCorsConfig(p.corsFix);
  }
}
