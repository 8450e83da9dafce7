// controller.js — the inspector's flow: inspect an image (or a local blob), plan its pull over the
// images already present, probe the registry, preview a file. It calls the wasm module and hands
// results to the element (inspector.js), which owns the views; a newer load makes older answers
// stale, and they are dropped.
//
// Requests are the product's currency: the wanted image is inspected once; `planPull` gets the
// very same registry / repository / reference / platform, so the module plans it from its cache,
// and reads each image already present once (its TOCs only). Re-planning with other options then
// costs no request at all.

import * as fmt from './format.js';
import { loadModule, loadedModule, parseTarget, parseTargetWith, imageText } from './api.js';
import { errorBox } from './errors.js';
import { layoutBlob } from './layout-folder.js';
import { InspectClient } from './inspect-client.js';

/**
 * "Reading X: layer 2 metadata · 12 kB in 3 requests" from a progress event (the module's
 * `{phase, layer, bytesFetched, requests, entries?}` or the worker's `{…, bytes}`): `body` while a
 * long answer arrives, `layer-done` with the layer's TOC entries.
 */
function phaseText(ev, what) {
  const where = ev.phase === 'manifest' ? 'manifest' : ev.phase === 'config' ? 'config'
    : ev.phase === 'token' ? 'signing in'
      : ev.phase === 'body' ? 'receiving'
        : ev.phase === 'layer-done' ? `layer ${ev.layer + 1}: ${fmt.plural(ev.entries || 0, 'entry', 'entries')} parsed`
          : ev.layer != null ? `layer ${ev.layer + 1} metadata` : ev.phase === 'done' ? 'done' : String(ev.phase);
  const bytes = ev.bytes ?? ev.bytesFetched ?? 0;
  return `${what}: ${where} · ${fmt.bytes(bytes)} in ${fmt.plural(ev.requests || 0, 'request')}`;
}

/**
 * Did the TOC reads meet the `first-200` behaviour: a ranged request answered 200 (and cancelled),
 * then the same URL and range answered 206? (distribution#4667: only a blob's first ranged request
 * gets 200, so the probe, which comes later, cannot see it itself.)
 */
function first200Seen(log = []) {
  return log.some((a, i) => a.status === 200 && a.aborted && a.range &&
    log.slice(i + 1).some((b) => b.status === 206 && b.url === a.url && b.range === a.range));
}

export class Controller {
  /** @param {import('../inspector.js').ChunkscopeInspector} view */
  constructor(view) {
    this.view = view;
    this.loadSeq = 0;
    this.planSeq = 0;
    /** inspectImage and planPull run in a Web Worker (inspect-client.js, worker.js). */
    this.client = new InspectClient();
    /** The last load's progress, for tests and benchmarks: {phase, bytes, entries, requests}. */
    this.progress = null;
  }

  /** Starts the inspection worker ahead of the first Inspect (inspect-client.js falls back to
   * the main thread where none can start). */
  warm() {
    this.client.start().catch(() => {});
  }

