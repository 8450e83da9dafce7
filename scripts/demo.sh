#!/usr/bin/env bash
# demo.sh — the chunkscope demo on this machine, from nothing:
#   1. installs what is missing (scripts/install-deps.sh: Debian packages, rust wasm target,
#      wasm-bindgen-cli, npm packages);
#   2. builds the wasm module into www/pkg (scripts/build.sh);
#   3. starts a local OCI registry with CORS on 127.0.0.1 (port 5055 or the next free one) and
#      pushes the demo images (scripts/registry.sh, state in target/registry);
#   4. serves www/ on 127.0.0.1:8080 (or the next free port) and prints the URL to open.
# Ctrl-C stops the web server and the registry.
#
#   bash scripts/demo.sh            (`npm start` runs this)
#   DEMO_PORT=9000 bash scripts/demo.sh
#   DEMO_SKIP_INSTALL=1 bash scripts/demo.sh    (skip step 1)
#   DEMO_STATE_DIR=/tmp/demo-registry bash scripts/demo.sh   (registry state elsewhere)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export PATH="$HOME/.cargo/bin:$PATH"
STATE=${DEMO_STATE_DIR:-$ROOT/target/registry}

say() { echo "[demo] $*"; }

if [ "${DEMO_SKIP_INSTALL:-0}" != 1 ]; then
  say "installing dependencies (scripts/install-deps.sh)"
  bash scripts/install-deps.sh
fi
say "building the wasm module (scripts/build.sh)"
bash scripts/build.sh

stop_registry() {
  echo "[demo] stopping the registry ($STATE)"
  bash scripts/registry.sh stop "$STATE" >/dev/null 2>&1 || true
}
trap stop_registry EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say "starting the registry (scripts/registry.sh start $STATE)"
bash scripts/registry.sh start "$STATE"
# shellcheck disable=SC1091
. "$STATE/env"

PORT=${DEMO_PORT:-8080}
cat <<MSG

[demo] ------------------------------------------------------------------------------------
[demo] Registry with CORS:   $REGISTRY_URL   (images: tiny-current, tiny-legacy, pair-a, pair-b,
[demo]                       pair-a-legacy, pair-b-legacy, corners-current, corners-legacy,
[demo]                       estargz-small, estargz-pair-b, stargz-zstdchunked-small,
[demo]                       stargz-zstdchunked-pair-b; tag latest)
[demo] S3-like front:        $RANGE1_URL   (one range per request; try the Registry check tab)
[demo] Open the URL printed below in a browser (pull pair-b having pair-a):
MSG
# serve.mjs prints "open: URL" once it listens; it runs in the foreground until Ctrl-C.
node scripts/serve.mjs --root www --port "$PORT" --next-free \
  --query "registry=$REGISTRY_URL&image=pair-b:latest&have=pair-a:latest" | while IFS= read -r line; do
  case $line in
    open:*)
      url=${line#open: }
      base=${url%%\?*}
      echo "[demo]"
      echo "[demo]   ${url}"
      echo "[demo]"
      echo "[demo] more:  ${base}?registry=$REGISTRY_URL&image=tiny-current:latest"
      echo "[demo]        ${base}?registry=$RANGE1_URL&image=pair-b:latest&have=pair-a:latest"
      echo "[demo] ------------------------------------------------------------------------------------"
      echo "[demo] serving www/ until Ctrl-C (then the registry stops too)"
      ;;
    *) echo "[demo] $line" ;;
  esac
done
