// element.js — the inspector as a custom element class, without registering it: `define(name)`
// registers it (once per name), so a host page chooses the tag name and when it is defined.
// www/inspector.js imports this, re-exports it and defines <chunkscope-inspector> on import.
//
//   import { define } from '/chunkscope/element.js';
//   define('registry-layer-inspector');
//   <registry-layer-inspector registry="https://registry.example.com" image="app:1.2" have="app:1.1">
//
// The element (shadow DOM, styled by inspector.css next to this file, themable with --cs-*
// custom properties) with `sync-url` reads the page's ?registry=&image=&have=&platform= at start
// and keeps the address bar in step with the view (js/url-state.js).
//
// This file builds the views and shows what js/controller.js (inspect, plan, probe, preview)
// hands it: the report, the selected layer and file, the plan's colours, status and errors.
//
// Events (bubbling, composed): `chunkscope-report` {detail: {report}}, `chunkscope-error` {detail:
// {message, kind, stage?}}, `chunkscope-tags` {detail: {tags}}, `chunkscope-export` {detail}.
// Everything that comes from a registry is rendered as text, never parsed as HTML.

import { h, fill } from './js/dom.js';
import * as fmt from './js/format.js';
import { loadModule, loadedModule } from './js/api.js';
import { explain, errorNodes } from './js/errors.js';
import { readInitial, writeUrl, layerFromParam, sortFromParam } from './js/url-state.js';
import { Controller } from './js/controller.js';
import { planCoverage } from './js/plan-coverage.js';
import { RegistryForm } from './js/registry-form.js';
import { ImageSummary, LayersTable, notReadText } from './js/layers.js';
import { TocView } from './js/toc-view.js';
import { SORTS } from './js/toc-tree.js';
import { FileDetails } from './js/file-details.js';
import { ChunkMap } from './js/chunk-map.js';
import { PlanView } from './js/plan-view.js';
import { ProbeView } from './js/probe-view.js';
import { Preview } from './js/preview.js';

const STYLESHEET = new URL('./inspector.css', import.meta.url).href;
const TABS = [
  ['files', 'Files'],
  ['map', 'Chunk map'],
  ['plan', 'Pull cost'],
  ['probe', 'Registry check'],
];

/** Can a file be previewed (registry or local blob), and if not, why (shown next to the button). */
function previewState(file) {
  if (!file || file.type !== 'reg') return { canPreview: false, previewWhy: '' };
  const chunks = file.chunks || [];
  if (file.size > 0 && chunks.length && chunks.every((c) => c.zeros)) {
    return { canPreview: false, previewWhy: 'Nothing to read: the file is all zeros chunks (no data stored in the blob).' };
  }
  if (file.size > 64 * 1024 * 1024) {
    return { canPreview: false, previewWhy: 'Files over 64 MiB are not previewed in the browser.' };
  }
  return { canPreview: true, previewWhy: '' };
}

export class ChunkscopeInspector extends HTMLElement {
  static get observedAttributes() {
    return ['registry', 'image', 'have', 'platform'];
  }

  constructor() {
    super();
    this.root = this.attachShadow({ mode: 'open' });
    this.state = { tab: 'files', layer: -1, file: null, source: null };
    this.controller = new Controller(this);
    this.build();
  }

  // ------------------------------------------------------------------ construction