  /** Inspects a registry image from the form's values, then plans its pull over the have-images. */
  async inspect(v) {
    const view = this.view;
    const seq = ++this.loadSeq;
    view.clearError();
    view.showNotice('');
    view.form.setBusy(true);
    this.progress = null;
    delete view.progress.dataset.bytes;
    delete view.progress.dataset.entries;
    // a load still in flight is stale now: stop its work rather than let it finish unseen
    if (this.client.pending.size) this.client.cancel();
    // the worker starts (and compiles its wasm) while the main thread reads the form
    this.client.start().catch(() => { /* inspect-client.js falls back to the main thread */ });
    performance.mark('chunkscope:inspect'); // for benchmarks (scripts/bench-browser.mjs)
    let want;
    let haves;
    try {
      view.setProgress('Loading chunkscope…');
      // the page's own module when it has started; else the worker's, so that a first Inspect
      // never waits for the page to compile a second copy of the wasm
      const cs = loadedModule();
      const parse = cs ? async (r, i) => parseTarget(cs, r, i)
        : this.client.mode === 'worker' ? (r, i) => parseTargetWith((b, x) => this.client.parseReference(b, x), r, i)
          : async (r, i) => parseTarget(await loadModule(), r, i);
      want = await parse(v.registry, v.image);
      haves = await Promise.all((v.have || '').split(',').map((x) => x.trim()).filter(Boolean)
        .map((x) => parse(v.registry, x)));
      if (seq !== this.loadSeq) return;
    } catch (e) {
      if (seq !== this.loadSeq) return;
      view.setProgress('');
      view.form.setBusy(false);
      view.showError(e, { action: 'start' });
      return;
    }
    // `registry` is what the module reads from (behind `chunkscope serve`, its same-origin
    // gateway); `registryText` is the registry as the user knows it (messages, the address bar).
    const { registry } = want;
    const registryText = want.shown || registry;
    const auth = Object.fromEntries(
      Object.entries({ token: v.token, username: v.username, password: v.password, stallTimeoutMs: v.stallTimeoutMs }).filter(([, x]) => x));
    // one platform for every image: the one asked for (the module's default when none)
    const platform = v.platform || undefined;
    const target = (r) => ({ ...auth, registry, repository: r.repository, reference: r.reference, platform });
    const wantTarget = target(want);
    const haveTargets = haves.map(target);
    const wantText = imageText(want);
    const haveTexts = haves.map(imageText);
    const t0 = performance.now();
    try {
      view.setProgress(`Reading ${wantText} from ${registryText}…`);
      const report = await this.client.inspectImage({ ...wantTarget, verifyTarSplit: !!v.verifyTarSplit }, {
        onProgress: (ev) => {
          if (seq !== this.loadSeq) return;
          this.progress = { ...this.progress, ...ev };
          view.setProgress(phaseText(ev, `Reading ${wantText}`));
          view.progress.dataset.bytes = String(ev.bytes || 0);
          if (ev.entries != null) view.progress.dataset.entries = String(ev.entries);
        },
      });
      if (seq !== this.loadSeq) return;
      view.state = {
        ...view.state, source: 'registry', registry: registryText, want, haves, wantText, haveTexts, wantTarget, haveTargets,
        report, auth: { registry, ...auth }, plan: null, coverage: null, shown: false, elapsed: performance.now() - t0,
      };
      view.form.setPlatforms(report.platforms, report.platform);
      if (haves.length) {
        // the colours of the report come from the plan: read the have-images first
        view.setProgress(`Reading ${haveTexts.join(', ')} (already present) for comparison…`);
        await this.runPlan({
          seq,
          onProgress: (ev) => {
            if (seq === this.loadSeq) view.setProgress(phaseText(ev, `Reading ${haveTexts.join(', ')}`));
          },
        });
        if (seq !== this.loadSeq) return;
        view.setProgress('');
        view.showReport();
      } else {
        view.setProgress('');
        view.showReport();
        await this.runPlan({ seq });
      }
    } catch (e) {
      if (seq !== this.loadSeq) return;
      // the error box's CORS block is the page module's corsConfig(); the inspection ran in the
      // worker, so the page's own module may not have started yet
      await loadModule().catch(() => null);
      if (seq !== this.loadSeq) return;
      view.setProgress('');
      // the previous image's report must not look like this image's
      view.hideReport();
      view.showError(e, { action: `read ${wantText}`, registry: registryText });
      // a missing tag in an existing repository: offer the tags it has
      if (e && e.registryCode === 'MANIFEST_UNKNOWN') await this.offerTags(await loadModule(), { ...auth, registry, repository: want.repository }, seq, v);
    } finally {
      if (seq === this.loadSeq) view.form.setBusy(false);
    }
  }

