// url-state.js — the inspector's view in the page address: what it starts from (the query string
// with `sync-url`, else the element's attributes) and the query string that names the current view
// (registry, image, have, platform, layer, file, tab, view, sort, filter, pull, budget), kept in the address bar with
// history.replaceState. Credentials never go into the URL.

/** Query string with readable ':', '/' and '@'; empty values left out. */
export function queryString(params) {
  return Object.entries(params)
    .filter(([, v]) => v !== undefined && v !== null && v !== '')
    .map(([k, v]) => `${k}=${encodeURIComponent(v).replace(/%3A/gi, ':').replace(/%2F/gi, '/').replace(/%40/g, '@')}`)
    .join('&');
}

/**
 * Where the element starts: the page's query string when it has `sync-url`, else its attributes.
 * @returns {{registry, image, have, platform, layer, file, tab, view}} (strings or null)
 */
export function readInitial(el) {
  const q = el.hasAttribute('sync-url') ? new URLSearchParams(location.search) : new URLSearchParams();
  const pick = (k) => q.get(k) ?? el.getAttribute(k) ?? '';
  return {
    registry: pick('registry'),
    image: pick('image'),
    have: q.getAll('have').length ? q.getAll('have').join(', ') : el.getAttribute('have') || '',
    platform: pick('platform'),
    layer: q.get('layer'),
    file: q.get('file'),
    tab: q.get('tab'),
    view: q.get('view'),
    // the file list's sort (`size`, or `-size` reversed) and filter text; the Pull cost budget
    sort: q.get('sort'),
    filter: q.get('filter'),
    pull: q.get('pull'),
    budget: q.get('budget'),
    // the Pull cost options (plan-view.js optionParams)
    planOpts: Object.fromEntries(['reuse', 'hardlinks', 'insecure', 'behaviour', 'errors'].map((k) => [k, q.get(k) || ''])),
  };
}

/**
 * Puts the view into the address bar (replaceState: no history entry per click).
 * @param {{registry, image, have: string[], platform, layer: number, file, tab, listView: boolean,
 *   sort?: string, reverse?: boolean, filter?: string, budget?: string}} v
 */
export function writeUrl(v) {
  const qs = queryString({
    registry: v.registry,
    image: v.image,
    have: (v.have || []).join(','),
    platform: v.platform,
    layer: v.layer >= 0 ? String(v.layer + 1) : '',
    file: v.file || '',
    tab: v.tab !== 'files' ? v.tab : '',
    view: v.listView ? 'list' : '',
    sort: v.sort && (v.sort !== 'toc' || v.reverse) ? `${v.reverse ? '-' : ''}${v.sort}` : '',
    filter: v.filter || '',
    pull: v.pull || '',
    budget: v.budget || '',
    ...(v.planOpts || {}),
  });
  const url = `${location.pathname}?${qs}${location.hash}`;
  if (url !== `${location.pathname}${location.search}${location.hash}`) history.replaceState(history.state, '', url);
}

/**
 * The layer a `layer=` parameter names: a 1-based number, or a digest or its prefix; -1 if none.
 */
export function layerFromParam(param, layers) {
  if (!param) return -1;
  const n = Number(param);
  if (Number.isInteger(n) && n >= 1 && n <= layers.length) return n - 1;
  return layers.findIndex((l) => l.digest === param || l.digest.startsWith(param));
}

/** A `sort=` parameter (`size`, `-size`) → {sort, reverse}, or null when it names no sort. */
export function sortFromParam(param, sorts) {
  if (!param) return null;
  const reverse = param.startsWith('-');
  const sort = reverse ? param.slice(1) : param;
  return Object.prototype.hasOwnProperty.call(sorts, sort) ? { sort, reverse } : null;
}
