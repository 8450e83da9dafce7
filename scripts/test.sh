#!/usr/bin/env bash
# test.sh — chunkscope's full test run (`npm test` runs this; so does .ci/run).
#
#   1. starts the local test registry + nginx fronts (scripts/registry.sh) in
#      $TEST_REGISTRY_DIR (default target/test-registry), with the registries that
#      want credentials (token auth + its issuer, htpasswd; AUTH_REGISTRIES=0 skips
#      them), the behaviour fronts and the S3 topology (moto + distribution with the
#      s3 driver; S3_REGISTRY=0 skips it), exports its env (REGISTRY_URL RANGE1_URL RANGE0_URL LOG_URL,
#      AUTH_REGISTRY_URL TOKEN_ISSUER_URL BASIC_REGISTRY_URL, log paths, ...) and
#      stops it on exit;
#   2. registry: node --test tests/registry/ (self-test of the registry and fronts);
#   3. native:  cargo test $NATIVE_TEST_ARGS (default --all-features); the registry
#               env is there at run time and at compile time (option_env!);
#   4. browser: wasm tests in headless Chromium, if tests/browser.rs exists:
#               cargo test --target wasm32-unknown-unknown --test browser $WASM_TEST_ARGS
#               run by wasm-bindgen-test-runner + /usr/bin/chromedriver, browser flags
#               in scripts/webdriver.json. wasm code can't read env at run time, so
#               the registry URLs reach it at compile time via option_env!;
#   5. downstream: scripts/test-downstream.sh: a wasm crate depending on chunkscope without its
#               JS API (examples/downstream-wasm) runs its browser test, and none of
#               chunkscope's exports reach its JS module;
#   6. e2e:     node --test tests/e2e/, if that folder exists (UI tests with
#               playwright-core; CHROMIUM_PATH=/usr/bin/chromium is exported).
# A step whose tests don't exist yet is skipped with a message. All steps run even
# if one fails (TEST_FAIL_FAST=1 stops at the first failure); the exit code is
# non-zero if any step failed. TEST_ONLY="native browser" runs just those steps.
# shellcheck disable=SC2317  # step functions are called indirectly via run_step
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export PATH="$HOME/.cargo/bin:$PATH"

TEST_REGISTRY_DIR=${TEST_REGISTRY_DIR:-$ROOT/target/test-registry}
TEST_ONLY=${TEST_ONLY:-registry native browser downstream e2e}
STEP_LOGS=$(mktemp -d)
set -o pipefail
declare -A RESULT=()
FAILED=0

want() { [[ " $TEST_ONLY " == *" $1 "* ]]; }

run_step() { # run_step NAME COMMAND...: time it, record ok/FAILED
  local name=$1; shift
  local t0 t1 rc=0
  t0=$(date +%s.%N)
  echo
  echo "==> [test] $name"
  "$@" 2>&1 | tee "$STEP_LOGS/$name.log" || rc=$?
  t1=$(date +%s.%N)
  if [ $rc -eq 0 ]; then RESULT[$name]=ok; else RESULT[$name]="FAILED(rc=$rc)"; FAILED=1; fi
  awk -v n="$name" -v r="${RESULT[$name]}" -v a="$t0" -v b="$t1" \
    'BEGIN{printf "<== [test] %s: %s in %.1fs\n", n, r, b-a}'
  if [ $rc -ne 0 ] && [ "${TEST_FAIL_FAST:-0}" = 1 ]; then exit $rc; fi
  return 0
}

skip() { RESULT[$1]="skipped ($2)"; echo; echo "==> [test] $1: skipped: $2"; }