  build() {
    const c = this.controller;
    this.form = new RegistryForm();
    this.form.on('submit', (v) => c.inspect(v));
    this.form.on('file', (v) => c.inspectLocal(v));
    this.form.on('repository', (v) => c.listTagsFor(v));
    this.form.on('check', (v) => c.checkRegistry(v));
    this.form.on('layout', (v) => c.inspectLayout(v));
    this.form.on('platform', (v) => (this.state.source === 'layout' ? c.inspectLayout({ ...this.state.layoutArgs, platform: v.platform }) : c.inspect(v)));
    this.form.on('error', (e) => this.showError(e, { action: 'open the file' }));

    this.progressText = h('span', { class: 'progress-text' });
    this.progressBar = h('div', { class: 'progress-bar' }, h('div', { class: 'progress-fill' }));
    // Cancel: the load in flight is dropped (its answers are ignored), the form is usable again
    this.cancelBtn = h('button', { type: 'button', class: 'btn small ghost cancel', 'aria-label': 'Cancel loading' }, 'Cancel');
    this.cancelBtn.addEventListener('click', () => c.cancel());
    this.progress = h('div', { class: 'progress', hidden: true, role: 'status', 'aria-live': 'polite' },
      h('span', { class: 'spinner', 'aria-hidden': 'true' }), this.progressText, this.progressBar, this.cancelBtn);
    this.errorBox = h('div', { class: 'error-box', hidden: true, role: 'alert' });
    this.tagChoices = h('div', { class: 'tag-choices', hidden: true, role: 'group', 'aria-label': 'Tags of this repository' });
    this.notice = h('div', { class: 'notice', hidden: true, role: 'status' });

    this.summary = new ImageSummary();
    this.layers = new LayersTable();
    this.layers.on('select', (i) => this.selectLayer(i));

    this.toc = new TocView();
    this.toc.on('select', ({ path, file, node }) => this.selectFile(path, { file, node, from: 'toc' }));
    this.toc.on('state', () => this.syncUrl());
    this.toc.on('export', (x) => this.exportFetched(x));
    this.details = new FileDetails();
    this.preview = new Preview();
    this.details.on('preview', (f) => c.previewFile(f));
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
    this.plan.on('options', () => { c.runPlan(); this.syncUrl(); });
    this.probe = new ProbeView();
    this.probe.on('run', (o) => c.runProbe(o));

    this.tabButtons = new Map();
    this.panels = new Map();
    const tablist = h('div', { class: 'tabs', role: 'tablist' });
    for (const [key, label] of TABS) {
      const b = h('button', {
        type: 'button', role: 'tab', class: 'tab', id: `tab-${key}`, dataset: { tab: key },
        'aria-selected': 'false', 'aria-controls': `panel-${key}`, tabindex: '-1',
      }, label);
      b.addEventListener('click', () => this.setTab(key));
      tablist.appendChild(b);
      this.tabButtons.set(key, b);
    }
    // the ARIA tabs pattern: one tab stop; arrows, Home and End move between tabs (and select)
    tablist.addEventListener('keydown', (e) => {
      const keys = [...this.tabButtons.keys()];
      const at = keys.indexOf(this.state.tab);
      const to = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: keys.length - 1 }[e.key];
      if (to === undefined) return;
      e.preventDefault();
      const key = keys[(to + keys.length) % keys.length];
      this.setTab(key);
      this.tabButtons.get(key).focus();
    });
    this.layerTitle = h('div', { class: 'layer-title' });
    this.filesAside = h('aside', { class: 'aside' });
    this.mapAside = h('aside', { class: 'aside' });
    this.filesMain = h('div', { class: 'panel-main' }, this.toc.el);
    this.panels.set('files', h('div', { class: 'panel files-panel', role: 'tabpanel' }, this.filesMain, this.filesAside));
    this.panels.set('map', h('div', { class: 'panel map-panel', role: 'tabpanel', hidden: true },
      h('div', { class: 'panel-main' }, this.map.el), this.mapAside));
    this.panels.set('plan', h('div', { class: 'panel plan-panel', role: 'tabpanel', hidden: true }, this.plan.el));
    this.panels.set('probe', h('div', { class: 'panel probe-panel', role: 'tabpanel', hidden: true }, this.probe.el));
    for (const [k, p] of this.panels) {
      p.id = `panel-${k}`;
      p.setAttribute('aria-labelledby', `tab-${k}`);
      p.tabIndex = 0;
    }
    this.noFiles = h('div', { class: 'placeholder muted no-files', hidden: true });
    this.filesMain.appendChild(this.noFiles);

    this.workspace = h('section', { class: 'card workspace', hidden: true },
      h('div', { class: 'workspace-head' }, tablist, this.layerTitle),
      ...this.panels.values());

