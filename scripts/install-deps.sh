#!/usr/bin/env bash
# install-deps.sh — idempotent installer of everything chunkscope's tests need,
# for a fresh Debian 12 machine as root (also what .ci/run calls first).
#
#   * Debian packages: chromium chromium-driver docker-registry skopeo nginx-light
#     zstd jq curl ca-certificates, and for the registries with auth apache2-utils
#     (htpasswd -B), openssl and python3 (the token issuer) (only the missing ones;
#     `apt-get update` once);
#   * for the S3 topology (scripts/registry.sh with S3_REGISTRY=1): moto[server] and boto3
#     from PyPI in a venv at target/s3-venv (python3 -m venv; apt python3-venv), unless the
#     machine's python3 already imports them;
#   * the Rust wasm target (rustup target add wasm32-unknown-unknown);
#   * wasm-bindgen-cli (wasm-bindgen + wasm-bindgen-test-runner) at exactly the
#     version of the `wasm-bindgen` crate in Cargo.lock (never with --locked:
#     the CLI's own lock pins crates that no longer build);
#   * npm packages, if package.json exists (npm ci, or npm install without a lock).
#
# Every step prints how long it took. Safe to run again: steps that are already
# satisfied are skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

export DEBIAN_FRONTEND=noninteractive
# playwright-core never downloads browsers; this also stops `playwright` from trying.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
export PATH="$HOME/.cargo/bin:$PATH"

TOTAL_START=$(date +%s.%N)
step() { # step NAME COMMAND... : run a step and print its duration
  local name=$1; shift
  local t0 t1
  t0=$(date +%s.%N)
  echo "==> [install-deps] $name"
  "$@"
  t1=$(date +%s.%N)
  awk -v n="$name" -v a="$t0" -v b="$t1" 'BEGIN{printf "<== [install-deps] %s: %.1fs\n", n, b-a}'
}

# ---------------------------------------------------------------- apt packages
APT_PACKAGES=(chromium chromium-driver docker-registry skopeo nginx-light zstd jq curl ca-certificates
  apache2-utils openssl python3 python3-venv gcc libc6-dev)

is_installed() {
  [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" = "install ok installed" ]
}

apt_step() {
  local missing=() p
  for p in "${APT_PACKAGES[@]}"; do
    is_installed "$p" || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    echo "all apt packages present: ${APT_PACKAGES[*]}"
    return 0
  fi
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing apt packages (${missing[*]}) and not root: install them by hand" >&2
    return 1
  fi
  echo "installing: ${missing[*]}"
  apt-get update -qq
  # Installing docker-registry/nginx may try to start their system services; we never
  # use those (scripts/registry.sh runs its own instances), and without systemd
  # invoke-rc.d usually does nothing anyway.
  apt-get install -y -qq "${missing[@]}" >/tmp/install-deps-apt.log 2>&1 || {
    tail -50 /tmp/install-deps-apt.log >&2
    return 1
  }
  echo "apt log: /tmp/install-deps-apt.log"
}
step "apt packages" apt_step

# ---------------------------------------------------------------- S3 API server (moto)
s3_python_step() {
  local venv=target/s3-venv
  if python3 -c 'import moto.server, boto3' 2>/dev/null; then
    echo "python3 already has moto[server] and boto3"
    return 0
  fi
  if [ -x "$venv/bin/python3" ] && "$venv/bin/python3" -c 'import moto.server, boto3' 2>/dev/null; then
    echo "moto[server] and boto3 already in $venv"
    return 0
  fi
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check 'moto[server]' boto3
  "$venv/bin/python3" -c 'import moto, boto3; print("moto", moto.__version__, "boto3", boto3.__version__)'
}
step "moto[server] + boto3 (S3 topology)" s3_python_step

# ---------------------------------------------------------------- rust wasm target
wasm_target_step() {
  if ! command -v rustup >/dev/null; then
    echo "rustup not found; cannot add wasm32-unknown-unknown" >&2
    return 1
  fi
  if rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    echo "wasm32-unknown-unknown already installed"
  else
    rustup target add wasm32-unknown-unknown
  fi
}
step "rustup target wasm32-unknown-unknown" wasm_target_step

# ---------------------------------------------------------------- wasm-bindgen-cli
wasm_bindgen_step() {
  if [ ! -f Cargo.toml ]; then
    echo "no Cargo.toml yet: skipping wasm-bindgen-cli"
    return 0
  fi
  if [ ! -f Cargo.lock ]; then
    echo "no Cargo.lock: cargo generate-lockfile"
    cargo generate-lockfile
  fi
  local want
  want=$(awk '
    /^\[\[package\]\]/ { name = "" }
    /^name = /         { name = $3; gsub(/"/, "", name) }
    /^version = / && name == "wasm-bindgen" { v = $3; gsub(/"/, "", v); print v; exit }
  ' Cargo.lock)
  if [ -z "$want" ]; then
    echo "Cargo.lock has no wasm-bindgen package: skipping wasm-bindgen-cli"
    return 0
  fi
  local have="" have_runner=""
  if command -v wasm-bindgen >/dev/null; then
    have=$(wasm-bindgen --version | awk '{print $2}')
  fi
  if command -v wasm-bindgen-test-runner >/dev/null; then
    have_runner=$(wasm-bindgen-test-runner --version 2>/dev/null | awk '{print $2}' || true)
  fi
  if [ "$have" = "$want" ] && [ "$have_runner" = "$want" ]; then
    echo "wasm-bindgen-cli $want already installed"
    return 0
  fi
  echo "wasm-bindgen-cli: want $want, have '${have:-none}' (runner '${have_runner:-none}'): cargo install"
  cargo install wasm-bindgen-cli --version "=$want" --force
}
step "wasm-bindgen-cli" wasm_bindgen_step

# ---------------------------------------------------------------- npm
npm_step() {
  if [ ! -f package.json ]; then
    echo "no package.json: skipping npm"
    return 0
  fi
  if [ -f package-lock.json ]; then
    # npm ci wipes node_modules each time; skip it when node_modules was installed
    # from this very lock (npm writes node_modules/.package-lock.json) and is newer.
    if [ -f node_modules/.package-lock.json ] \
       && [ node_modules/.package-lock.json -nt package-lock.json ] \
       && [ node_modules/.package-lock.json -nt package.json ]; then
      echo "node_modules up to date with package-lock.json"
    else
      npm ci --no-audit --no-fund
    fi
  else
    npm install --no-audit --no-fund
  fi
}
step "npm packages" npm_step

TOTAL_END=$(date +%s.%N)
awk -v a="$TOTAL_START" -v b="$TOTAL_END" 'BEGIN{printf "[install-deps] done in %.1fs\n", b-a}'