  /**
   * Cancel (the status bar's button): the load in flight becomes stale — its answers are dropped
   * when they arrive — and the page is usable at once. The inspection worker is terminated: its
   * requests and its parsing stop (a fresh worker serves the next load).
   */
  cancel() {
    const view = this.view;
    this.client.cancel();
    this.loadSeq++;
    this.planSeq++;
    view.setProgress('');
    view.form.setBusy(false);
    view.showNotice('Cancelled: nothing more from that load will be shown.');
    view.notice.dataset.cancelled = 'true';
  }

  /**
   * "Check registry": `GET /v2/` of the typed registry, before (or without) any image. Says
   * whether it is reachable and readable from this page; the failures are the typed errors
   * (`network`: nothing answers; `cors`: it answers but not to this page, with the configuration
   * and a Copy button; `not-found`: no /v2/ API).
   */
  async checkRegistry(v) {
    const view = this.view;
    view.clearError();
    view.showNotice('');
    let cs;
    let t;
    try {
      cs = await loadModule();
      const repo = String(v.image || '').trim().split(/[:@]/)[0] || 'library/check';
      t = parseTarget(cs, v.registry, repo);
    } catch (e) {
      view.showError(e, { action: 'check the registry' });
      return;
    }
    const shown = t.shown || t.registry;
    const auth = Object.fromEntries(
      Object.entries({ token: v.token, username: v.username, password: v.password, stallTimeoutMs: v.stallTimeoutMs }).filter(([, x]) => x));
    const seq = ++this.loadSeq;
    view.setProgress(`Checking ${shown}…`);
    try {
      const r = await cs.checkRegistry({ ...auth, registry: t.registry, repository: t.repository });
      if (seq !== this.loadSeq) return;
      view.setProgress('');
      view.showNotice(`${shown} is reachable and this page may read it: GET /v2/ answered ${r.status}` +
        (r.status === 401 ? ' (it wants credentials: the token service is asked when an image is read).' : '.'));
      view.notice.dataset.check = 'ok';
    } catch (e) {
      if (seq !== this.loadSeq) return;
      view.setProgress('');
      view.showError(e, { action: `reach ${shown}`, registry: shown });
    }
  }

  /**
   * The tag picker: the tags of the repository typed in the Image field (listTags). Quiet on
   * failure (a repository still being typed does not exist yet): the picker just stays empty.
   */
  async listTagsFor(v) {
    const view = this.view;
    let cs;
    let t;
    try {
      cs = await loadModule();
      t = parseTarget(cs, v.registry, v.repository);
    } catch {
      return; // not a registry and repository yet
    }
    const auth = Object.fromEntries(
      Object.entries({ token: v.token, username: v.username, password: v.password, stallTimeoutMs: v.stallTimeoutMs }).filter(([, x]) => x));
    try {
      const tags = await cs.listTags({ ...auth, registry: t.registry, repository: t.repository });
      view.form.setTags(v.repository, tags);
    } catch {
      view.form.setTags(v.repository, []);
    }
  }

  /**
   * After a MANIFEST_UNKNOWN: the repository's tags (listTags), offered as buttons that inspect
   * `repository:tag`; a failure to list them only says so.
   */
  async offerTags(cs, target, seq, v) {
    const view = this.view;
    let tags;
    try {
      tags = await cs.listTags(target);
    } catch (e) {
      if (seq === this.loadSeq) view.showTagChoices(null, `Could not list the tags of ${target.repository}: ${e.message || e}`);
      return;
    }
    if (seq !== this.loadSeq) return;
    view.form.setTags(target.repository, tags);
    view.showTagChoices(tags, '', (tag) => {
      view.form.setValues({ image: `${target.repository}:${tag}` });
      this.inspect({ ...v, image: `${target.repository}:${tag}` });
    });
  }

