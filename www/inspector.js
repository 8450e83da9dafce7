// inspector.js — <chunkscope-inspector registry image have platform>: the whole inspector as one
// custom element (shadow DOM, styled by inspector.css next to this file, themable with --cs-*
// custom properties). www/index.html is just this element with `sync-url`, which reads the page's
// ?registry=&image=&have=&platform= at start and keeps the address bar in step with the view.
//
//   <script type="module" src="/chunkscope/inspector.js"></script>
//   <chunkscope-inspector registry="https://registry.example.com" image="app:1.2" have="app:1.1">
//   </chunkscope-inspector>
//
// Events (bubbling, composed): `chunkscope-report` {detail: {report}}, `chunkscope-error` {detail:
// {message}}. Everything that comes from a registry is rendered as text, never parsed as HTML.

import { h, fill } from './js/dom.js';
import * as fmt from './js/format.js';
import { loadModule, parseImage, normaliseRegistry, imageText } from './js/api.js';
import { explain, CORS_HEADERS } from './js/errors.js';
import { RegistryForm } from './js/registry-form.js';
import { ImageSummary, LayersTable } from './js/layers.js';
import { TocView } from './js/toc-view.js';
import { FileDetails } from './js/file-details.js';
import { ChunkMap } from './js/chunk-map.js';
import { PlanView } from './js/plan-view.js';
import { ProbeView, configSnippets } from './js/probe-view.js';
import { Preview } from './js/preview.js';

const STYLESHEET = new URL('./inspector.css', import.meta.url).href;
const TABS = [
  ['files', 'Files'],
  ['map', 'Chunk map'],
  ['plan', 'Pull cost'],
  ['probe', 'Registry check'],
];

/** Query string with readable ':', '/' and '@'. */
function queryString(params) {
  return Object.entries(params)
    .filter(([, v]) => v !== undefined && v !== null && v !== '')
    .map(([k, v]) => `${k}=${encodeURIComponent(v).replace(/%3A/gi, ':').replace(/%2F/gi, '/').replace(/%40/g, '@')}`)
    .join('&');
}

/**
 * cs.inspectImage with progress events. `onProgress` is passed as a non-enumerable property: the
 * module finds it by name, while option parsers that walk the object's own enumerable keys (serde
 * `flatten`) never see a function value. Should a build still reject it ("bad options …
 * onProgress"), the call is repeated without progress rather than failing.
 */
async function inspectWithProgress(cs, opts) {
  const { onProgress, ...rest } = opts;
  const withProgress = { ...rest };
  if (onProgress) Object.defineProperty(withProgress, 'onProgress', { value: onProgress, enumerable: false });
  try {
    return await cs.inspectImage(withProgress);
  } catch (e) {
    if (onProgress && /bad options.*onProgress/i.test(String(e && e.message))) {
      console.warn('chunkscope: this build rejects onProgress; inspecting without progress events');
      return cs.inspectImage(rest);
    }
    throw e;
  }
}

export class ChunkscopeInspector extends HTMLElement {
  static get observedAttributes() {
    return ['registry', 'image', 'have', 'platform'];
  }

  constructor() {
    super();
    this.root = this.attachShadow({ mode: 'open' });
    this.loadSeq = 0;
    this.state = { tab: 'files', layer: -1, file: null, source: null };
    this.build();
  }

  // ------------------------------------------------------------------ construction

