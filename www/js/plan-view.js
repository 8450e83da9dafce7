// plan-view.js — what a pull costs: the full pull, the reference puller's partial pull
// (podman / CRI-O), chunkscope's single-range plan and the same partial pull against a registry that
// ignores multi-range requests; per layer, and the requests ↔ bytes curve of the single-range plan.

import { h, s, fill, Emitter } from './dom.js';
import * as fmt from './format.js';

// The behaviour classes the prediction can be made for, in the CLASS[:STATUS][:CAP] text form
// (README "Registry behaviour classes").
const BEHAVIOURS = ['multipart', 'whole-body', 'rejected:400', 'rejected:416', 'rejected:501',
  'range-cap:400:64', 'range-cap:416:16', 'first-range-only', 'no-range', 'first-200'];

/** `range-cap:416:16` → {class, status, cap} (the text form of registry::behaviour). */
export function parseBehaviour(text) {
  const [cls, status, cap] = String(text || '').split(':');
  if (!cls) return null;
  const b = { class: cls };
  if (status) b.status = Number(status);
  if (cap) b.cap = Number(cap);
  return b;
}

/** {class, status, cap} → `range-cap:416:16`. */
export function behaviourText(b) {
  if (!b?.class) return '';
  return [b.class, b.status, b.cap].filter((v) => v != null && v !== '').join(':');
}

const OUTCOME = {
  partial: ['partial pull', 'good'],
  'double-download': ['whole blob downloaded again', 'warn'],
  'full-fallback': ['falls back to a full pull', 'warn'],
  fails: ['the pull fails', 'bad'],
};

function sumLayers(layers, key) {
  return layers.reduce((a, l) => a + (Number(l[key]) || 0), 0);
}

export class PlanView extends Emitter {
  constructor() {
    super();
    this.budget = h('input', { type: 'number', min: '1', max: '100000', placeholder: 'auto', class: 'budget', 'aria-label': 'Data requests per layer for the single-range plan (empty: automatic)' });
    this.chunkReuse = h('input', { type: 'checkbox', props: { checked: true } });
    this.hardLinks = h('input', { type: 'checkbox' });
    this.insecure = h('input', { type: 'checkbox', class: 'insecure-option' });
    this.behaviour = h('select', { class: 'behaviour', 'aria-label': 'Registry behaviour to predict the pull on' },
      h('option', { value: '' }, 'no prediction'),
      ...BEHAVIOURS.map((b) => h('option', { value: b }, b)));
    this.jsonErrors = h('input', { type: 'checkbox' });
    const changed = () => this.emit('options', this.options());
    this.behaviour.addEventListener('change', changed);
    this.jsonErrors.addEventListener('change', changed);
    this.budget.addEventListener('change', changed);
    this.budgetError = h('span', { class: 'budget-error bad-text', id: 'budget-error', role: 'status', hidden: true });
    this.budget.setAttribute('aria-describedby', 'budget-error');
    this.chunkReuse.addEventListener('change', changed);
    this.hardLinks.addEventListener('change', changed);
    this.insecure.addEventListener('change', changed);
    this.body = h('div', { class: 'plan-body' });
    this.el = h('div', { class: 'plan-view' },
      h('div', { class: 'toolbar' },
        h('label', { class: 'inline' }, h('span', { class: 'muted' }, 'Single-range budget'), this.budget,
          h('span', { class: 'muted' }, 'requests per layer'), this.budgetError),
        h('label', { class: 'check' }, this.chunkReuse, h('span', null, 'Reuse chunks (podman 5.4 / c/storage 1.57)')),
        h('label', { class: 'check' }, this.hardLinks, h('span', null, 'use_hard_links')),
        h('label', { class: 'check', title: 'containers-storage.conf: pull eStargz layers partially (footer, TOC, missing chunks) instead of whole' },
          this.insecure, h('span', null, 'insecure_allow_unpredictable_image_contents')),
        h('label', { class: 'inline' }, h('span', { class: 'muted' }, 'Registry behaviour'), this.behaviour),
        h('label', { class: 'check', title: 'podman retries a failed pull 3 times when the refusal is a registry JSON error' },
          this.jsonErrors, h('span', null, 'refusals are registry JSON errors'))),
      this.body);
    this.showEmpty('Inspect an image to see what pulling it costs.');
  }