# ---------------------------------------------------------------- registry
cleanup() { bash scripts/registry.sh stop "$TEST_REGISTRY_DIR" || true; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
echo "==> [test] starting the test registry in $TEST_REGISTRY_DIR"
BEHAVIOUR_WATCH_PID=$$ S3_REGISTRY=${S3_REGISTRY:-1} AUTH_REGISTRIES=${AUTH_REGISTRIES:-1} bash scripts/registry.sh start "$TEST_REGISTRY_DIR"
set -a
# shellcheck disable=SC1091
. "$TEST_REGISTRY_DIR/env"
set +a

# ---------------------------------------------------------------- registry self-test
if want registry; then
  if [ -d tests/registry ]; then run_step registry node --test tests/registry/; else skip registry "no tests/registry/"; fi
fi

# ---------------------------------------------------------------- native
native() {
  # shellcheck disable=SC2086
  cargo test ${NATIVE_TEST_ARGS:---all-features}
}
if want native; then
  if [ -f Cargo.toml ]; then run_step native native; else skip native "no Cargo.toml"; fi
fi

# ---------------------------------------------------------------- browser (wasm)
browser() {
  command -v wasm-bindgen-test-runner >/dev/null ||
    { echo "wasm-bindgen-test-runner not found: run scripts/install-deps.sh" >&2; return 1; }
  local chromedriver
  chromedriver=${CHROMEDRIVER:-$(command -v chromedriver || echo /usr/bin/chromedriver)}
  [ -x "$chromedriver" ] || { echo "chromedriver not found (apt-get install chromium-driver)" >&2; return 1; }
  # The runner prefers gecko/safari drivers and remote drivers if configured: make sure
  # it picks chromedriver, headless.
  unset GECKODRIVER GECKODRIVER_REMOTE SAFARIDRIVER SAFARIDRIVER_REMOTE \
    MSEDGEDRIVER MSEDGEDRIVER_REMOTE CHROMEDRIVER_REMOTE NO_HEADLESS
  # The CLI's report on the same image, which the browser test must reproduce field for field.
  CHUNKSCOPE_CLI_REPORT=$(cargo run -q --bin chunkscope -- inspect --json --toc-only --insecure "docker://${LOG_URL#http://}/pair-b:latest") || return 1
  export CHUNKSCOPE_CLI_REPORT
  # shellcheck disable=SC2086
  CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
  CHROMEDRIVER="$chromedriver" \
  WASM_BINDGEN_USE_BROWSER=1 \
  WASM_BINDGEN_TEST_TIMEOUT=${WASM_BINDGEN_TEST_TIMEOUT:-120} \
  WASM_BINDGEN_TEST_WEBDRIVER_JSON=${WASM_BINDGEN_TEST_WEBDRIVER_JSON:-$ROOT/scripts/webdriver.json} \
    cargo test --target wasm32-unknown-unknown --no-default-features --features js-api --test browser ${WASM_TEST_ARGS:-} || return 1
  # Everything the browser read through the logging front: single absolute ranges only.
  # (Browser requests carry an Origin; the registry self-test's deliberate multi-range
  # request through this front does not.)
  python3 - "$LOG_ACCESS_LOG" <<'PY'
import json, re, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
lines = [l for l in lines if l.get("origin") not in (None, "", "-")]
ranges = [l.get("range") for l in lines if l.get("range") not in (None, "", "-")]
bad = [r for r in ranges if not re.fullmatch(r"bytes=\d+-\d+", r)]
print(f"[test] logging front saw {len(lines)} requests, {len(ranges)} ranged; multi or suffix ranges: {len(bad)}")
sys.exit(1 if bad or not ranges else 0)
PY
}
if want browser; then
  if [ -f tests/browser.rs ]; then run_step browser browser; else skip browser "no tests/browser.rs yet"; fi
fi

# ---------------------------------------------------------------- downstream (wasm dependent)
if want downstream; then
  if [ -d examples/downstream-wasm ]; then run_step downstream bash scripts/test-downstream.sh; else skip downstream "no examples/downstream-wasm"; fi
fi

# ---------------------------------------------------------------- e2e (UI)
e2e() {
  export CHROMIUM_PATH=${CHROMIUM_PATH:-/usr/bin/chromium}
  bash scripts/build.sh || return 1
  node --test tests/e2e/
}
if want e2e; then
  if [ -d tests/e2e ]; then run_step e2e e2e; else skip e2e "no tests/e2e/ yet"; fi
fi

# ---------------------------------------------------------------- summary
cleanup >/dev/null 2>&1
trap - EXIT
echo
echo "==> [test] summary"
for s in registry native browser downstream e2e; do
  [ -n "${RESULT[$s]:-}" ] && echo "    $s: ${RESULT[$s]}"
done
# One closing line over every runner: cargo/wasm-bindgen-test ("test result: … N passed; M
# failed") and node's test runner ("# pass N", "# fail M").
# Skipped node tests (a missing browser or registry) are counted too, and fail a CI run: a green
# CI must mean every suite ran. (cargo's "ignored" tests are deliberate: a corpus writer.)
counts=$(cat "$STEP_LOGS"/*.log 2>/dev/null | awk '
  /^test result:/ { for (i = 1; i <= NF; i++) { if ($i ~ /^passed/) p += $(i-1); if ($i ~ /^failed/) f += $(i-1) } }
  /^# pass / { p += $3 } /^# fail / { f += $3 } /^# skipped / { k += $3 }
  END { printf "%d %d %d", p, f, k }')
rm -rf "$STEP_LOGS"
read -r passed failed skipped <<<"$counts"
if [ "$skipped" -gt 0 ] && [ "${CI:-}" = true ]; then
  echo "[test] $skipped test(s) skipped themselves: in CI every suite must run"
  FAILED=1
fi
echo "$passed passed, $failed failed, $skipped skipped"
exit $FAILED