  build() {
    this.form = new RegistryForm();
    this.form.on('submit', (v) => this.inspect(v));
    this.form.on('file', (v) => this.inspectLocal(v));
    this.form.on('error', (e) => this.showError(e, { action: 'open the file' }));

    this.progressText = h('span', { class: 'progress-text' });
    this.progressBar = h('div', { class: 'progress-bar' }, h('div', { class: 'progress-fill' }));
    this.progress = h('div', { class: 'progress', hidden: true, role: 'status', 'aria-live': 'polite' },
      h('span', { class: 'spinner', 'aria-hidden': 'true' }), this.progressText, this.progressBar);
    this.errorBox = h('div', { class: 'error-box', hidden: true, role: 'alert' });
    this.notice = h('div', { class: 'notice', hidden: true, role: 'status' });

    this.summary = new ImageSummary();
    this.layers = new LayersTable();
    this.layers.on('select', (i) => this.selectLayer(i));

    this.toc = new TocView();
    this.toc.on('select', ({ path, file, node }) => this.selectFile(path, { file, node, from: 'toc' }));
    this.toc.on('state', () => this.syncUrl());
    this.details = new FileDetails();
    this.preview = new Preview();
    this.details.on('preview', (f) => this.previewFile(f));
    this.details.on('show-on-map', (f) => {
      this.setTab('map');
      const i = this.toc.byPath.get(f.path);
      if (i !== undefined) this.map.revealFile(i);
    });
    this.map = new ChunkMap();
    this.map.on('select', ({ path, file }) => {
      this.toc.select(path, { emit: false });
      this.selectFile(path, { file, from: 'map' });
    });
    this.plan = new PlanView();
    this.plan.on('options', () => this.runPlan());
    this.probe = new ProbeView();
    this.probe.on('run', (o) => this.runProbe(o));

    this.tabButtons = new Map();
    this.panels = new Map();
    const tablist = h('div', { class: 'tabs', role: 'tablist' });
    for (const [key, label] of TABS) {
      const b = h('button', { type: 'button', role: 'tab', class: 'tab', dataset: { tab: key }, 'aria-selected': 'false' }, label);
      b.addEventListener('click', () => this.setTab(key));
      tablist.appendChild(b);
      this.tabButtons.set(key, b);
    }
    this.layerTitle = h('div', { class: 'layer-title' });
    this.filesAside = h('aside', { class: 'aside' });
    this.mapAside = h('aside', { class: 'aside' });
    this.filesMain = h('div', { class: 'panel-main' }, this.toc.el);
    this.panels.set('files', h('div', { class: 'panel files-panel', role: 'tabpanel' }, this.filesMain, this.filesAside));
    this.panels.set('map', h('div', { class: 'panel map-panel', role: 'tabpanel', hidden: true },
      h('div', { class: 'panel-main' }, this.map.el), this.mapAside));
    this.panels.set('plan', h('div', { class: 'panel plan-panel', role: 'tabpanel', hidden: true }, this.plan.el));
    this.panels.set('probe', h('div', { class: 'panel probe-panel', role: 'tabpanel', hidden: true }, this.probe.el));
    this.noFiles = h('div', { class: 'placeholder muted no-files', hidden: true });
    this.filesMain.appendChild(this.noFiles);

    this.workspace = h('section', { class: 'card workspace', hidden: true },
      h('div', { class: 'workspace-head' }, tablist, this.layerTitle),
      ...this.panels.values());

    this.versionEl = h('span', { class: 'version' });
    this.root.append(
      h('link', { rel: 'stylesheet', href: STYLESHEET }),
      h('div', { class: 'app' },
        this.form.el, this.progress, this.errorBox, this.notice,
        this.summary.el, this.layers.el, this.workspace,
        h('div', { class: 'app-foot muted' }, this.versionEl)));
    this.setTab('files', { sync: false });
  }

  connectedCallback() {
    if (this._connected) return;
    this._connected = true;
    const q = this.hasAttribute('sync-url') ? new URLSearchParams(location.search) : new URLSearchParams();
    const pick = (k) => q.get(k) ?? this.getAttribute(k) ?? '';
    this.initial = {
      registry: pick('registry'),
      image: pick('image'),
      have: q.getAll('have').length ? q.getAll('have').join(', ') : this.getAttribute('have') || '',
      platform: pick('platform'),
      layer: q.get('layer'),
      file: q.get('file'),
      tab: q.get('tab'),
      view: q.get('view'),
    };
    if (this.initial.tab && this.tabButtons.has(this.initial.tab)) this.setTab(this.initial.tab, { sync: false });
    if (this.initial.view === 'list') this.toc.setMode('list');
    this.form.setValues(this.initial);
    loadModule().then((m) => {
      try {
        this.versionEl.textContent = `chunkscope ${m.version()}`;
      } catch { /* optional */ }
    }, () => {});
    if (this.initial.registry && this.initial.image) this.inspect({ ...this.form.values(), platform: this.initial.platform });
  }