  /**
   * The class the Registry check found: selects it (adding it to the list when its cap or status
   * is not there yet) and its error body, so the next plan predicts on it.
   * @param {{class?: string, status?: number, cap?: number}} probe probeRange's result
   * @param {boolean} [jsonErrors]
   */
  setBehaviour(probe, jsonErrors) {
    const text = behaviourText(probe);
    if (!text) return false;
    if (![...this.behaviour.options].some((o) => o.value === text)) {
      this.behaviour.append(h('option', { value: text }, `${text} (probed)`));
    }
    const changed = this.behaviour.value !== text;
    this.behaviour.value = text;
    // the behaviour the Registry check saw on this registry: the plan then speaks of this registry
    this.probed = text;
    if (jsonErrors != null) this.jsonErrors.checked = !!jsonErrors;
    return changed;
  }

  /** {chunkReuse, hardLinks, insecureAllowUnpredictableImageContents, budget?, registryBehaviour?, errorBody?}: no budget = the planner's automatic choice. */
  options() {
    const o = {
      chunkReuse: this.chunkReuse.checked,
      hardLinks: this.hardLinks.checked,
      insecureAllowUnpredictableImageContents: this.insecure.checked,
    };
    const behaviour = parseBehaviour(this.behaviour.value);
    if (behaviour) {
      o.registryBehaviour = behaviour;
      o.errorBody = this.jsonErrors.checked ? 'json' : 'text';
    }
    // an invalid budget is said to be so, and the plan uses the automatic one meanwhile
    const raw = this.budget.value.trim();
    const b = Number(raw);
    const bad = !!raw && !(Number.isInteger(b) && b >= 1 && b <= 100000);
    // a number input reports text it cannot parse as '' with badInput set
    const unparsed = !raw && this.budget.validity && this.budget.validity.badInput;
    this.budgetError.hidden = !(bad || unparsed);
    this.budgetError.textContent = bad || unparsed
      ? 'Not a valid budget: a whole number of requests from 1 to 100,000 (empty: automatic). Planning with the automatic budget.'
      : '';
    this.budget.setAttribute('aria-invalid', String(bad || !!unparsed));
    if (raw && !bad) o.budget = b;
    return o;
  }

  /**
   * The Pull cost options that differ from the defaults, as address parameters: `reuse=0`,
   * `hardlinks=1`, `insecure=1`, `behaviour=CLASS[:STATUS][:CAP]`, `errors=json`.
   */
  optionParams() {
    return {
      reuse: this.chunkReuse.checked ? '' : '0',
      hardlinks: this.hardLinks.checked ? '1' : '',
      insecure: this.insecure.checked ? '1' : '',
      behaviour: this.behaviour.value,
      errors: this.behaviour.value && this.jsonErrors.checked ? 'json' : '',
    };
  }

  /** Options from the page address (optionParams' names); a behaviour not in the list is added. */
  setOptionParams(p = {}) {
    if (p.reuse === '0') this.chunkReuse.checked = false;
    if (p.hardlinks === '1') this.hardLinks.checked = true;
    if (p.insecure === '1') this.insecure.checked = true;
    const b = String(p.behaviour || '');
    if (/^[a-z0-9-]{1,40}(:[0-9]{1,4}){0,2}$/.test(b)) {
      if (![...this.behaviour.options].some((o) => o.value === b)) this.behaviour.append(h('option', { value: b }, b));
      this.behaviour.value = b;
    }
    if (p.errors === 'json') this.jsonErrors.checked = true;
  }

  /** The budget for the page address ('' when automatic or invalid). */
  budgetParam() {
    const b = Number(this.budget.value.trim());
    return Number.isInteger(b) && b >= 1 && b <= 100000 ? String(b) : '';
  }

