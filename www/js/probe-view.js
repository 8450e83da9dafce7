// probe-view.js — does this registry serve byte ranges the way partial pulls need? Runs the range
// probe on one layer blob and shows the verdict, what was observed, and the exact configuration that
// fixes it: CNCF distribution `http.headers`, nginx, and an S3 bucket's CORS rules.

import { h, fill, Emitter, copyButton } from './dom.js';
import * as fmt from './format.js';

export const EXPOSE = ['Content-Range', 'Content-Length', 'Docker-Content-Digest', 'WWW-Authenticate', 'ETag', 'Accept-Ranges'];
export const ALLOW_HEADERS = ['Accept', 'Range', 'Authorization', 'Cache-Control'];

/** Configuration snippets for a UI served from `origin` (null: anonymous, any origin). */
export function configSnippets(origin) {
  const o = origin || '*';
  const distribution = [
    '# config.yml of CNCF distribution (registry:2 / registry:3)',
    'http:',
    '  headers:',
    `    Access-Control-Allow-Origin: ['${o}']`,
    '    Access-Control-Allow-Methods: [HEAD, GET, OPTIONS]',
    `    Access-Control-Allow-Headers: [${ALLOW_HEADERS.join(', ')}]`,
    `    Access-Control-Expose-Headers: [${EXPOSE.join(', ')}]`,
    '# Blobs redirected to S3/GCS need CORS on the bucket too (see "S3 bucket"),',
    '# or keep blobs on the registry: storage: redirect: disable: true',
  ].join('\n');
  const nginx = [
    '# nginx in front of the registry',
    'location /v2/ {',
    `    add_header Access-Control-Allow-Origin "${o}" always;`,
    '    add_header Access-Control-Allow-Methods "GET, HEAD, OPTIONS" always;',
    `    add_header Access-Control-Allow-Headers "${ALLOW_HEADERS.join(', ')}" always;`,
    `    add_header Access-Control-Expose-Headers "${EXPOSE.join(', ')}" always;`,
    '    if ($request_method = OPTIONS) { return 204; }',
    '',
    '    proxy_pass http://registry:5000;',
    '    # Let the registry answer ranges: pass Range through (the default) and do not',
    '    # add `proxy_set_header Range "";`, `proxy_force_ranges on;` or `max_ranges 0|1;`.',
    '    # With slice/proxy_cache, multi-range requests get the whole blob (200).',
    '}',
  ].join('\n');
  const s3 = JSON.stringify({
    CORSRules: [{
      AllowedOrigins: [o],
      AllowedMethods: ['GET', 'HEAD'],
      AllowedHeaders: ['Range', 'Accept', 'Authorization'],
      ExposeHeaders: ['Content-Range', 'Content-Length', 'ETag', 'Accept-Ranges'],
      MaxAgeSeconds: 3600,
    }],
  }, null, 2);
  return [
    { key: 'distribution', label: 'distribution config.yml', text: distribution },
    { key: 'nginx', label: 'nginx', text: nginx },
    {
      key: 's3',
      label: 'S3 bucket CORS',
      text: `${s3}\n\n# aws s3api put-bucket-cors --bucket BUCKET --cors-configuration file://cors.json\n` +
        '# S3 (and minio, GCS) serve ONE range per request: podman/CRI-O then download whole layers.\n' +
        '# chunkscope\'s single-range plan (Pull cost tab) shows what a single-range puller would fetch.',
    },
  ];
}

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
    this.snippets = h('div', { class: 'snippets' });
    this.el = h('div', { class: 'probe-view' },
      h('p', null,
        'Checks how the registry answers byte-range requests for one layer blob: a single range (what chunkscope ' +
          'uses), and optionally two ranges in one request (what podman and CRI-O send for partial pulls; reads a few kB).'),
      h('div', { class: 'toolbar' }, this.run,
        h('label', { class: 'check' }, this.multi, h('span', null, 'Also try a multi-range request'))),
      this.result,
      h('h4', null, 'Registry configuration for browsers and partial pulls'),
      this.snippets);
    this.renderSnippets(null);
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
      p.corsFix
        ? h('details', { class: 'fix cors-fix' },
          h('summary', null, 'CORS settings this inspector needs'),
          h('div', { class: 'fix-head' }, h('span'), copyButton(() => p.corsFix)),
          h('pre', { class: 'code' }, p.corsFix))
        : null);
    this.renderSnippets(null);
  }

  renderSnippets(origin) {
    const snippets = configSnippets(origin);
    const tabs = h('div', { class: 'segmented', role: 'tablist' });
    const pre = h('pre', { class: 'code' });
    const copy = copyButton(() => pre.textContent);
    let current = 0;
    const show = (i) => {
      current = i;
      [...tabs.children].forEach((b, k) => b.setAttribute('aria-selected', String(k === i)));
      pre.textContent = snippets[i].text;
      pre.dataset.snippet = snippets[i].key;
    };
    snippets.forEach((sn, i) => {
      const b = h('button', { type: 'button', class: 'seg', role: 'tab' }, sn.label);
      b.addEventListener('click', () => show(i));
      tabs.appendChild(b);
    });
    fill(this.snippets, h('div', { class: 'snippet-head' }, tabs, copy), pre);
    show(current);
  }
}