  attributeChangedCallback(name, oldValue, value) {
    if (!this._connected || oldValue === value) return;
    this.form.setValues({ [name]: value || '' });
    clearTimeout(this._attrTimer);
    this._attrTimer = setTimeout(() => {
      const v = this.form.values();
      if (v.registry && v.image) this.inspect({ ...v, platform: this.getAttribute('platform') || v.platform });
    }, 0);
  }

  // ------------------------------------------------------------------ status

  setProgress(text, fraction = null) {
    this.progress.hidden = !text;
    this._progressBase = text || '';
    if (!text) {
      clearInterval(this._progressTimer);
      this._progressTimer = null;
      this._progressT0 = null;
    } else if (!this._progressTimer) {
      this._progressT0 = performance.now();
      this._progressTimer = setInterval(() => this.tickProgress(), 250);
    }
    this.tickProgress();
    const fillEl = this.progressBar.firstChild;
    this.progressBar.classList.toggle('indeterminate', fraction === null);
    fillEl.style.width = fraction === null ? '' : `${Math.round(fraction * 100)}%`;
  }

  tickProgress() {
    const el = this._progressT0 == null ? 0 : performance.now() - this._progressT0;
    this.progressText.textContent = this._progressBase + (el > 1000 ? ` · ${fmt.duration(el)}` : '');
  }

  showError(err, ctx = {}) {
    const e = explain(err, ctx);
    const children = [
      h('div', { class: 'error-title' }, e.title),
      h('p', { class: 'error-message' }, e.message),
      e.hints.length ? h('ul', { class: 'hints' }, ...e.hints.map((t) => h('li', null, t))) : null,
    ];
    if (e.cors) {
      children.push(h('pre', { class: 'code' }, CORS_HEADERS.join('\n')));
      const sn = configSnippets(null)[0];
      children.push(h('details', null, h('summary', null, 'For CNCF distribution (config.yml)'), h('pre', { class: 'code' }, sn.text)));
    }
    fill(this.errorBox, children);
    this.errorBox.hidden = false;
    this.dispatchEvent(new CustomEvent('chunkscope-error', { detail: { message: e.message }, bubbles: true, composed: true }));
  }

  clearError() {
    this.errorBox.hidden = true;
    fill(this.errorBox);
  }

  showNotice(text) {
    this.notice.hidden = !text;
    this.notice.textContent = text || '';
  }

  // ------------------------------------------------------------------ loading

  /** Inspects a registry image (and the have-image) from form values. */
  async inspect(v) {
    let registry;
    let want;
    let haves = [];
    this.clearError();
    this.showNotice('');
    try {
      want = parseImage(v.image);
      registry = normaliseRegistry(v.registry || want.registry || '');
      if (!v.registry && want.registry) this.form.setValues({ registry });
      haves = (v.have || '').split(',').map((x) => x.trim()).filter(Boolean).map(parseImage);
    } catch (e) {
      this.showError(e, { action: 'start' });
      return;
    }
    const seq = ++this.loadSeq;
    const auth = { token: v.token, username: v.username, password: v.password };
    const base = { registry, ...Object.fromEntries(Object.entries(auth).filter(([, x]) => x)) };
    const wantText = imageText(want);
    const haveTexts = haves.map(imageText);
    this.form.setBusy(true);
    const t0 = performance.now();
    const phaseText = (ev, what) => {
      const where = ev.phase === 'manifest' ? 'manifest' : ev.phase === 'config' ? 'config'
        : ev.phase === 'token' ? 'signing in'
          : ev.layer != null ? `layer ${ev.layer + 1} metadata` : ev.phase === 'done' ? 'done' : String(ev.phase);
      return `${what}: ${where} · ${fmt.bytes(ev.bytesFetched || 0)} in ${fmt.plural(ev.requests || 0, 'request')}`;
    };
    try {
      this.setProgress(`Loading chunkscope…`);
      const cs = await loadModule();
      if (seq !== this.loadSeq) return;
      this.setProgress(`Reading ${wantText} from ${registry}…`);
      let nLayers = 0;
      const report = await inspectWithProgress(cs, {
        ...base, repository: want.repository, reference: want.reference,
        platform: v.platform || undefined, files: true, verifyTarSplit: !!v.verifyTarSplit,
        onProgress: (ev) => {
          if (seq !== this.loadSeq) return;
          if (ev.phase === 'layer') nLayers = Math.max(nLayers, ev.layer + 1);
          this.setProgress(phaseText(ev, `Reading ${wantText}`));
        },
      });
      if (seq !== this.loadSeq) return;
      const haveReports = [];
      for (const hv of haves) {
        this.setProgress(`Reading ${imageText(hv)} (already present) for comparison…`);
        try {
          haveReports.push(await inspectWithProgress(cs, {
            ...base, repository: hv.repository, reference: hv.reference,
            platform: report.platform || v.platform || undefined, files: true,
            onProgress: (ev) => { if (seq === this.loadSeq) this.setProgress(phaseText(ev, `Reading ${imageText(hv)}`)); },
          }));
        } catch (e) {
          if (seq !== this.loadSeq) return;
          this.showNotice(`Could not read ${imageText(hv)} for the comparison: ${e.message || e}`);
        }
        if (seq !== this.loadSeq) return;
      }
      this.setProgress('');
      this.state = {
        ...this.state, source: 'registry', registry, want, haves, haveReports, wantText, haveTexts,
        report, auth: base, elapsed: performance.now() - t0,
      };
      this.form.setPlatforms(report.platforms, report.platform);
      this.showReport();
      this.runPlan();
    } catch (e) {
      if (seq !== this.loadSeq) return;
      this.setProgress('');
      this.showError(e, { action: `read ${wantText}`, registry });
    } finally {
      if (seq === this.loadSeq) this.form.setBusy(false);
    }
  }