  /** A budget from the page address (checked like a typed one when the plan runs). */
  setBudgetParam(v) {
    this.budget.value = String(v || '');
  }

  /** Sets the budget (a click on the requests↔bytes curve) and re-plans. */
  setBudget(k) {
    this.budget.value = String(k);
    this.emit('options', this.options());
  }

  showEmpty(text) {
    this.plan = null;
    fill(this.body, h('p', { class: 'placeholder muted' }, text));
  }

  /**
   * A plan is on its way. When one is shown already (a re-plan after an option changed), it stays
   * in place, marked busy, so the page does not jump under the pointer (a click on the curve
   * lands where it was aimed).
   */
  showLoading(text) {
    if (this.plan && this.body.firstChild) {
      this.body.setAttribute('aria-busy', 'true');
      this.body.classList.add('replanning');
      return;
    }
    fill(this.body, h('p', { class: 'placeholder muted loading' }, text));
  }

  showError(node) {
    this.plan = null;
    this.body.removeAttribute('aria-busy');
    this.body.classList.remove('replanning');
    fill(this.body, node);
  }

  /** @param {object} plan planPull's result; @param {{want: string, have: string[]}} labels */
  render(plan, { want, have = [] } = {}) {
    this.plan = plan;
    this.body.removeAttribute('aria-busy');
    this.body.classList.remove('replanning');
    const layers = plan.layers || [];
    const t = plan.totals || {};
    const val = (k) => (t[k] != null ? Number(t[k]) : sumLayers(layers, k));
    // An ordinary puller skips the layers it already has too: full pull = the other blobs, whole.
    const pulled = layers.filter((l) => !l.reused);
    const full = sumLayers(pulled, 'fullPullBytes');
    const fullReq = pulled.length;
    const ref = val('fetchBytes');
    const refReq = val('requests');
    const single = t.singleRange?.bytes ?? layers.reduce((a, l) => a + (l.singleRange?.bytes || 0), 0);
    const singleReq = t.singleRange?.requests ?? layers.reduce((a, l) => a + (l.singleRange?.requests || 0), 0);
    const ignores = val('ignoresMultiRangeBytes');
    const failing = layers.filter((l) => l.verdict?.outcome === 'fails');
    const fallbacks = layers.filter((l) => l.fallback && l.verdict?.outcome !== 'fails');
    const pred = t.predicted || null;
    const max = Math.max(full, ref, single, ignores, pred ? pred.bytes : 0, 1);

    const bar = (key, label, note, bytes, requests, cls) =>
      h('div', { class: `bar-row ${cls}`, dataset: { plan: key, bytes, requests } },
        h('div', { class: 'bar-label' }, h('strong', null, label), h('span', { class: 'muted' }, note)),
        (() => {
          const fillEl = h('div', { class: 'bar-fill' });
          fillEl.style.width = `${Math.max(0.4, (100 * bytes) / max)}%`;
          return h('div', { class: 'bar-track' }, fillEl);
        })(),
        h('div', { class: 'bar-value' },
          h('span', { class: 'bytes', title: `${fmt.int(bytes)} bytes` }, fmt.bytes(bytes)),
          h('span', { class: 'muted' }, ` · ${fmt.plural(requests, 'request')}`),
          full ? h('span', { class: 'muted' }, ` · ${fmt.percent(bytes, full, 0)} of full`) : null));

    const scenario = have.length
      ? `Pulling ${want} on a machine that already has ${have.join(', ')}.`
      : `Pulling ${want} onto an empty machine (set “Already have” to compare with an image you have).`;

    const layerRows = layers.map((l, i) => {
      const num = (k, v = l[k]) => h('td', { class: 'num', dataset: { key: k, value: v } }, fmt.int(v));
      const b = (k, v = l[k]) => h('td', { class: 'num', dataset: { key: k, value: v }, title: `${fmt.int(v)} bytes` }, fmt.bytes(v));
      return h('tr', { dataset: { planLayer: l.digest }, class: l.reused ? 'reused' : '' },
        h('td', { class: 'num' }, String(i + 1)),
        h('td', { class: 'mono', title: l.digest }, fmt.shortDigest(l.digest)),
        h('td', null, l.reused ? h('span', { class: 'badge good small' }, 'reused') : l.verdict?.outcome === 'fails'
          ? h('span', { class: 'badge bad small', title: l.fallback }, 'pull fails') : l.fallback
            ? h('span', { class: 'badge warn small', title: l.fallback }, 'full pull')
            : l.verdict?.code === 'tar-split-not-checked'
              ? h('span', { class: 'badge small', title: l.verdict.reason }, 'partial?')
              : h('span', { class: 'badge small' }, 'partial')),
        b('metadataBytes'), num('missingFiles'), num('missingChunks'), num('ranges'),
        (() => {
          const td = num('requests');
          if (l.rangesPerRequest?.length) td.title = `ranges per request: ${l.rangesPerRequest.map((n) => (n ? n : 'whole blob')).join(', ')}`;
          return td;
        })(),
        b('fetchBytes'), b('fullPullBytes'),
        h('td', { class: 'num', dataset: { key: 'singleRange', value: l.singleRange?.bytes ?? '' } },
          l.singleRange ? `${fmt.bytes(l.singleRange.bytes)} / ${fmt.int(l.singleRange.requests)}` : '—'),
        b('ignoresMultiRangeBytes'),
        ...(pred ? [this.predictedCell(l)] : []));
    });

    this.curveLayer = this.pickCurveLayer(layers);
    const curveSel = h('select', { 'aria-label': 'Layer for the curve' },
      ...layers.map((l, i) => h('option', { value: String(i), disabled: !(l.singleRange?.curve?.length) },
        `layer ${i + 1} ${fmt.shortDigest(l.digest, 8)}${l.reused ? ' (reused)' : ''}`)));
    curveSel.value = String(this.curveLayer);
    this.curveBox = h('div', { class: 'curve-box' });
    curveSel.addEventListener('change', () => {
      this.curveLayer = Number(curveSel.value);
      this.drawCurve();
    });

    fill(this.body,
      h('p', { class: 'scenario' }, scenario),
      h('div', { class: 'bars' },
        bar('full', 'Full pull', layers.length > pulled.length
          ? `the ${fmt.plural(pulled.length, 'missing layer')} downloaded whole`
          : 'every layer downloaded whole', full, fullReq, 'full'),
        bar('reference', 'Partial pull (podman, CRI-O)', 'multi-range requests, as containers/storage makes them', ref, refReq, 'reference'),
        bar('single', 'chunkscope single-range plan', `one range per request (${this.options().budget
          ? `at most ${fmt.plural(this.options().budget, 'data request')} per layer` : 'automatic budget'}): works on S3, minio, CDNs`,
        single, singleReq, 'single'),
        bar('ignores', 'Registry that ignores multi-range', 'answers 200 with the whole blob: what podman really costs on S3-like stores', ignores, refReq, 'ignores'),
        pred
          ? bar('predicted', `Predicted on ${pred.behaviour}`,
            `what podman 5.4 really does there: ${OUTCOME[pred.outcome]?.[0] || pred.outcome}` +
              (pred.attempts > 1 ? ` after ${fmt.plural(pred.attempts, 'attempt')}` : ''),
            pred.bytes, pred.requests, `predicted ${pred.outcome}`)
          : null),
      failing.length
        ? h('div', { class: 'note bad' },
          h('strong', null, `The reference pull fails on ${fmt.plural(failing.length, 'layer')}: `),
          failing.map((l) => `${fmt.shortDigest(l.digest)}: ${l.verdict.error || l.fallback}`).join('; '))
        : null,
      pred ? this.predictionNote(pred, { full }) : null,
      fallbacks.length
        ? h('div', { class: 'note warn' },
          h('strong', null, `${fmt.plural(fallbacks.length, 'layer')} fall back to a full pull: `),
          fallbacks.map((l) => `${fmt.shortDigest(l.digest)}: ${l.fallback}`).join('; '))
        : null,
      h('div', { class: 'plan-grid' },
        h('div', { class: 'curve-panel' },
          h('div', { class: 'curve-head' }, h('h4', null, 'Requests ↔ bytes (single-range plan)'), curveSel),
          this.curveBox,
          h('p', { class: 'muted small' },
            'Totals for the layer, metadata request included. Each extra request skips one more gap between needed chunks; ' +
              'with fewer, the smallest gaps are downloaded too. Pick the point that suits your registry.')),
        h('div', { class: 'totals-panel' },
          h('h4', null, 'Totals'),
          h('dl', { class: 'kvs' },
            ...[
              ['Metadata read', 'metadataBytes', true], ['Metadata requests', 'metadataRequests'],
              ['Missing files', 'missingFiles'], ['Missing chunks', 'missingChunks'],
              ['Ranges', 'ranges'], ['Requests (partial pull)', 'requests'],
              ['Fetched (partial pull)', 'fetchBytes', true], ['Full pull (layers not present)', null, true],
              ['Saved vs. full pull', 'saved', true],
            ].map(([label, k, isBytes]) => {
              const v = k === null ? full : k === 'saved' ? full - ref : val(k);
              return h('div', { class: 'kv', dataset: { planTotal: k || 'fullPull', value: v } },
                h('dt', null, label),
                h('dd', { title: isBytes ? `${fmt.int(v)} bytes` : '' }, isBytes ? fmt.bytes(v) : fmt.int(v)));
            })),
          plan.requests != null
            ? h('p', { class: 'muted small' }, `Planning read ${fmt.bytes(plan.bytesFetched)} in ${fmt.plural(plan.requests, 'request')}.`)
            : null)),
      h('h4', null, 'Per layer'),
      h('div', { class: 'table-wrap' },
        h('table', { class: 'data compact plan-table' },
          h('thead', null, h('tr', null,
            ...['#', 'Layer', 'Pull', 'Metadata', 'Missing files', 'Missing chunks', 'Ranges', 'Requests', 'Fetched',
              'Full pull', 'Single-range', 'Multi-range → 200', ...(pred ? [`On ${pred.behaviour}`] : [])]
              .map((c, i) => h('th', { class: i >= 3 ? 'num' : '' }, c)))),
          h('tbody', null, ...layerRows))));
    this.drawCurve();
  }

