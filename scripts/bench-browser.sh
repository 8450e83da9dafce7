#!/usr/bin/env bash
# bench-browser.sh — the browser half of the big-layer benchmarks: the layers scripts/bench-big.sh
# builds (target/bench-layers/big154k and big510k, OCI layouts tagged `big`, written by Debian
# trixie's skopeo 1.18), pushed unchanged to a local registry, inspected in headless Chromium
# (scripts/bench-browser.mjs: the API on the main thread with and without file lists, as objects
# and as the columnar table, in the page's worker; and the page itself: first rows, longest
# main-thread task, input delay). Prints one JSON line per layer. Not a test: numbers vary with load.
#
#   bash scripts/bench-browser.sh                 (BIG_SIZES="154000 510000", BENCH_RUNS=2: best of 2)
#
# Builds www/pkg first (BENCH_NO_BUILD=1: measures www/pkg as it is).
# Uses a running test registry if REGISTRY_URL is set (scripts/registry.sh's env), else starts one
# in target/bench-registry (no auth or S3 registries) and stops it afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SIZES=${BIG_SIZES:-154000 510000}
say() { echo "[bench-browser] $*" >&2; }
die() { echo "[bench-browser] ERROR: $*" >&2; exit 1; }
command -v skopeo >/dev/null || die "skopeo not found"
[ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] || die "no Chromium at ${CHROMIUM_PATH:-/usr/bin/chromium}"
# Always built (cargo does nothing when the module is current): a module left in www/pkg by an
# earlier build would be measured in place of the code in the tree. BENCH_NO_BUILD=1 measures
# www/pkg as it is (e.g. a module built from another commit, for before/after runs).
if [ "${BENCH_NO_BUILD:-0}" = 1 ]; then
  [ -f www/pkg/chunkscope.js ] || die "BENCH_NO_BUILD=1 but www/pkg has no module"
else
  bash scripts/build.sh >&2
fi

if [ -z "${REGISTRY_URL:-}" ]; then
  dir=$ROOT/target/bench-registry
  AUTH_REGISTRIES=0 S3_REGISTRY=0 bash scripts/registry.sh start "$dir" >&2
  trap 'bash scripts/registry.sh stop "$dir" >/dev/null 2>&1 || true' EXIT
  set -a
  # shellcheck disable=SC1091
  . "$dir/env"
  set +a
fi
host=${REGISTRY_URL#http://}
images=()
for n in $SIZES; do
  name=big$((n / 1000))k
  layout=$ROOT/target/bench-layers/$name
  [ -f "$layout/index.json" ] || die "$layout is missing: build it with bash scripts/bench-big.sh (as root, for the trixie chroot)"
  say "pushing $name to $host"
  skopeo --insecure-policy copy -q --all --preserve-digests --dest-tls-verify=false \
    "oci:$layout:big" "docker://$host/$name:latest" >&2
  images+=("$name:latest")
done
CHROMIUM_PATH=${CHROMIUM_PATH:-/usr/bin/chromium} node scripts/bench-browser.mjs "$REGISTRY_URL" "$(IFS=,; echo "${images[*]}")"
