#!/usr/bin/env bash
# build.sh — build the browser module: chunkscope compiled to wasm32 plus its wasm-bindgen
# JS glue and TypeScript types, written to www/pkg/ (what www/inspector.js imports).
#
#   bash scripts/build.sh            (release build; `npm run build` runs this)
#
# Needs the rust target wasm32-unknown-unknown and wasm-bindgen-cli at the exact version of
# the wasm-bindgen crate in Cargo.lock (scripts/install-deps.sh installs both).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

die() { echo "[build] ERROR: $*" >&2; exit 1; }
t0=$(date +%s.%N)

command -v cargo >/dev/null || die "cargo not found (install Rust: https://rustup.rs)"
command -v wasm-bindgen >/dev/null || die "wasm-bindgen not found: run bash scripts/install-deps.sh"
if command -v rustup >/dev/null && ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  die "rust target wasm32-unknown-unknown missing: run bash scripts/install-deps.sh"
fi
want=$(awk '
  /^\[\[package\]\]/ { name = "" }
  /^name = /         { name = $3; gsub(/"/, "", name) }
  /^version = / && name == "wasm-bindgen" { v = $3; gsub(/"/, "", v); print v; exit }
' Cargo.lock 2>/dev/null || true)
have=$(wasm-bindgen --version | awk '{print $2}')
if [ -n "$want" ] && [ "$want" != "$have" ]; then
  die "wasm-bindgen CLI is $have but Cargo.lock wants $want: run bash scripts/install-deps.sh"
fi

echo "[build] cargo build --lib --release --target wasm32-unknown-unknown --no-default-features --features js-api"
cargo build --lib --release --target wasm32-unknown-unknown --no-default-features --features js-api

wasm=target/wasm32-unknown-unknown/release/chunkscope.wasm
[ -f "$wasm" ] || die "$wasm was not produced"
rm -rf www/pkg.tmp
echo "[build] wasm-bindgen --target web --out-dir www/pkg --typescript $wasm"
wasm-bindgen --target web --out-dir www/pkg.tmp --typescript "$wasm"
rm -rf www/pkg
mv www/pkg.tmp www/pkg

t1=$(date +%s.%N)
ls -l www/pkg | awk 'NR > 1 { printf "[build]   www/pkg/%s  %s bytes\n", $9, $5 }'
awk -v a="$t0" -v b="$t1" 'BEGIN { printf "[build] done in %.1fs\n", b - a }'
