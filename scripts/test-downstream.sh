#!/usr/bin/env bash
# test-downstream.sh — chunkscope as a dependency of another wasm crate (examples/downstream-wasm,
# `default-features = false`):
#   1. its wasm-bindgen tests run in headless Chromium (chunkscope's core inspects a fixture
#      layer from memory inside the other crate's module);
#   2. its JS module is generated with wasm-bindgen and must export the crate's own function and
#      none of chunkscope's JavaScript API (inspectImage, planPull, …: the `js-api` feature).
# Prints the downstream module's size. Called by scripts/test.sh (step "downstream").
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export PATH="$HOME/.cargo/bin:$PATH"
CRATE=examples/downstream-wasm
export CARGO_TARGET_DIR=$ROOT/target/downstream-wasm

chromedriver=${CHROMEDRIVER:-$(command -v chromedriver || echo /usr/bin/chromedriver)}
[ -x "$chromedriver" ] || { echo "chromedriver not found (apt-get install chromium-driver)" >&2; exit 1; }
unset GECKODRIVER GECKODRIVER_REMOTE SAFARIDRIVER SAFARIDRIVER_REMOTE MSEDGEDRIVER MSEDGEDRIVER_REMOTE \
  CHROMEDRIVER_REMOTE NO_HEADLESS

(cd "$CRATE" &&
  CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
  CHROMEDRIVER="$chromedriver" WASM_BINDGEN_USE_BROWSER=1 \
  WASM_BINDGEN_TEST_TIMEOUT=${WASM_BINDGEN_TEST_TIMEOUT:-120} \
  WASM_BINDGEN_TEST_WEBDRIVER_JSON=${WASM_BINDGEN_TEST_WEBDRIVER_JSON:-$ROOT/scripts/webdriver.json} \
    cargo test --target wasm32-unknown-unknown)

(cd "$CRATE" && cargo build --lib --release --target wasm32-unknown-unknown)
wasm=$CARGO_TARGET_DIR/wasm32-unknown-unknown/release/chunkscope_downstream_example.wasm
out=$CARGO_TARGET_DIR/pkg
rm -rf "$out"
wasm-bindgen --target web --out-dir "$out" --typescript "$wasm"
dts=$out/chunkscope_downstream_example.d.ts
fail=0
grep -q "export function layerSummary" "$dts" || { echo "[downstream] layerSummary missing from $dts" >&2; fail=1; }
for f in inspectImage inspectLayer inspectBlob planPull probeRange readFile listTags parseReference corsConfig forgetInspected; do
  if grep -q "$f" "$dts" "$out/chunkscope_downstream_example.js"; then
    echo "[downstream] chunkscope's export $f leaked into the dependent's JS module" >&2
    fail=1
  fi
done
size=$(stat -c %s "$out/chunkscope_downstream_example_bg.wasm")
echo "[downstream] module exports: $(grep -o 'export function [A-Za-z]*' "$dts" | awk '{print $3}' | sort | tr '\n' ' ')"
echo "[downstream] wasm size (release, no wasm-opt): $size bytes"
[ $fail -eq 0 ] || { echo "[downstream] export check: FAILED" >&2; exit 1; }
echo "[downstream] export check: ok"