    this.versionEl = h('span', { class: 'version' });
    this.root.append(
      h('link', { rel: 'stylesheet', href: STYLESHEET }),
      h('div', { class: 'app' },
        this.form.el, this.progress, this.errorBox, this.tagChoices, this.notice,
        this.summary.el, this.layers.el, this.workspace,
        h('div', { class: 'app-foot muted' }, this.versionEl)));
    this.setTab('files', { sync: false });
  }

  connectedCallback() {
    if (this._connected) return;
    this._connected = true;
    this.initial = readInitial(this);
    if (this.initial.tab && this.tabButtons.has(this.initial.tab)) this.setTab(this.initial.tab, { sync: false });
    if (this.initial.view === 'list') this.toc.setMode('list');
    const sort = sortFromParam(this.initial.sort, SORTS);
    if (sort) this.toc.setSort(sort.sort, { reverse: sort.reverse });
    if (this.initial.filter) this.toc.setQuery(this.initial.filter);
    if (this.initial.pull) this.toc.setPullFilter(this.initial.pull);
    if (this.initial.budget && this.plan.setBudgetParam) this.plan.setBudgetParam(this.initial.budget);
    if (this.initial.planOpts) this.plan.setOptionParams(this.initial.planOpts);
    this.form.setValues(this.initial);
    if (this.hasAttribute('stall-timeout')) this.form.setStallTimeout(this.getAttribute('stall-timeout'));
    // the inspection worker and its wasm start now, idle, so that Inspect finds them warm
    this.controller.warm();
    loadModule().then((m) => {
      try {
        this.versionEl.textContent = `chunkscope ${m.version()}`;
        this.probe.setCorsConfig(m.corsConfig());
      } catch { /* optional */ }
    }, () => {});
    if (this.initial.registry && this.initial.image) {
      this.controller.inspect({ ...this.form.values(), platform: this.initial.platform });
    }
  }

  /** Removed from the page: stop the timers it owns (a re-attached element starts them again). */
  disconnectedCallback() {
    clearInterval(this._progressTimer);
    this._progressTimer = null;
    clearTimeout(this._attrTimer);
    this._attrTimer = null;
  }

  attributeChangedCallback(name, oldValue, value) {
    if (!this._connected || oldValue === value) return;
    this.form.setValues({ [name]: value || '' });
    clearTimeout(this._attrTimer);
    this._attrTimer = setTimeout(() => {
      const v = this.form.values();
      if (v.registry && v.image) this.controller.inspect({ ...v, platform: this.getAttribute('platform') || v.platform });
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

  /** The CORS configuration registries need for this page: the module's own text (or null). */
  corsConfig() {
    const m = loadedModule();
    try {
      return m ? m.corsConfig() : null;
    } catch {
      return null;
    }
  }

  showError(err, ctx = {}) {
    const e = explain(err, ctx);
    fill(this.errorBox, errorNodes(e, { corsConfig: this.corsConfig() }));
    this.errorBox.hidden = false;
    // a stall's stage (connect / headers / body) rides along: README "Errors"
    const stage = (err && (err.stage || (err.details && err.details.stage))) || undefined;
    this.dispatchEvent(new CustomEvent('chunkscope-error', { detail: { message: e.message, kind: e.kind, ...(stage ? { stage } : {}) }, bubbles: true, composed: true }));
  }

  clearError() {
    this.errorBox.hidden = true;
    fill(this.errorBox);
    this.tagChoices.hidden = true;
    fill(this.tagChoices);
  }

  /**
   * A missing tag: the repository's tags as buttons (`pick(tag)` inspects it), or `note` when they
   * could not be listed. At most 200 are shown (the newest names last, as the registry lists them).
   */
  showTagChoices(tags, note = '', pick = null) {
    const MAX = 200;
    if (!tags) {
      fill(this.tagChoices, h('p', { class: 'muted' }, note));
    } else if (!tags.length) {
      fill(this.tagChoices, h('p', { class: 'muted' }, 'The repository has no tags.'));
    } else {
      const shown = tags.slice(-MAX);
      fill(this.tagChoices,
        h('span', { class: 'label' }, `Tags of this repository (${tags.length}${tags.length > MAX ? `, the last ${MAX} shown` : ''}):`),
        ...shown.map((t) => {
          const b = h('button', { type: 'button', class: 'btn small tag-choice', 'aria-label': `Inspect tag ${t}` }, t);
          b.addEventListener('click', () => pick && pick(t));
          return b;
        }));
    }
    this.tagChoices.hidden = false;
    this.dispatchEvent(new CustomEvent('chunkscope-tags', { detail: { tags: tags || [] }, bubbles: true, composed: true }));
  }

  /**
   * A load failed: the previous image's report (summary, layers, tabs) is hidden, so nothing on the
   * page looks like the answer for what was just asked.
   */
  hideReport() {
    this.summary.el.hidden = true;
    this.layers.el.hidden = true;
    this.workspace.hidden = true;
    this.state = { ...this.state, source: null, report: null, shown: false, layer: -1, file: null, plan: null, coverage: null };
    this.probe.setEnabled(false, 'Inspect an image first');
    this.probe.clear();
  }

  showNotice(text) {
    this.notice.hidden = !text;
    this.notice.textContent = text || '';
    delete this.notice.dataset.check;
    delete this.notice.dataset.cancelled;
  }

  // ------------------------------------------------------------------ report, layer, file

  /** Per layer, how the plan reuses it (only when comparing with images already present). */
  reusedLayers() {
    const { plan, haves } = this.state;
    if (!plan || !haves?.length) return null;
    return plan.layers.map((l) => (l.reused ? l.reusedBy || 'blob digest' : null));
  }

  showReport() {
    const { report } = this.state;
    this.state.shown = true;
    this.summary.render(report, {
      title: this.state.source === 'local' ? this.state.fileName : `${this.state.wantText}`,
      haveTitle: (this.state.haveTexts || []).join(', '),
    });
    // a new report: the last Registry check (cleared below) spoke of what was shown before
    this.plan.probed = null;
    this.layers.render(report, { reused: this.reusedLayers() });
    const failed = report.layers.filter((l) => l.error);
    if (failed.length) {
      const ex = explain(failed[0].error, { registry: this.state.registry });
      fill(this.notice,
        h('strong', null, `${fmt.plural(failed.length, 'layer')} could not be read. `),
        ex.title !== 'Something went wrong' ? `${ex.title}. ` : '',
        ...ex.hints.map((t) => `${t} `));
      this.notice.hidden = false;
    }
    this.workspace.hidden = false;
    this.probe.setEnabled(this.state.source === 'registry' && report.layers.length > 0, '');
    this.probe.clear();
    // the layer and file from the URL (first load), else the first layer with files
    const init = this.initial || {};
    this.initial = null;
    let li = layerFromParam(init.layer, report.layers);
    if (li < 0) li = report.layers.findIndex((l) => l.fileList && l.fileList.length);
    if (li < 0) li = report.layers.length ? 0 : -1;
    this.selectLayer(li, { file: init.file || null });
    this.dispatchEvent(new CustomEvent('chunkscope-report', { detail: { report }, bubbles: true, composed: true }));
  }

  /**
   * Downloads what a pull of the selected layer fetches, as CSV or JSON (a Blob URL, revoked after
   * the click). Paths come from the registry: CSV fields are quoted, and a leading = + - @ gets a
   * ' so that spreadsheets never read a file name as a formula.
   */
  exportFetched({ format, files }) {
    const s = this.state;
    const layer = s.report?.layers?.[s.layer];
    if (!layer) return;
    const meta = {
      image: s.wantText || s.fileName || '', layer: layer.digest, over: s.haveTexts || [],
      files: files.length, compressedBytes: files.reduce((a, f) => a + f.compressedBytes, 0),
    };
    let text;
    if (format === 'json') {
      text = JSON.stringify({ ...meta, fetched: files }, null, 2);
    } else {
      const cell = (v) => {
        let t = String(v);
        if (/^[=+\-@\t\r]/.test(t)) t = `'${t}`;
        return /[",\n\r]/.test(t) || t !== String(v) ? `"${t.replace(/"/g, '""')}"` : t;
      };
      text = ['path,size,chunks,compressed_bytes,digest',
        ...files.map((f) => [f.path, f.size, f.chunks, f.compressedBytes, f.digest].map(cell).join(','))].join('\n') + '\n';
    }
    const url = URL.createObjectURL(new Blob([text], { type: format === 'json' ? 'application/json' : 'text/csv' }));
    const a = h('a', { href: url, download: `fetched-${fmt.shortDigest(layer.digest).replace(/[^A-Za-z0-9_.-]/g, '-')}.${format}` });
    this.root.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    this.dispatchEvent(new CustomEvent('chunkscope-export', { detail: { format, ...meta }, bubbles: true, composed: true }));
  }

  /** A plan arrived (or failed: null): its colours for the layers, the map, the list, the details. */
  applyPlan(plan) {
    const s = this.state;
    s.plan = plan;
    s.coverage = plan && s.haves?.length ? planCoverage(plan, s.report.layers) : null;
    if (!s.shown || s.layer < 0) return; // showReport() will use it
    this.layers.markReused(this.reusedLayers());
    this.layers.markPredicted(plan, this.plan.probed);
    const cov = this.coverageOf(s.layer);
    this.map.setCoverage(cov);
    this.toc.setStatus(this.fileStatus(s.layer));
    if (this.details.file) this.showDetails(this.details.file, { path: s.file, node: this.toc.selectedNode });
  }

  /** The plan's coverage of layer `i`, when comparing with images already present. */
  coverageOf(i) {
    return this.state.coverage ? this.state.coverage[i] || null : null;
  }

  fileStatus(i) {
    const cov = this.coverageOf(i);
    return cov ? cov.fileStatus(this.state.report.layers[i].fileList || []) : null;
  }

  selectLayer(i, { file = null } = {}) {
    const report = this.state.report;
    if (!report || i < 0 || i >= report.layers.length) return;
    this.state.layer = i;
    this.state.file = null;
    this.layers.setSelected(i);
    const layer = report.layers[i];
    const files = layer.fileList || [];
    fill(this.layerTitle,
      h('span', { class: 'muted' }, `Layer ${i + 1} of ${report.layers.length}`), ' ',
      h('span', { class: 'mono', title: layer.digest }, fmt.shortDigest(layer.digest)), ' ',
      h('span', { class: 'muted' }, `· ${fmt.formatLabel(layer.format)} · ${fmt.bytes(layer.size)}`));
    const t0 = performance.now();
    this.toc.setFiles(files, { status: this.fileStatus(i) });
    this.toc.el.hidden = !files.length;
    this.noFiles.hidden = !!files.length;
    this.noFiles.textContent = files.length ? '' : layer.error
      ? `No file list: ${layer.error.message || layer.error}`
      : layer.notRead ? `No file list: the ${notReadText(layer.notRead)}.`
      : `This layer (${fmt.formatLabel(layer.format)}) has no table of contents to list: a puller downloads it whole.`;
    this.map.setLayer(layer, files, { pull: !!this.state.haves?.length, coverage: this.coverageOf(i) });
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
    this.preview.hide();
    this.showDetails(file, { path, node });
    if (from !== 'map') {
      const fi = this.toc.byPath.get(path);
      this.map.select(fi !== undefined ? fi : -1);
    }
    this.syncUrl();
  }

  showDetails(file, { path, node }) {
    this.details.show(file, {
      path, node,
      coverage: this.coverageOf(this.state.layer),
      ...previewState(file),
    });
    this.details.previewSlot.appendChild(this.preview.el);
  }

  setTab(key, { sync = true } = {}) {
    this.state.tab = key;
    for (const [k, b] of this.tabButtons) {
      b.setAttribute('aria-selected', String(k === key));
      b.tabIndex = k === key ? 0 : -1;
    }
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
    writeUrl({
      registry: s.registry,
      image: s.wantText,
      have: s.haveTexts,
      platform: s.report?.platforms?.length ? s.report.platform : this.form.values().platform,
      layer: s.layer,
      file: s.file,
      tab: s.tab,
      listView: this.toc.mode === 'list',
      sort: this.toc.sort,
      reverse: this.toc.reverse,
      filter: this.toc.query,
      pull: this.toc.pull,
      budget: this.plan.budgetParam ? this.plan.budgetParam() : '',
      planOpts: this.plan.optionParams(),
    });
  }
}

/** The default tag name. */
export const DEFAULT_NAME = 'chunkscope-inspector';

/** Whether define() registered ChunkscopeInspector itself (where customElements.getName is missing). */
let definedOnce = false;

/**
 * Registers the element as `name` (default `chunkscope-inspector`) and returns its constructor.
 * Never registers twice: a name already defined (by this module, another copy of it, or anything
 * else) is left as it is and its constructor returned. A registry takes one constructor once, so a
 * second name gets a subclass of ChunkscopeInspector.
 * @param {string} [name]
 * @returns {CustomElementConstructor}
 */
export function define(name = DEFAULT_NAME) {
  const existing = customElements.get(name);
  if (existing) return existing;
  const used = typeof customElements.getName === 'function'
    ? customElements.getName(ChunkscopeInspector) !== null
    : definedOnce;
  const ctor = used ? class extends ChunkscopeInspector {} : ChunkscopeInspector;
  customElements.define(name, ctor);
  definedOnce = true;
  return ctor;
}