  /** Inspects a layer blob from this computer (no plan, no probe: there is no registry). */
  async inspectLocal({ file, annotations }) {
    const view = this.view;
    const seq = ++this.loadSeq;
    view.clearError();
    view.showNotice('');
    view.form.setBusy(true);
    try {
      view.setProgress(`Reading ${file.name} (${fmt.bytes(file.size)})…`);
      const cs = await loadModule();
      // what the file is, by its magic bytes (the module's sniff), not by its name
      const kind = cs.sniff(new Uint8Array(await file.slice(0, 512).arrayBuffer()));
      if (seq !== this.loadSeq) return;
      if (kind === 'unknown' || kind === 'tar') {
        throw Object.assign(new Error(kind === 'tar'
          ? `${file.name} is an uncompressed tar archive, not a compressed layer blob: zstd:chunked metadata lives in a zstd-compressed layer.`
          : `${file.name} is not a layer: it starts with neither a zstd frame, a gzip member nor a tar header.`),
        { kind: 'not-a-layer', sniffed: kind });
      }
      const layer = await cs.inspectBlob(file, { ...(annotations ? { annotations } : {}), files: true });
      if (seq !== this.loadSeq) return;
      view.setProgress('');
      const report = {
        source: file.name, layers: [layer], bytesRead: layer.bytesRead, reads: layer.reads, platforms: [],
      };
      view.state = {
        ...view.state, source: 'local', blob: file, report, haves: [], haveTexts: [], wantText: file.name, fileName: file.name,
        plan: null, coverage: null, shown: false, wantTarget: null,
      };
      view.form.setPlatforms([]);
      view.showReport();
      view.plan.showEmpty('The pull cost needs a registry image (a local blob has no manifest to plan with).');
      view.probe.setEnabled(false, 'Needs a registry image');
    } catch (e) {
      if (seq !== this.loadSeq) return;
      view.setProgress('');
      view.hideReport();
      view.showError(e, { action: `read ${file.name}` });
    } finally {
      if (seq === this.loadSeq) view.form.setBusy(false);
    }
  }

  /**
   * Inspects an OCI image layout folder (`folder`: path under the layout root → File, from
   * layout-folder.js): the module walks index.json → manifest → config → layers over the Files,
   * verifying every manifest and config digest, then plans a cold pull of it from memory.
   */
  async inspectLayout({ folder, name, tag = '', platform = '', verifyLayers = false }) {
    const view = this.view;
    const seq = ++this.loadSeq;
    view.clearError();
    view.showNotice('');
    view.form.setBusy(true);
    const label = `oci:${name}${tag ? `:${tag}` : ''}`;
    try {
      view.setProgress(`Reading the OCI layout ${name} (${fmt.plural(folder.size, 'file')})…`);
      const cs = await loadModule();
      const report = await cs.inspectLayout(folder, {
        ...(tag ? { tag } : {}), ...(platform ? { platform } : {}), files: true, verifyLayers,
      });
      if (seq !== this.loadSeq) return;
      view.setProgress('');
      view.state = {
        ...view.state, source: 'layout', layoutFiles: folder, layoutArgs: { folder, name, tag, verifyLayers }, report,
        haves: [], haveTexts: [], wantText: label, fileName: label, plan: null, coverage: null, shown: false, wantTarget: null,
      };
      view.form.setPlatforms(report.platforms, report.platform);
      view.showReport();
      view.probe.setEnabled(false, 'Needs a registry image');
      await this.runPlan({ seq });
    } catch (e) {
      if (seq !== this.loadSeq) return;
      view.setProgress('');
      view.hideReport();
      view.showError(e, { action: `read the OCI layout ${name}` });
    } finally {
      if (seq === this.loadSeq) view.form.setBusy(false);
    }
  }