  async inspectLocal({ file, annotations }) {
    const seq = ++this.loadSeq;
    this.clearError();
    this.showNotice('');
    this.form.setBusy(true);
    try {
      this.setProgress(`Reading ${file.name} (${fmt.bytes(file.size)})…`);
      const cs = await loadModule();
      const layer = await cs.inspectBlob(file, { ...(annotations ? { annotations } : {}), files: true });
      if (seq !== this.loadSeq) return;
      this.setProgress('');
      const report = {
        source: file.name, layers: [layer], bytesRead: layer.bytesRead, reads: layer.reads, platforms: [],
      };
      this.state = { ...this.state, source: 'local', report, haveReports: [], haves: [], haveTexts: [], wantText: file.name, fileName: file.name };
      this.form.setPlatforms([]);
      this.showReport();
      this.plan.showEmpty('The pull cost needs a registry image (a local blob has no manifest to plan with).');
      this.probe.setEnabled(false, 'Needs a registry image');
    } catch (e) {
      if (seq !== this.loadSeq) return;
      this.setProgress('');
      this.showError(e, { action: `read ${file.name}` });
    } finally {
      if (seq === this.loadSeq) this.form.setBusy(false);
    }
  }

  /** Chunks and files the have-images provide: the reference puller's reuse rules. */
  buildPresence() {
    const haveReports = this.state.haveReports || [];
    if (!haveReports.length) return null;
    const digests = new Set();
    const blobs = new Set();
    for (const r of haveReports) {
      for (const l of r.layers || []) {
        blobs.add(l.digest);
        for (const f of l.fileList || []) {
          if (f.digest) digests.add(f.digest);
          for (const c of f.chunks || []) if (c.digest) digests.add(c.digest);
        }
      }
    }
    return { digests, blobs };
  }

  showReport() {
    const { report } = this.state;
    this.presence = this.buildPresence();
    this.summary.render(report, {
      title: this.state.source === 'local' ? this.state.fileName : `${this.state.wantText}`,
      haveTitle: (this.state.haveTexts || []).join(', '),
    });
    this.layers.render(report, { haveDigests: this.presence?.blobs });
    const failed = report.layers.filter((l) => l.error);
    if (failed.length) {
      const ex = explain(new Error(failed[0].error), { registry: this.state.registry });
      fill(this.notice,
        h('strong', null, `${fmt.plural(failed.length, 'layer')} could not be read. `),
        ex.title !== 'Something went wrong' ? `${ex.title}. ` : '',
        ...ex.hints.map((t) => `${t} `));
      this.notice.hidden = false;
    }
    this.workspace.hidden = false;
    this.probe.setEnabled(this.state.source === 'registry' && report.layers.length > 0, '');
    this.probe.clear();
    this.plan.showLoading(this.state.haveTexts?.length ? 'Planning the pull…' : 'Planning a cold pull…');
    // the layer and file from the URL (first load), else the first layer with files
    const init = this.initial || {};
    this.initial = null;
    let li = -1;
    if (init.layer) {
      const n = Number(init.layer);
      li = Number.isInteger(n) && n >= 1 && n <= report.layers.length
        ? n - 1
        : report.layers.findIndex((l) => l.digest === init.layer || l.digest.startsWith(init.layer));
    }
    if (li < 0) li = report.layers.findIndex((l) => l.fileList && l.fileList.length);
    if (li < 0) li = report.layers.length ? 0 : -1;
    this.selectLayer(li, { file: init.file || null });
    this.dispatchEvent(new CustomEvent('chunkscope-report', { detail: { report }, bubbles: true, composed: true }));
  }

