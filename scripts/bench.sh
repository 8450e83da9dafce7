#!/usr/bin/env bash
# bench.sh — chunkscope's benchmarks, native and as WebAssembly, in one command:
#
#   bash scripts/bench.sh                 (BENCH_ONLY=native or BENCH_ONLY=wasm runs one half)
#
#   1. native: cargo bench --bench inspect --bench planner
#   2. wasm:   the same two `harness = false` bench mains (benches/inspect.rs, benches/planner.rs),
#              unchanged, built for wasm32-wasip1 with the same bench profile (= [profile.release]:
#              opt-level "s", LTO, 1 codegen unit) and without default features (no `cli`):
#                cargo bench --no-run --target wasm32-wasip1 --no-default-features \
#                  --bench inspect --bench planner
#              then each .wasm run by scripts/run-wasi.mjs under Node's node:wasi, i.e. V8's
#              wasm engine (the one in Chrome; each run prints the Node and V8 versions).
#              std::time::Instant is WASI clock_time_get (monotonic), and the counting global
#              allocator of benches/inspect.rs counts the wasm heap (wasm32: 4-byte pointers, so
#              its peak is lower than native).
#   3. a summary: the timing lines of both halves, one under the other.
#
# Needs cargo, node (>= 20, for node:wasi) and the rust target wasm32-wasip1 (added with
# `rustup target add wasm32-wasip1` when missing). What the wasm half does not cover: the browser
# build's target is wasm32-unknown-unknown (wasm-bindgen glue, dlmalloc) where this one is
# wasm32-wasip1 (wasi-libc malloc); the Rust code being timed is the same.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

BENCH_ONLY=${BENCH_ONLY:-native wasm}
BENCHES=(--bench inspect --bench planner)
TARGET=wasm32-wasip1

die() { echo "[bench] ERROR: $*" >&2; exit 1; }
say() { echo; echo "[bench] $*"; }
want() { [[ " $BENCH_ONLY " == *" $1 "* ]]; }

command -v cargo >/dev/null || die "cargo not found (install Rust: https://rustup.rs)"
summary_native="" summary_wasm=""

cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
echo "[bench] machine: $(nproc 2>/dev/null || echo '?') CPUs${cpu:+ ($cpu)}, $(rustc --version)"

if want native; then
  say "native ($(rustc -vV | awk '/^host:/ { print $2 }')): cargo bench ${BENCHES[*]}"
  out=$(cargo bench "${BENCHES[@]}")
  echo "$out"
  summary_native=$out
fi

if want wasm; then
  command -v node >/dev/null || die "node not found (Node >= 20 runs the wasm benches)"
  node -e 'require("node:wasi")' 2>/dev/null || die "this node ($(node --version)) has no node:wasi"
  if ! rustup target list --installed 2>/dev/null | grep -qx "$TARGET"; then
    command -v rustup >/dev/null || die "rust target $TARGET missing and no rustup to add it"
    say "adding the rust target $TARGET"
    rustup target add "$TARGET" || die "rustup target add $TARGET failed"
  fi
  say "wasm: cargo bench --no-run --target $TARGET --no-default-features ${BENCHES[*]}"
  # The executables' paths (hashed names under target/$TARGET/release/deps/) from cargo's JSON.
  # shellcheck disable=SC2016  # the node program is JavaScript, not shell
  mapfile -t wasms < <(
    cargo bench --no-run --target "$TARGET" --no-default-features "${BENCHES[@]}" \
      --message-format=json-render-diagnostics |
      node -e '
        let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
          for (const line of s.split("\n")) {
            if (!line.startsWith("{")) continue;
            const m = JSON.parse(line);
            if (m.reason === "compiler-artifact" && m.executable && m.target.kind.includes("bench"))
              console.log(`${m.target.name}\t${m.executable}`);
          }
        });' | sort
  )
  [ ${#wasms[@]} -eq 2 ] || die "expected 2 bench .wasm files from cargo, got ${#wasms[@]}"
  for entry in "${wasms[@]}"; do
    name=${entry%%$'\t'*} file=${entry#*$'\t'}
    say "wasm: $name ($(du -k "$file" | cut -f1) KB): node --no-warnings scripts/run-wasi.mjs ${file#"$PWD"/}"
    out=$(node --no-warnings scripts/run-wasi.mjs "$file" 2>&1) || { echo "$out"; die "wasm bench $name failed"; }
    echo "$out"
    summary_wasm+=$out$'\n'
  done
fi

say "summary (median is the number to compare; the planner target is < 100 ms in wasm)"
if [ -n "$summary_native" ]; then
  echo "  native:"
  grep -E '^(inspect|plan_pull)' <<<"$summary_native" | sed 's/^/    /'
fi
if [ -n "$summary_wasm" ]; then
  echo "  wasm ($(grep -m1 -o 'Node v[^,]*' <<<"$summary_wasm")):"
  grep -E '^(inspect|plan_pull)' <<<"$summary_wasm" | sed 's/^/    /'
fi