  /**
   * Plans the pull with the Pull cost options and shows it (panel, layer badges, colours). The
   * targets are the ones the image was inspected with, so the module answers from its cache.
   */
  async runPlan({ seq = this.loadSeq, onProgress = null } = {}) {
    const view = this.view;
    const s = view.state;
    const layout = s.source === 'layout';
    if (!layout && (s.source !== 'registry' || !s.wantTarget)) return;
    const mine = ++this.planSeq;
    const stale = () => seq !== this.loadSeq || mine !== this.planSeq;
    view.plan.showLoading(s.haveTexts.length
      ? `Planning ${s.wantText} over ${s.haveTexts.join(', ')}…`
      : `Planning a cold pull of ${s.wantText}…`);
    try {
      // a layout folder: a cold pull of the image read last, planned from memory on the main
      // thread (the layout was read there); a registry image: in the worker that inspected it,
      // which plans from its cache
      const plan = layout
        ? await (await loadModule()).planLayout(view.plan.options())
        : await this.client.planPull({
          want: s.wantTarget, have: s.haveTargets, ...view.plan.options(),
        }, { onProgress });
      if (stale()) return;
      view.plan.render(plan, { want: s.wantText, have: s.haveTexts });
      view.applyPlan(plan);
    } catch (e) {
      if (stale()) return;
      await loadModule().catch(() => null); // for the CORS block, as in inspect()
      if (stale()) return;
      const ctx = { action: 'plan the pull', registry: s.registry };
      view.plan.showError(errorBox(e, ctx, { corsConfig: view.corsConfig() }));
      view.applyPlan(null);
      if (s.haveTexts.length) {
        view.showNotice(`Could not plan over ${s.haveTexts.join(', ')} for the comparison: ${e.message || e}`);
      }
    }
  }

  /** The registry range check on the selected layer's blob. */
  async runProbe({ multiRange, ladder }) {
    const view = this.view;
    const s = view.state;
    if (s.source !== 'registry') return;
    const layer = s.report.layers[Math.max(0, s.layer)];
    if (!layer) return;
    view.probe.showRunning(`Probing ${s.registry} with ${fmt.shortDigest(layer.digest)}…`);
    try {
      const cs = await loadModule();
      const p = await cs.probeRange({
        ...s.auth, repository: s.want.repository, digest: layer.digest, size: layer.size, multiRange, ladder,
        first200Seen: first200Seen(s.report.requestLog),
      });
      view.probe.render(p, { registry: s.registry, digest: layer.digest });
      // The Pull cost tab predicts what podman does on the class found (re-planned from memory).
      if (p.class && view.plan.setBehaviour(p)) this.runPlan();
    } catch (e) {
      view.probe.showError(errorBox(e, { action: 'probe the registry', registry: s.registry }, { corsConfig: view.corsConfig() }));
    }
  }

  /** One file: its compressed extent in one range, decompressed and digest-checked by the module. */
  async previewFile(file) {
    const view = this.view;
    const s = view.state;
    const layer = s.report.layers[s.layer];
    view.preview.loading(file);
    try {
      const cs = await loadModule();
      const chunks = file.chunks || [];
      const first = chunks[0];
      const last = chunks[chunks.length - 1];
      const extent = {
        offset: first ? first.offset : 0,
        length: first ? last.offset + last.compressedLength - first.offset : 0,
        size: file.size, digest: file.digest || undefined,
      };
      // a local blob: the same one range, read with Blob.slice, decompressed and verified alike
      // a layout folder: the layer's own File, by digest
      const blob = s.source === 'local' ? s.blob : s.source === 'layout' ? layoutBlob(s.layoutFiles, layer.digest) : null;
      if (s.source === 'layout' && !blob) throw Object.assign(new Error(`The layout has no blob ${layer.digest}.`), { kind: 'not-found' });
      const r = blob
        ? await cs.readBlobFile(blob, extent)
        : await cs.readFile({
          ...s.auth, repository: s.want.repository, layerDigest: layer.digest, layerSize: layer.size, format: layer.format, ...extent,
        });
      if (view.details.file !== file) return;
      view.preview.show(file, r);
    } catch (e) {
      if (view.details.file !== file) return;
      view.preview.error(errorBox(e, { action: `read ${file.path}`, registry: s.source === 'local' ? undefined : s.registry }));
    }
  }
}