  presenceFor(layer) {
    if (!this.presence) return null;
    if (this.presence.blobs.has(layer.digest)) return () => true;
    const d = this.presence.digests;
    return (digest) => !!digest && d.has(digest);
  }

  selectLayer(i, { file = null } = {}) {
    const report = this.state.report;
    if (!report || i < 0 || i >= report.layers.length) return;
    this.state.layer = i;
    this.state.file = null;
    this.layers.setSelected(i);
    const layer = report.layers[i];
    const files = layer.fileList || [];
    const presence = this.presenceFor(layer);
    let status = null;
    if (presence) {
      status = new Uint8Array(files.length);
      for (let k = 0; k < files.length; k++) {
        const cs = files[k].chunks || [];
        if (!cs.length) continue;
        let need = false;
        for (const c of cs) if (!c.zeros && !presence(c.digest)) { need = true; break; }
        status[k] = need ? 2 : 1;
      }
    }
    fill(this.layerTitle,
      h('span', { class: 'muted' }, `Layer ${i + 1} of ${report.layers.length}`), ' ',
      h('span', { class: 'mono', title: layer.digest }, fmt.shortDigest(layer.digest)), ' ',
      h('span', { class: 'muted' }, `· ${fmt.formatLabel(layer.format)} · ${fmt.bytes(layer.size)}`));
    const t0 = performance.now();
    this.toc.setFiles(files, { status });
    this.toc.el.hidden = !files.length;
    this.noFiles.hidden = !!files.length;
    this.noFiles.textContent = files.length ? '' : layer.error
      ? `No file list: ${layer.error}`
      : `This layer (${fmt.formatLabel(layer.format)}) has no table of contents to list: a puller downloads it whole.`;
    this.map.setLayer(layer, files, { presence });
    this.layerMs = performance.now() - t0;
    this.details.clear(files.length ? 'Select a file to see its metadata and chunks.' : '');
    this.preview.hide();
    if (file && this.toc.select(file, { emit: false })) {
      const fi = this.toc.byPath.get(file);
      this.selectFile(file, { file: fi !== undefined ? files[fi] : null, node: this.toc.selectedNode, from: 'url' });
    }
    this.placeDetails();
    this.syncUrl();
  }

  selectFile(path, { file, node, from }) {
    this.state.file = path;
    const layer = this.state.report.layers[this.state.layer];
    this.preview.hide();
    this.details.show(file, {
      path, node,
      presence: this.presenceFor(layer),
      canPreview: this.state.source === 'registry' && !!file && file.type === 'reg' && !(file.chunks || []).every((c) => c.zeros) ,
    });
    this.details.previewSlot.appendChild(this.preview.el);
    if (from !== 'map') {
      const fi = this.toc.byPath.get(path);
      this.map.select(fi !== undefined ? fi : -1);
    }
    this.syncUrl();
  }

  setTab(key, { sync = true } = {}) {
    this.state.tab = key;
    for (const [k, b] of this.tabButtons) b.setAttribute('aria-selected', String(k === key));
    for (const [k, p] of this.panels) p.hidden = k !== key;
    this.placeDetails();
    if (key === 'map') this.map.schedule();
    if (key === 'files') this.toc.schedule();
    if (sync) this.syncUrl();
  }

  placeDetails() {
    const aside = this.state.tab === 'map' ? this.mapAside : this.filesAside;
    if (this.details.el.parentNode !== aside) aside.appendChild(this.details.el);
  }

