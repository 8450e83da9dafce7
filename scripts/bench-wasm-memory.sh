#!/usr/bin/env bash
# bench-wasm-memory.sh — where a big layer's inspection holds wasm memory: builds
# benches/wasm-memory (chunkscope's TOC-only phases in wasm32-unknown-unknown with the browser
# module's allocator, dlmalloc, counted) and runs it under Node on each layout given (default: the
# big layers scripts/bench-big.sh builds), printing live bytes, peak live bytes, wasm memory and
# bytes moved by realloc after each phase. Not a test: a measurement (README "Big layers in the
# browser", peak wasm memory).
#
#   bash scripts/bench-wasm-memory.sh [OCI_LAYOUT_DIR…]
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
die() { echo "[bench-wasm-memory] ERROR: $*" >&2; exit 1; }
layouts=("$@")
[ ${#layouts[@]} -gt 0 ] || layouts=(target/bench-layers/big154k target/bench-layers/big510k)
for l in "${layouts[@]}"; do
  [ -f "$l/index.json" ] || die "$l is missing: build it with bash scripts/bench-big.sh (as root, for the trixie chroot)"
done
# The same target directory as the browser build, so its wasm32 dependencies are reused.
cargo build -q --release --target wasm32-unknown-unknown \
  --manifest-path benches/wasm-memory/Cargo.toml --target-dir target
wasm=target/wasm32-unknown-unknown/release/chunkscope_wasm_memory.wasm
[ -f "$wasm" ] || die "$wasm was not produced"
for l in "${layouts[@]}"; do
  echo "== $l"
  node benches/wasm-memory/run.mjs "$wasm" "$l"
done
