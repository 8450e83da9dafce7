// registry-form.js — what to inspect: a registry image (with an optional "have" image and
// platform), or a local layer blob with its annotations pasted.

import { h, Emitter } from './dom.js';
import { serveInfo } from './api.js';
import { layoutFromFiles, layoutFromHandle } from './layout-folder.js';

export class RegistryForm extends Emitter {
  constructor() {
    super();
    const input = (name, placeholder, extra = {}) =>
      h('input', {
        name, placeholder, type: 'text', spellcheck: 'false', autocomplete: 'off',
        autocapitalize: 'off', ...extra,
      });
    // Behind `chunkscope serve` a plain registry name is enough: requests go through its gateway.
    const serve = serveInfo();
    this.registry = serve
      ? input('registry', 'registry.example.com', { required: true, 'aria-label': 'Registry' })
      : input('registry', 'https://registry.example.com', { type: 'url', required: true, 'aria-label': 'Registry URL' });
    this.serveNote = serve
      ? h('p', { class: 'serve-note muted', 'data-serve-note': '' },
        'Served by chunkscope serve: registry requests go through this local server (',
        h('code', null, `${location.origin}${serve.gateway}…`),
        '), which forwards them to the registry and streams the answers back unchanged, so registries without ' +
          'CORS headers can be read. Type a registry name (https), or http://HOST:PORT for plain http' +
          (serve.insecure ? '.' : ' (needs chunkscope serve --insecure).') +
          ' Credentials pass through to the registry and its token service only; nothing is stored.')
      : null;
    this.image = input('image', 'repository:tag or repository@sha256:…', { required: true, 'aria-label': 'Image', list: 'image-tags' });
    // the tag picker: the repository's tags, listed once the repository is typed
    this.tagList = h('datalist', { id: 'image-tags' });
    this.tagsFor = '';
    this.have = input('have', 'repository:tag (optional)', { 'aria-label': 'Image already present' });
    this.platform = h('select', { name: 'platform', 'aria-label': 'Platform' });
    this.platformField = h('label', { class: 'field platform', hidden: true },
      h('span', { class: 'label' }, 'Platform'), this.platform);
    this.submit = h('button', { type: 'submit', class: 'btn primary' }, 'Inspect');
    // the registry alone (GET /v2/): reachable? readable from this page? — before any image
    this.check = h('button', { type: 'button', class: 'btn check-registry', 'aria-label': 'Check the registry (reachable, readable from this page)' }, 'Check registry');
    this.check.addEventListener('click', () => this.emit('check', this.values()));

    this.verify = h('input', { type: 'checkbox', name: 'verifyTarSplit' });
    // how long one wait (connecting, the headers, the next chunk of a body) may last: stallTimeoutMs
    this.stall = h('input', {
      type: 'number', name: 'stallTimeout', min: '1', max: '3600', step: '1', placeholder: '30', class: 'stall-timeout',
      'aria-label': 'Stall limit in seconds (1 to 3600; empty: 30)',
    });
    this.token = input('token', 'Bearer token', { type: 'password', autocomplete: 'off' });
    this.username = input('username', 'user name', { autocomplete: 'username' });
    this.password = input('password', 'password', { type: 'password', autocomplete: 'current-password' });

    this.form = h('form', { class: 'query', novalidate: true },
      this.serveNote,
      h('div', { class: 'fields' },
        h('label', { class: 'field registry' }, h('span', { class: 'label' }, 'Registry'), this.registry),
        h('label', { class: 'field image' }, h('span', { class: 'label' }, 'Image'), this.image, this.tagList),
        h('label', { class: 'field have' },
          h('span', { class: 'label' }, 'Already have ', h('span', { class: 'hint' }, '— for the pull cost')),
          this.have),
        this.platformField,
        h('div', { class: 'field submit' }, this.submit, this.check)),
      h('details', { class: 'options' },
        h('summary', null, 'Options and sign-in'),
        h('div', { class: 'options-body' },
          h('label', { class: 'check' }, this.verify,
            h('span', null, 'Also read and verify each layer\'s tar-split (same single range, more bytes)')),
          h('label', { class: 'field stall-field' },
            h('span', { class: 'label' }, 'Stall limit (seconds)', h('span', { class: 'hint' }, ' — a request that gets nothing for this long fails as a time-out')),
            this.stall),
          h('div', { class: 'auth' },
            h('p', { class: 'muted' },
              'Credentials are sent to this registry only, never stored, never put in the page URL. ' +
                (serve
                  ? 'Behind chunkscope serve they reach the registry through the local server.'
                  : 'They need a registry that answers CORS preflights (see the Registry check).')),
            h('label', { class: 'field' }, h('span', { class: 'label' }, 'Token'), this.token),
            h('label', { class: 'field' }, h('span', { class: 'label' }, 'User'), this.username),
            h('label', { class: 'field' }, h('span', { class: 'label' }, 'Password'), this.password)))));
    // typing a repository asks for its tags (once per repository, after a pause)
    this.image.addEventListener('input', () => {
      clearTimeout(this._tagTimer);
      const repo = this.image.value.trim().split(/[:@]/)[0];
      if (!repo || repo === this.tagsFor) return;
      this._tagTimer = setTimeout(() => this.emit('repository', { ...this.values(), repository: repo }), 500);
    });
    this.form.addEventListener('submit', (e) => {
      e.preventDefault();
      clearTimeout(this._tagTimer);
      this.emit('submit', this.values());
    });
    // the inspector decides what a platform change re-reads (a registry image or a layout folder)
    this.platform.addEventListener('change', () => this.emit('platform', this.values()));

    // Local blob.
    this.file = h('input', { type: 'file', name: 'blob', 'aria-label': 'Layer blob file' });
    this.annotations = h('textarea', {
      name: 'annotations', rows: '3', spellcheck: 'false',
      placeholder: '{"io.github.containers.zstd-chunked.manifest-position": "…", …}  (optional: the layer descriptor\'s annotations)',
    });
    this.fileSubmit = h('button', { type: 'submit', class: 'btn' }, 'Inspect file');
    this.fileForm = h('form', { class: 'local' },
      h('details', null,
        h('summary', null, 'Or open a layer blob from this computer'),
        h('div', { class: 'local-body' },
          h('p', { class: 'muted' },
            'The file is read in place with single byte ranges, like a registry blob; nothing is uploaded.'),
          h('label', { class: 'field' }, h('span', { class: 'label' }, 'Layer blob'), this.file),
          h('label', { class: 'field' }, h('span', { class: 'label' }, 'Annotations (JSON, optional)'), this.annotations),
          this.fileSubmit)));
    this.fileForm.addEventListener('submit', (e) => {
      e.preventDefault();
      const f = this.file.files && this.file.files[0];
      if (!f) {
        this.emit('error', new Error('Choose a layer blob file first.'));
        return;
      }
      let annotations = null;
      const text = this.annotations.value.trim();
      if (text) {
        try {
          annotations = JSON.parse(text);
          if (!annotations || typeof annotations !== 'object' || Array.isArray(annotations)) throw new Error('not an object');
          // A whole descriptor pasted: take its annotations.
          if (annotations.annotations && typeof annotations.annotations === 'object') annotations = annotations.annotations;
        } catch (err) {
          this.emit('error', new Error(
            `The annotations are not a JSON object (${err.message}). Paste the layer descriptor's "annotations" ` +
              'object from the image manifest, or leave the box empty.'));
          return;
        }
      }
      this.emit('file', { file: f, annotations });
    });

    // An OCI image layout folder: index.json → manifest → config → layers, read in place.
    this.folder = h('input', { type: 'file', name: 'layout', webkitdirectory: '', multiple: '', 'aria-label': 'OCI layout folder' });
    this.layoutTag = input('layoutTag', 'tag (when index.json holds several images)', { 'aria-label': 'Tag in the layout (optional)' });
    this.folderSubmit = h('button', { type: 'submit', class: 'btn' }, 'Inspect folder');
    // the layer blobs' own digests: each layer read whole once (local files: cheap next to a download)
    this.verifyLayers = h('input', { type: 'checkbox', name: 'verifyLayers', props: { checked: true } });
    // showDirectoryPicker where the browser has it: only the layout's own entries are opened
    this.pickFolder = typeof globalThis.showDirectoryPicker === 'function'
      ? h('button', { type: 'button', class: 'btn small pick-folder' }, 'Choose folder…')
      : null;
    this.folderNote = h('p', { class: 'muted small folder-chosen', 'aria-live': 'polite' });
    this.layoutForm = h('form', { class: 'layout-folder' },
      h('details', null,
        h('summary', null, 'Or open an OCI image layout folder'),
        h('div', { class: 'local-body' },
          h('p', { class: 'muted' },
            'The folder that holds oci-layout, index.json and blobs/ (as skopeo copy … oci:DIR writes it). ' +
              'Manifests and config are verified against their digests; layers are read in place with single ' +
              'byte ranges. Nothing is uploaded.'),
          h('label', { class: 'field' }, h('span', { class: 'label' }, 'Layout folder'), this.folder),
          this.pickFolder, this.folderNote,
          h('label', { class: 'field' }, h('span', { class: 'label' }, 'Tag (optional)'), this.layoutTag),
          h('label', { class: 'check' }, this.verifyLayers,
            h('span', null, 'Also verify each layer blob\'s digest (reads every layer whole once)')),
          this.folderSubmit)));
    this.pickedLayout = null;
    this.folder.addEventListener('change', () => {
      this.pickedLayout = null;
      this.folderNote.textContent = '';
    });
    if (this.pickFolder) {
      this.pickFolder.addEventListener('click', async () => {
        try {
          const dir = await globalThis.showDirectoryPicker({ mode: 'read' });
          this.pickedLayout = await layoutFromHandle(dir);
          this.folderNote.textContent = `Chosen: ${this.pickedLayout.name} (${this.pickedLayout.folder.size} layout files)`;
        } catch (err) {
          if (err && err.name === 'AbortError') return; // the user closed the picker
          this.emit('error', err);
        }
      });
    }
    this.layoutForm.addEventListener('submit', (e) => {
      e.preventDefault();
      const files = this.folder.files;
      const chosen = this.pickedLayout || (files && files.length ? layoutFromFiles(files) : null);
      if (!chosen) {
        this.emit('error', Object.assign(new Error('Choose an OCI layout folder first.'), { kind: 'input' }));
        return;
      }
      this.emit('layout', { ...chosen, tag: this.layoutTag.value.trim(), verifyLayers: this.verifyLayers.checked });
    });

    this.el = h('section', { class: 'card form-card' }, this.form, this.fileForm, this.layoutForm);
  }