  /** The prediction's outcome and podman's error, as text. */
  predictionNote(pred, { full = 0 } = {}) {
    const [text, tone] = OUTCOME[pred.outcome] || [pred.outcome, ''];
    // the class the Registry check found here: this registry's cost, not a hypothetical one
    const here = this.probed && this.probed === pred.behaviour;
    const status = /^[a-z-]+:(\d{3})/.exec(pred.behaviour || '');
    const headline = !here
      ? `On a ${pred.behaviour} registry ${text}: `
      : pred.outcome === 'fails'
        ? `podman's pull would fail here${status ? `: ${status[1]}` : ''} (this registry, probed: ${pred.behaviour}). `
        : `On this registry (probed: ${pred.behaviour}), podman would download ${fmt.bytes(pred.bytes)}${full ? ` (${fmt.percent(pred.bytes, full, 0)} of a full pull)` : ''}: `;
    return h('div', { class: `note ${tone === 'good' ? '' : tone}`, dataset: { predicted: pred.outcome, here: here ? 'probed' : '' } },
      h('strong', null, headline),
      `${fmt.plural(pred.requests, 'request')} (config included), ${fmt.bytes(pred.bytes)}`,
      pred.attempts > 1 ? `, over ${fmt.plural(pred.attempts, 'attempt')} (podman retries registry JSON errors 3 times, 1 s apart)` : '',
      pred.outcome === 'fails' ? ' received before failing' : '',
      pred.error ? h('div', { class: 'mono small' }, `Error: ${pred.error}`) : null);
  }

