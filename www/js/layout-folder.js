// layout-folder.js — an OCI image layout folder chosen in the page, as the module's
// `inspectLayout` takes it: a Map of paths relative to the layout's root (`oci-layout`,
// `index.json`, `blobs/sha256/<hex>`) to the Files. Two ways in: the files of an
// `<input type=file webkitdirectory>` (each with its `webkitRelativePath`), or a directory handle
// from `showDirectoryPicker` (only the layout's own entries are opened: nothing else in the
// folder is listed or read).

/** At most this many blobs are taken from one folder (a layout holds a few per image). */
const MAX_BLOBS = 100000;

/** A path cut into its components, with empty ones, `.` and `..` refused. */
function parts(p) {
  const xs = String(p).split('/');
  return xs.every((x) => x && x !== '.' && x !== '..') ? xs : null;
}

/**
 * The files of a webkitdirectory input → Map(path under the layout root → File). The root is the
 * folder that holds `oci-layout` (the shallowest one), else the one that holds `index.json`,
 * else the chosen folder; only `oci-layout`, `index.json` and `blobs/ALG/HEX` are kept.
 * @param {FileList|File[]} files
 * @returns {{folder: Map<string, File>, name: string}}
 */
export function layoutFromFiles(files) {
  const list = [...files].map((f) => ({ f, p: parts(f.webkitRelativePath || f.name) })).filter((x) => x.p);
  const rootOf = (file) => list
    .filter((x) => x.p[x.p.length - 1] === file)
    .map((x) => x.p.slice(0, -1))
    .sort((a, b) => a.length - b.length)[0];
  const root = rootOf('oci-layout') || rootOf('index.json') || (list[0] ? list[0].p.slice(0, 1) : []);
  const folder = new Map();
  for (const { f, p } of list) {
    if (p.length <= root.length || !root.every((x, i) => p[i] === x)) continue;
    const rel = p.slice(root.length);
    const keep = (rel.length === 1 && (rel[0] === 'oci-layout' || rel[0] === 'index.json'))
      || (rel.length === 3 && rel[0] === 'blobs');
    if (keep && folder.size < MAX_BLOBS + 2) folder.set(rel.join('/'), f);
  }
  return { folder, name: root.length ? root[root.length - 1] : (list[0]?.p[0] || 'folder') };
}

/**
 * A directory handle (showDirectoryPicker) → the same Map: `oci-layout`, `index.json` and the
 * files of `blobs/*` are opened, nothing else.
 * @param {FileSystemDirectoryHandle} dir
 * @returns {Promise<{folder: Map<string, File>, name: string}>}
 */
export async function layoutFromHandle(dir) {
  const folder = new Map();
  for (const name of ['oci-layout', 'index.json']) {
    try {
      folder.set(name, await (await dir.getFileHandle(name)).getFile());
    } catch { /* missing: inspectLayout says which */ }
  }
  let blobs = null;
  try {
    blobs = await dir.getDirectoryHandle('blobs');
  } catch { /* no blobs/: every blob will be missing */ }
  if (blobs) {
    for await (const [alg, algDir] of blobs.entries()) {
      if (algDir.kind !== 'directory') continue;
      for await (const [hex, h] of algDir.entries()) {
        if (h.kind !== 'file') continue;
        if (folder.size >= MAX_BLOBS + 2) break;
        folder.set(`blobs/${alg}/${hex}`, await h.getFile());
      }
    }
  }
  return { folder, name: dir.name };
}

/** The Blob of a layer (or any blob) of the folder by digest, or null. */
export function layoutBlob(folder, digest) {
  const m = /^([A-Za-z0-9]+):([0-9a-fA-F]+)$/.exec(String(digest || ''));
  return (m && folder && folder.get(`blobs/${m[1]}/${m[2]}`)) || null;
}
