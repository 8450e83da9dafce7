// run-wasi.mjs — run a wasm32-wasip1 command module (a `harness = false` bench main built with
// `--target wasm32-wasip1`) under Node's built-in WASI (node:wasi, preview1). scripts/bench.sh
// uses it for the wasm half of the benchmarks.
//
//   node --no-warnings scripts/run-wasi.mjs FILE.wasm [ARGS...]
//
// Prints the engine that runs the code (Node and V8 versions) to stderr, passes stdout/stderr and
// the environment through, preopens no directory unless WASI_PREOPEN names one, and exits with the
// module's exit code.
//
// Node 20's WASI calls into C++ through V8 "fast API calls", and a GC that starts inside one
// (fd_write allocating) can destroy the WASI object while it is in use: SIGSEGV/SIGABRT in about
// half the runs of benches/inspect.rs (backtrace: uvwasi_fd_write → AdjustAmountOfExternalAllocated
// Memory → GC → ~WASI → uv_mutex_destroy → abort). `--no-turbo-fast-api-calls` avoids it (0 of 40
// runs crashed); it only changes how the few WASI calls (clock, write) are made, not the wasm code.
// So without that flag this script re-runs itself with it.
import { spawnSync } from 'node:child_process';
import { writeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { WASI } from 'node:wasi';
import process from 'node:process';

const FLAG = '--no-turbo-fast-api-calls';
if (!process.execArgv.includes(FLAG)) {
  const r = spawnSync(process.execPath, [...process.execArgv, FLAG, ...process.argv.slice(1)], {
    stdio: 'inherit',
  });
  if (r.error) throw r.error;
  if (r.signal) {
    console.error(`run-wasi: node killed by ${r.signal}`);
    process.exit(1);
  }
  process.exit(r.status ?? 1);
}

const [file, ...args] = process.argv.slice(2);
if (!file) {
  console.error('usage: node --no-warnings scripts/run-wasi.mjs FILE.wasm [ARGS...]');
  process.exit(2);
}
// WASI_PREOPEN=DIR gives the module DIR (same path inside), for a bench that reads files
// (benches/phases.rs reads an OCI layout); without it, no directory is preopened.
const preopens = process.env.WASI_PREOPEN ? { [process.env.WASI_PREOPEN]: process.env.WASI_PREOPEN } : {};
const wasi = new WASI({
  version: 'preview1',
  args: [file, ...args],
  env: process.env,
  preopens,
  returnOnExit: true,
});
const module = await WebAssembly.compile(await readFile(file));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
// Synchronous, so that it comes before the module's own (synchronous) output on a pipe.
writeSync(
  2,
  `[wasm32-wasip1 under Node ${process.version} (V8 ${process.versions.v8}), node:wasi preview1, ${FLAG}]\n`,
);
process.exitCode = wasi.start(instance) ?? 0;
