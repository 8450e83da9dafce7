// dom.js — building DOM safely. Every string becomes a text node or an attribute value: nothing
// here (or anywhere in chunkscope's UI) parses HTML, so names from a registry can't inject markup.
// `props` sets only whitelisted state properties; URL attributes take only blob:/http(s):/#
// values; inline handlers, `style` and `srcdoc` attributes throw.

const SVG_NS = 'http://www.w3.org/2000/svg';

/** DOM properties `props` may set: plain state, nothing that parses markup or loads a URL. */
const PROPS = new Set(['checked', 'value', 'disabled', 'selected', 'indeterminate', 'multiple']);

/** Attributes that take a URL: only these schemes (or a fragment) are ever set. */
const URL_ATTRS = new Set(['href', 'src', 'xlink:href', 'action', 'formaction']);
const SAFE_URL = /^(blob:|https:|http:|#)/;

/** Attributes that are never set at all (markup, inline code and styles). */
const FORBIDDEN_ATTRS = new Set(['srcdoc', 'style']);

/**
 * Checks one attribute before it is set, and throws on anything unsafe: a failure in development
 * beats a quiet hole. Exported for the few places that call setAttribute themselves.
 */
export function checkAttribute(name, value) {
  const k = String(name).toLowerCase();
  if (/^on/.test(k)) throw new Error(`dom: no inline handlers (${name})`);
  if (FORBIDDEN_ATTRS.has(k)) throw new Error(`dom: attribute ${name} is not allowed (set styles through el.style)`);
  if (URL_ATTRS.has(k) && !SAFE_URL.test(String(value))) {
    throw new Error(`dom: ${name} must be a blob:, https:, http: or #fragment URL, not ${JSON.stringify(String(value).slice(0, 40))}`);
  }
}

function applyProps(el, props) {
  if (!props) return;
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.setAttribute('class', Array.isArray(v) ? v.filter(Boolean).join(' ') : v);
    else if (k === 'text') el.textContent = String(v);
    else if (k === 'on') for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
    else if (k === 'dataset') for (const [dk, dv] of Object.entries(v)) { if (dv != null) el.dataset[dk] = String(dv); }
    else if (k === 'props') {
      for (const [pk, pv] of Object.entries(v)) {
        if (!PROPS.has(pk)) throw new Error(`dom.h: property ${pk} is not in the props whitelist (${[...PROPS].join(', ')})`);
        el[pk] = pv;
      }
    } else {
      const value = v === true ? '' : String(v);
      checkAttribute(k, value);
      el.setAttribute(k, value);
    }
  }
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

/** h('div', {class: 'x', dataset: {path}}, 'text', child…) — an HTML element. */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  applyProps(el, props);
  append(el, children);
  return el;
}

/** s('rect', {x: 1}) — an SVG element. */
export function s(tag, props, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  applyProps(el, props);
  append(el, children);
  return el;
}

/** Replaces an element's children. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** Sets text only when it changed (cheap for virtualised rows). */
export function setText(el, text) {
  const t = String(text);
  if (el.textContent !== t) el.textContent = t;
}

/** A button that copies `getText()` to the clipboard and says so. */
export function copyButton(getText, label = 'Copy', name = '') {
  // `name`: the accessible name when several Copy buttons share a page ("Copy distribution CORS config")
  const b = h('button', { type: 'button', class: 'btn small ghost', ...(name ? { 'aria-label': name } : {}) }, label);
  b.addEventListener('click', async () => {
    const text = getText();
    try {
      await navigator.clipboard.writeText(text);
      b.textContent = 'Copied';
    } catch {
      b.textContent = 'Select and copy';
    }
    setTimeout(() => { b.textContent = label; }, 1500);
  });
  return b;
}

/** Tiny event emitter mixin for component classes. */
export class Emitter {
  constructor() { this._handlers = new Map(); }
  on(type, fn) {
    if (!this._handlers.has(type)) this._handlers.set(type, new Set());
    this._handlers.get(type).add(fn);
    return () => this._handlers.get(type)?.delete(fn);
  }
  emit(type, detail) {
    for (const fn of this._handlers.get(type) || []) fn(detail);
  }
}