  /** One layer's prediction: outcome, bytes, and every request with its status in the title. */
  predictedCell(l) {
    const p = l.predicted;
    if (!p) return h('td', { class: 'num muted' }, '—');
    const lines = p.requests.map((r) =>
      `${r.attempt > 1 ? `#${r.attempt} ` : ''}${r.kind} ${r.ranges.length ? `${r.ranges.length} ranges` : 'GET'} → ${r.status} (${fmt.int(r.bytes)} bytes)`);
    return h('td', { class: 'num', dataset: { key: 'predicted', value: p.bytes, outcome: p.outcome }, title: lines.join('\n') },
      h('span', { class: `badge small ${OUTCOME[p.outcome]?.[1] || ''}` }, p.outcome), ' ',
      `${fmt.bytes(p.bytes)} / ${fmt.int(p.requests.length)}`);
  }

  pickCurveLayer(layers) {
    let best = 0;
    let bestBytes = -1;
    layers.forEach((l, i) => {
      if (l.singleRange?.curve?.length && l.fetchBytes > bestBytes) { best = i; bestBytes = l.fetchBytes; }
    });
    return best;
  }

  drawCurve() {
    const l = this.plan?.layers?.[this.curveLayer];
    // the planner's curve counts data requests and bytes; add the metadata request for the layer's total
    const meta = l?.singleRange?.metadataBytes || 0;
    const curve = (l?.singleRange?.curve || []).filter((p) => p.requests > 0)
      .map((p) => ({ requests: p.requests + (meta ? 1 : 0), bytes: p.bytes + meta }));
    if (!l || !curve.length) {
      fill(this.curveBox, h('p', { class: 'placeholder muted' }, l?.reused
        ? 'This layer is reused: nothing to fetch.'
        : 'No curve for this layer (it is pulled whole).'));
      return;
    }
    const W = 560;
    const H = 240;
    const m = { l: 64, r: 16, t: 12, b: 36 };
    const maxReq = Math.max(...curve.map((p) => p.requests), l.requests || 1, 2);
    const ymax = Math.max(...curve.map((p) => p.bytes), l.fetchBytes || 0, 1) * 1.08;
    const logX = maxReq > 40;
    const xf = (r) => {
      const t = logX ? Math.log(r) / Math.log(maxReq) : (r - 1) / (maxReq - 1 || 1);
      return m.l + t * (W - m.l - m.r);
    };
    const yf = (b) => H - m.b - (b / ymax) * (H - m.t - m.b);
    const pts = curve.map((p) => `${xf(p.requests).toFixed(1)},${yf(p.bytes).toFixed(1)}`).join(' ');
    const ticksAll = logX
      ? [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000].filter((v) => v <= maxReq)
      : Array.from(new Set([1, Math.round(maxReq / 4), Math.round(maxReq / 2), Math.round((3 * maxReq) / 4), maxReq])).filter((v) => v >= 1);
    // axis labels never overlap nor leave the chart: a label is kept only when it clears the one
    // before by 6 units (about 6.5 units per character at the tick font size)
    const ticksX = [];
    let lastRight = -Infinity;
    for (const v of ticksAll) {
      const half = (fmt.int(v).length * 6.5) / 2;
      const x = Math.min(xf(v), W - half);
      if (x - half >= lastRight + 6) {
        ticksX.push(v);
        lastRight = x + half;
      }
    }
    this.curveTicks = ticksX;
    const ticksY = [0, 0.25, 0.5, 0.75, 1].map((f) => (f * ymax) / 1.08);
    const chosen = l.singleRange;
    const readout = s('text', { x: W - m.r, y: m.t + 10, 'text-anchor': 'end', class: 'readout' }, '');
    const guide = s('line', { x1: 0, x2: 0, y1: m.t, y2: H - m.b, class: 'guide', visibility: 'hidden' });
    const svg = s('svg', {
      viewBox: `0 0 ${W} ${H}`, class: 'curve', role: 'img',
      'aria-label': `Requests versus bytes of the single-range plan: ${curve.map((p) => `${p.requests} → ${fmt.bytes(p.bytes)}`).slice(0, 12).join(', ')}${curve.length > 12 ? ', …' : ''}. Click a point to use its budget.`,
    },
      ...ticksY.map((b) => s('g', null,
        s('line', { x1: m.l, x2: W - m.r, y1: yf(b), y2: yf(b), class: 'grid' }),
        s('text', { x: m.l - 6, y: yf(b) + 4, 'text-anchor': 'end', class: 'tick' }, fmt.bytes(Math.round(b))))),
      ...ticksX.map((r) => s('g', null,
        s('line', { x1: xf(r), x2: xf(r), y1: H - m.b, y2: H - m.b + 4, class: 'axis' }),
        s('text', { x: Math.min(xf(r), W - (fmt.int(r).length * 6.5) / 2), y: H - m.b + 16, 'text-anchor': 'middle', class: 'tick' }, fmt.int(r)))),
      s('line', { x1: m.l, x2: W - m.r, y1: H - m.b, y2: H - m.b, class: 'axis' }),
      s('text', { x: (m.l + W - m.r) / 2, y: H - 4, 'text-anchor': 'middle', class: 'axis-label' },
        `requests${logX ? ' (log scale)' : ''}`),
      s('polyline', { points: pts, class: 'curve-line' }),
      l.requests
        ? s('g', { class: 'ref-point' },
          s('circle', { cx: xf(Math.max(1, l.requests)), cy: yf(l.fetchBytes), r: 5 }),
          s('title', null, `podman/CRI-O: ${fmt.bytes(l.fetchBytes)} in ${fmt.plural(l.requests, 'request')} (multi-range)`))
        : null,
      chosen?.requests
        ? s('g', { class: 'chosen-point' },
          s('circle', { cx: xf(chosen.requests), cy: yf(chosen.bytes), r: 5 }),
          s('title', null, `chunkscope (budget ${chosen.budget}): ${fmt.bytes(chosen.bytes)} in ${fmt.plural(chosen.requests, 'request')}`))
        : null,
      guide, readout);
    const nearest = (e) => {
      const r = svg.getBoundingClientRect();
      const x = ((e.clientX - r.left) / r.width) * W;
      let best = curve[0];
      for (const p of curve) if (Math.abs(xf(p.requests) - x) < Math.abs(xf(best.requests) - x)) best = p;
      return best;
    };
    // a click on the curve makes its nearest point's request count the budget (on pointerdown:
    // a budget typed just before re-plans on blur, which redraws the curve before a click lands)
    svg.addEventListener('pointerdown', (e) => {
      if (e.button !== 0) return;
      const best = nearest(e);
      if (best) this.setBudget(best.requests);
    });
    svg.addEventListener('mousemove', (e) => {
      const best = nearest(e);
      guide.setAttribute('x1', xf(best.requests));
      guide.setAttribute('x2', xf(best.requests));
      guide.setAttribute('visibility', 'visible');
      readout.textContent = `${fmt.plural(best.requests, 'request')} → ${fmt.bytes(best.bytes)} (click: use as budget)`;
    });
    svg.addEventListener('mouseleave', () => {
      guide.setAttribute('visibility', 'hidden');
      readout.textContent = '';
    });
    fill(this.curveBox, svg,
      h('div', { class: 'curve-legend' },
        h('span', { class: 'chip' }, h('span', { class: 'swatch line' }), 'single-range plan'),
        h('span', { class: 'chip' }, h('span', { class: 'swatch dot chosen' }), `plan (K=${chosen?.budget ?? ''}): ${fmt.bytes(chosen?.bytes)} in ${fmt.plural(chosen?.requests || 0, 'request')}`),
        l.requests ? h('span', { class: 'chip' }, h('span', { class: 'swatch dot ref' }), `podman/CRI-O: ${fmt.bytes(l.fetchBytes)} in ${fmt.plural(l.requests, 'request')} (${fmt.plural(l.ranges, 'range')})`) : null));
  }
}