  syncUrl() {
    if (!this.hasAttribute('sync-url') || this.state.source !== 'registry') return;
    const s = this.state;
    const params = {
      registry: s.registry,
      image: s.wantText,
      have: (s.haveTexts || []).join(','),
      platform: s.report?.platforms?.length ? s.report.platform : this.form.values().platform,
      layer: s.layer >= 0 ? String(s.layer + 1) : '',
      file: s.file || '',
      tab: s.tab !== 'files' ? s.tab : '',
      view: this.toc.mode === 'list' ? 'list' : '',
    };
    const qs = queryString(params);
    const url = `${location.pathname}?${qs}${location.hash}`;
    if (url !== `${location.pathname}${location.search}${location.hash}`) history.replaceState(history.state, '', url);
  }

  // ------------------------------------------------------------------ actions

  async runPlan() {
    const s = this.state;
    if (s.source !== 'registry' || !s.want) return;
    const seq = this.loadSeq;
    const opts = this.plan.options();
    this.plan.showLoading(s.haveTexts.length ? `Planning ${s.wantText} over ${s.haveTexts.join(', ')}…` : `Planning a cold pull of ${s.wantText}…`);
    const ref = (x) => ({ ...s.auth, repository: x.repository, reference: x.reference, platform: s.report.platform || undefined });
    try {
      const cs = await loadModule();
      if (typeof cs.planPull !== 'function') {
        this.plan.showEmpty('This build of chunkscope has no pull planner (planPull).');
        return;
      }
      const plan = await cs.planPull({ want: ref(s.want), have: s.haves.map(ref), ...opts });
      if (seq !== this.loadSeq) return;
      this.plan.render(plan, { want: s.wantText, have: s.haveTexts });
    } catch (e) {
      if (seq !== this.loadSeq) return;
      const ex = explain(e, { action: 'plan the pull', registry: s.registry });
      fill(this.plan.body, h('div', { class: 'error-box inline' },
        h('div', { class: 'error-title' }, ex.title), h('p', null, ex.message),
        ex.hints.length ? h('ul', { class: 'hints' }, ...ex.hints.map((t) => h('li', null, t))) : null));
    }
  }

  async runProbe({ multiRange }) {
    const s = this.state;
    if (s.source !== 'registry') return;
    const layer = s.report.layers[Math.max(0, s.layer)];
    if (!layer) return;
    this.probe.showRunning(`Probing ${s.registry} with ${fmt.shortDigest(layer.digest)}…`);
    try {
      const cs = await loadModule();
      const p = await cs.probeRange({
        ...s.auth, repository: s.want.repository, digest: layer.digest, size: layer.size, multiRange,
      });
      this.probe.render(p, { registry: s.registry, digest: layer.digest });
    } catch (e) {
      const ex = explain(e, { action: 'probe the registry', registry: s.registry });
      this.probe.showError(h('div', { class: 'error-box inline' },
        h('div', { class: 'error-title' }, ex.title), h('p', null, ex.message),
        ex.hints.length ? h('ul', { class: 'hints' }, ...ex.hints.map((t) => h('li', null, t))) : null));
    }
  }

  async previewFile(file) {
    const s = this.state;
    const layer = s.report.layers[s.layer];
    this.preview.loading(file);
    try {
      const cs = await loadModule();
      const chunks = file.chunks || [];
      const first = chunks[0];
      const last = chunks[chunks.length - 1];
      const r = await cs.readFile({
        ...s.auth, repository: s.want.repository, layerDigest: layer.digest, layerSize: layer.size,
        offset: first ? first.offset : 0,
        length: first ? last.offset + last.compressedLength - first.offset : 0,
        chunks, size: file.size, digest: file.digest || undefined,
      });
      if (this.details.file !== file) return;
      this.preview.show(file, r);
    } catch (e) {
      const ex = explain(e, { action: `read ${file.path}`, registry: s.registry });
      this.preview.error(h('div', { class: 'error-box inline' },
        h('div', { class: 'error-title' }, ex.title), h('p', null, ex.message)));
    }
  }
}

if (!customElements.get('chunkscope-inspector')) {
  customElements.define('chunkscope-inspector', ChunkscopeInspector);
}
