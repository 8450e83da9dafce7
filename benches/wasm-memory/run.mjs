// run.mjs — drives the wasm-memory probe (src/lib.rs, built for wasm32-unknown-unknown) on an OCI
// layout's first layer: `phases` (decode, parse, drop the text, build the file model) and the
// whole TOC-only `inspect`, each in a fresh instance, printing MB after each phase.
//
//   node benches/wasm-memory/run.mjs PROBE.wasm OCI_LAYOUT_DIR
import fs from 'node:fs';

const [wasmPath, layout] = process.argv.slice(2);
if (!wasmPath || !layout) {
  console.error('usage: node run.mjs PROBE.wasm OCI_LAYOUT_DIR');
  process.exit(2);
}
const read = (p) => fs.readFileSync(`${layout}/${p}`);
const blob = (d) => `blobs/${d.replace(':', '/')}`;
const index = JSON.parse(read('index.json'));
const manifest = JSON.parse(read(blob(index.manifests[0].digest)));
const layer = manifest.layers[0];
const position = layer.annotations['io.github.containers.zstd-chunked.manifest-position'];
if (!position) throw new Error(`${layout}: the first layer is not zstd:chunked`);
const [offset, length, uncompressed] = position.split(':').map(Number);
const fd = fs.openSync(`${layout}/${blob(layer.digest)}`, 'r');
const toc = Buffer.alloc(length);
fs.readSync(fd, toc, 0, length, offset);
fs.closeSync(fd);
const module = await WebAssembly.compile(fs.readFileSync(wasmPath));
const imports = {};
for (const i of WebAssembly.Module.imports(module)) {
  imports[i.module] ??= {};
  imports[i.module][i.name] = () => { throw new Error(`unexpected call of ${i.module}.${i.name}`); };
}
const mb = (b) => (b / 1e6).toFixed(1).padStart(6);

async function run(what, labels, call) {
  const x = (await WebAssembly.instantiate(module, imports)).exports;
  const put = (bytes) => {
    const p = x.buffer(bytes.length);
    new Uint8Array(x.memory.buffer, p, bytes.length).set(bytes);
    return p;
  };
  const t0 = performance.now();
  const n = call(x, put);
  const ms = performance.now() - t0;
  if (!n) throw new Error(`${what}: the layer did not inspect`);
  const out = new Float64Array(x.memory.buffer, x.marks(), 64);
  console.log(`${what}: ${n} entries, ${ms.toFixed(0)} ms, wasm memory ${mb(x.memory.buffer.byteLength)} MB`);
  labels.forEach((label, i) => {
    console.log(`  ${label.padEnd(13)} live ${mb(out[i * 4])}  peak live ${mb(out[i * 4 + 1])}  memory ${mb(out[i * 4 + 2])}  moved by realloc ${mb(out[i * 4 + 3])} MB`);
  });
  return x;
}

const x = await run('phases', ['start', 'decoded', 'parsed', 'text dropped', 'model built'],
  (x, put) => x.phases(put(toc), toc.length, uncompressed, offset - 8));
console.log(`  sizes: TocEntry ${x.sizes(0)} B, FileEntry ${x.sizes(1)} B, Chunk ${x.sizes(2)} B; TOC ${toc.length} B compressed, ${uncompressed} B JSON`);
await run('inspect', ['start', 'inspected'], (x, put) => {
  const desc = Buffer.from(JSON.stringify(layer));
  return x.inspect(put(toc), toc.length, put(desc), desc.length);
});