  values() {
    return {
      registry: this.registry.value.trim(),
      image: this.image.value.trim(),
      have: this.have.value.trim(),
      platform: this.platformField.hidden ? this._platform || '' : this.platform.value,
      verifyTarSplit: this.verify.checked,
      stallTimeoutMs: this.stallTimeoutMs(),
      token: this.token.value || undefined,
      username: this.username.value || undefined,
      password: this.password.value || undefined,
    };
  }

  setValues({ registry, image, have, platform }) {
    if (registry !== undefined) this.registry.value = registry || '';
    if (image !== undefined) this.image.value = image || '';
    if (have !== undefined) this.have.value = have || '';
    if (platform !== undefined) this._platform = platform || '';
  }

  /** The stall limit in ms (a whole number of seconds, 1 to 3600), or undefined: the module's 30 s. */
  stallTimeoutMs() {
    const t = this.stall.value.trim();
    const n = Number(t);
    const ok = t === '' || (Number.isInteger(n) && n >= 1 && n <= 3600);
    this.stall.setAttribute('aria-invalid', String(!ok));
    return t !== '' && ok ? n * 1000 : undefined;
  }

  /** The `stall-timeout` attribute (seconds). */
  setStallTimeout(seconds) {
    this.stall.value = seconds == null ? '' : String(seconds).trim();
  }

  /** The tag picker's choices: `repository:tag` for each tag (at most 500). */
  setTags(repository, tags) {
    this.tagsFor = repository;
    this.tagList.replaceChildren(...(tags || []).slice(0, 500).map((t) => h('option', { value: `${repository}:${t}` })));
  }

  /** Shows the platform choice when the reference is an index. */
  setPlatforms(list, selected) {
    if (!list || !list.length) {
      this.platformField.hidden = true;
      return;
    }
    this.platform.replaceChildren(...list.map((p) => h('option', { value: p }, p)));
    if (selected && list.includes(selected)) this.platform.value = selected;
    this._platform = this.platform.value;
    this.platformField.hidden = false;
  }

  setBusy(busy) {
    this.submit.disabled = busy;
    this.fileSubmit.disabled = busy;
    this.folderSubmit.disabled = busy;
    this.submit.textContent = busy ? 'Reading…' : 'Inspect';
  }
}
