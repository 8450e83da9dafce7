#!/usr/bin/env bash
# measure-pull.sh — pull real images with podman through a request-logging front and compare,
# layer by layer, the requests podman made with `chunkscope plan`. Not run by CI: it needs root,
# podman and overlay mounts (Debian 12: `apt-get install podman`, done here when missing).
#
# Usage (as root):
#   scripts/measure-pull.sh [A:B ...]   default: pair-a:pair-b pair-a-legacy:pair-b-legacy
#   scripts/measure-pull.sh fronts [FRONT ...]   podman 5.4.2 (trixie chroot) on every
#                                       behaviour front vs the prediction (see "fronts mode")
#
# For every pair A:B, in a fresh private store: `podman pull` A (empty store), then B (A
# present), each through the logging front; for each pull the front's access log is kept and
# `chunkscope plan` is run (A cold; B --have A, straight against the registry so its own
# requests are not logged). scripts/compare-pull.py then compares per layer: GETs, ranges per
# GET (exact ranges), bytes requested (sum of range lengths), bytes received; prints a table and
# a VERDICT line. Exit status: 0 = every layer as planned or the difference explained, 1 = an
# unexplained difference (or a failed pull), 2 = the measurement could not be made.
#
# Environment:
#   (podman pulls through registry.sh's LOG front: nginx passing Range through, 256 KiB header
#   buffers so that Range headers of ~1000 ranges reach the registry, and a JSON access log)
#   MEASURE_OUT=DIR       results, logs, private store (default target/measure-pull)
#   MEASURE_REGISTRY_STATE=DIR   registry.sh state dir (default target/measure-registry)
#   MEASURE_MOUNT_PROGRAM=auto|none|PATH   overlay: kernel first, fuse-overlayfs if that fails
#                         (auto, default); none = kernel only; PATH = that mount_program
#   MEASURE_KEEP=1        leave the registry running and the store in place
#   MEASURE_SKIP_BUILD=1  do not run `cargo build --release`
#
# The store: graphroot/runroot under $MEASURE_OUT/store, driver overlay,
# pull_options enable_partial_images = "true", use_hard_links = "false" (storage.conf as in
# tests/fixtures/pulls/storage.conf). containers.conf: events_logger file, cgroupfs,
# tmp_dir in the store. podman runs in a private mount namespace (unshare -m) with its own
# c/image blob-info cache bound over /var/lib/containers/cache, so neither the system cache nor
# earlier runs influence blob reuse (each pair starts with an empty cache, like the fixtures'
# "empty store"). On exit (unless MEASURE_KEEP=1): the private store and cache are removed and
# the registry (and the private front) stopped; logs and results stay in $MEASURE_OUT.
#
# Output in $MEASURE_OUT: run.json (what was run), results.json (per layer: podman, planner,
# model, verdict), report.txt (the printed table), registry-data.json (the manifests and TOCs
# the comparison read: `python3 scripts/compare-pull.py $MEASURE_OUT/run.json` re-runs it
# without the registry), logs/<pair>-<image>.{access.jsonl,podman.log,
# plan.json}, podman.txt (podman/c-storage versions, annotation keys compiled into podman).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${MEASURE_OUT:-$ROOT/target/measure-pull}
REG_STATE=${MEASURE_REGISTRY_STATE:-$ROOT/target/measure-registry}
FRONT_KIND=log
MOUNT_PROGRAM=${MEASURE_MOUNT_PROGRAM:-auto}
CS="$ROOT/target/release/chunkscope"
PAIRS=("$@")
[ ${#PAIRS[@]} -gt 0 ] || PAIRS=(pair-a:pair-b pair-a-legacy:pair-b-legacy)

log() { echo "[measure] $*" >&2; }
die() { echo "[measure] ERROR: $*" >&2; exit 2; }

case $OUT in /*) ;; *) OUT="$PWD/$OUT" ;; esac
case $REG_STATE in /*) ;; *) REG_STATE="$PWD/$REG_STATE" ;; esac
STORE="$OUT/store"
CONF="$OUT/conf"
LOGS="$OUT/logs"
BIC="$OUT/blob-info-cache"

[ "$(id -u)" -eq 0 ] || die "run as root (podman with overlay storage, unshare -m)"

# ------------------------------------------------------------------ fronts mode
# `scripts/measure-pull.sh fronts [FRONT...]`: real podman 5.4.2 (Debian trixie, in the chroot
# made by scripts/podman-chroot.sh) against each behaviour front of scripts/registry.sh, compared
# with `chunkscope plan --registry-behaviour` by scripts/compare-predict.py. Scenarios per front:
# pair-b into an empty store ("cold"), and pair-b with pair-a in the store ("over-pair-a"; pair-a
# is pulled straight from the registry, not through the front). Each pull gets a fresh store and
# blob-info cache; first-200 is reset before each pull. podman runs with its defaults
# (--retry 3, --retry-delay 1s). Output in $MEASURE_OUT/fronts: run.json, results.json,
# report.txt, logs/. Environment: MEASURE_CHROOT (default target/trixie-chroot),
# MEASURE_CS (the chunkscope binary; default target/debug/chunkscope, built when missing),
# MEASURE_SCENARIOS (default "cold over-pair-a"), and MEASURE_S3=1 to add the S3 topology
# (distribution with the s3 driver, 307 to the S3 API server; outcome and registry log only).
# Exit status as for pairs: 0 = every pull as predicted, 1 = a difference, 2 = not measured.
measure_fronts() {
  local chroot=${MEASURE_CHROOT:-$ROOT/target/trixie-chroot} fout="$OUT/fronts"
  local cs=${MEASURE_CS:-$ROOT/target/debug/chunkscope}
  local scenarios=${MEASURE_SCENARIOS:-cold over-pair-a}
  # front name | behaviour | body of its refusals (see tests/registry/behaviour_front.py)
  local table=(multipart\|multipart\|text whole-body\|whole-body\|text rejected-400\|rejected:400\|text
    rejected-416\|rejected:416\|json rejected-416-plain\|rejected:416\|text rejected-501\|rejected:501\|text
    range-cap-416-16\|range-cap:416:16\|json range-cap-400-64\|range-cap:400:64\|text
    first-range-only\|first-range-only\|text no-range\|no-range\|text first-200\|first-200\|text)
  local want=("$@") entry name behaviour body scen url logf n0 base rc
  "$ROOT/scripts/podman-chroot.sh" "$chroot" >&2 || die "scripts/podman-chroot.sh failed"
  if [ ! -x "$cs" ]; then
    (cd "$ROOT" && cargo build -q --bin chunkscope) || die "cargo build failed"
    cs="$ROOT/target/debug/chunkscope"
  fi
  rm -rf "$fout"; mkdir -p "$fout/logs"
  mkdir -p "$chroot/measure"
  cat >"$chroot/measure/storage.conf" <<CONF
# generated by scripts/measure-pull.sh fronts (as tests/fixtures/pulls/storage.conf)
[storage]
driver = "overlay"
graphroot = "/measure/store/graph"
runroot = "/measure/store/run"
[storage.options]
[storage.options.pull_options]
enable_partial_images = "true"
use_hard_links = "false"
ostree_repos = ""
CONF
  printf '[engine]\nevents_logger = "file"\nevents_logfile_path = "/measure/store/events.log"\ncgroup_manager = "cgroupfs"\ntmp_dir = "/measure/store/libpod-tmp"\n' >"$chroot/measure/containers.conf"
  printf 'unqualified-search-registries = []\n' >"$chroot/measure/registries.conf"
  cpm() { # podman inside the chroot, in a private mount namespace; the chroot is bound onto
    # itself so that its / is a mount point (c/storage's untar helper remounts / for full pulls)
    # shellcheck disable=SC2016 # $0 and $@ are the inner shell's
    unshare -m --propagation private /bin/sh -c \
      'mount --bind "$0" "$0" && for m in proc sys dev; do mount --bind /$m "$0/$m"; done; exec chroot "$0" env CONTAINERS_STORAGE_CONF=/measure/storage.conf CONTAINERS_CONF=/measure/containers.conf CONTAINERS_REGISTRIES_CONF=/measure/registries.conf podman "$@"' \
      "$chroot" "$@"
  }
  fresh_store() {
    rm -rf "$chroot/measure/store" "$chroot/var/lib/containers/cache"
  }
  local pv; pv=$(cpm --version 2>/dev/null || echo "podman ?")
  log "$pv in $chroot"
  # (up to 3 tries: on a shared machine a picked port can be taken before it is bound)
  local try
  for try in 1 2 3; do
    S3_REGISTRY=${MEASURE_S3:-0} "$ROOT/scripts/registry.sh" start "$REG_STATE" >"$fout/logs/registry-start.log" 2>&1 && break
    [ "$try" = 3 ] && { tail -20 "$fout/logs/registry-start.log" >&2; die "scripts/registry.sh start failed"; }
    log "scripts/registry.sh start failed ($(grep -m1 ERROR "$fout/logs/registry-start.log" || true)); again"
  done
  REGISTRY_STARTED=1
  # shellcheck disable=SC1090
  . "$REG_STATE/env"
  trap '[ "${MEASURE_KEEP:-0}" = 1 ] || "$ROOT/scripts/registry.sh" stop "$REG_STATE" >/dev/null 2>&1; fresh_store' EXIT
  local config; config=$(jq -r '.config.digest' "$ROOT/tests/fixtures/pair-b/blobs/sha256/$(jq -r '.manifests[0].digest' "$ROOT/tests/fixtures/pair-b/index.json" | cut -d: -f2)")
  local runs="$fout/runs.jsonl"; : >"$runs"
  for entry in "${table[@]}"; do
    IFS='|' read -r name behaviour body <<<"$entry"
    if [ ${#want[@]} -gt 0 ] && [[ " ${want[*]} " != *" $name "* ]]; then continue; fi
    local key; key="BEHAVIOUR_$(echo "$name" | tr 'a-z-' 'A-Z_')"
    url=$(eval echo "\${${key}_URL:-}"); logf=$(eval echo "\${${key}_LOG:-}")
    [ -n "$url" ] || die "no front $name in $REG_STATE/env"
    for scen in $scenarios; do
      base="$fout/logs/$name-$scen"
      fresh_store
      local planargs=(plan "docker://$REGISTRY_HOST/pair-b:latest" --insecure --json
        --registry-behaviour "$behaviour" --error-body "$body")
      if [ "$scen" = over-pair-a ]; then
        cpm pull -q --tls-verify=false "$REGISTRY_HOST/pair-a:latest" >/dev/null 2>"$base.have.log" ||
          die "pulling pair-a from the registry failed: $(tail -1 "$base.have.log")"
        planargs+=(--have "docker://$REGISTRY_HOST/pair-a:latest")
      fi
      [ "$name" = first-200 ] && curl -fsS "$url/_behaviour/reset" >/dev/null
      n0=$(wc -l <"$logf")
      log "$name ($behaviour), $scen: podman pull ${url#http://}/pair-b:latest"
      local t0; t0=$(date +%s.%N)
      set +e
      cpm --log-level=debug pull --tls-verify=false "${url#http://}/pair-b:latest" >"$base.podman.out" 2>"$base.podman.log"
      rc=$?
      set -e
      local secs; secs=$(echo "$(date +%s.%N) - $t0" | bc)
      sleep 0.5 # the front logs a request once its answer is sent
      tail -n +"$((n0 + 1))" "$logf" >"$base.front.jsonl"
      "$cs" "${planargs[@]}" >"$base.plan.json" 2>"$base.plan.err" || die "chunkscope plan failed: $(tail -1 "$base.plan.err")"
      local err; err=$(grep -m1 '^Error' "$base.podman.log" || true)
      jq -cn --arg front "$name" --arg b "$behaviour" --arg body "$body" --arg scen "$scen" \
        --argjson rc "$rc" --arg err "$err" --arg log "$base.front.jsonl" --arg plan "$base.plan.json" \
        --arg config "$config" --arg secs "$secs" \
        '{front: $front, behaviour: $b, error_body: $body, scenario: $scen, image: "pair-b",
          podman_rc: $rc, podman_error: $err, log: $log, plan: $plan, config_digest: $config,
          seconds: ($secs | tonumber)}' >>"$runs"
    done
  done
  local s3rc=0
  if [ "${MEASURE_S3:-0}" = 1 ] && [ -n "${S3_REGISTRY_HOST:-}" ]; then
    base="$fout/logs/s3-cold"
    fresh_store
    n0=$(wc -l <"$S3_SERVER_LOG")
    log "s3 topology, cold: podman pull $S3_REGISTRY_HOST/pair-b:latest (307 to the S3 API server)"
    set +e
    cpm --log-level=debug pull --tls-verify=false "$S3_REGISTRY_HOST/pair-b:latest" >"$base.podman.out" 2>"$base.podman.log"
    rc=$?
    set -e
    sleep 0.5
    tail -n +"$((n0 + 1))" "$S3_SERVER_LOG" >"$base.s3.log"
    "$cs" plan "docker://$REGISTRY_HOST/pair-b:latest" --insecure --json --registry-behaviour whole-body >"$base.plan.json" 2>"$base.plan.err" ||
      die "chunkscope plan failed: $(tail -1 "$base.plan.err")"
    # The presigned GETs the S3 server answered, per blob, against the prediction for whole-body.
    python3 - "$base.s3.log" "$base.plan.json" "$rc" <<'PY' || s3rc=1
import json, re, sys
log, plan, rc = sys.argv[1], json.load(open(sys.argv[2])), int(sys.argv[3])
got = {}
for line in open(log):
    m = re.search(r'"GET \S*/blobs/sha256/../([0-9a-f]{64})/data\?X-Amz-\S* HTTP/1\.1" (\d+)', line)
    if m:
        got.setdefault(m.group(1), []).append(int(m.group(2)))
ok = rc == 0
for l in plan["layers"]:
    want = [r["status"] for r in l["predicted"]["requests"]]
    seen = got.get(l["digest"].split(":")[1], [])
    ok &= seen == want
    print(f"s3 cold layer {l['index']}: S3 answered {seen}, predicted {want}")
t = plan["totals"]["predicted"]
print(f"s3 cold: podman exit {rc}, predicted {t['outcome']}, {t['bytes']:,} bytes predicted:",
      "as predicted" if ok else "DIFFERENT")
sys.exit(0 if ok else 1)
PY
  fi
  jq -sc --arg pv "$pv" '{podman: $pv, runs: .}' "$runs" >"$fout/run.json"
  set +e
  python3 "$ROOT/scripts/compare-predict.py" "$fout/run.json" | tee "$fout/report.txt"
  rc=${PIPESTATUS[0]}
  set -e
  [ "$s3rc" = 0 ] || rc=1
  log "report: $fout/report.txt, logs: $fout/logs"
  exit "$rc"
}
if [ "${1:-}" = fronts ]; then
  shift
  command -v jq >/dev/null || die "jq is missing (apt-get install jq)"
  command -v bc >/dev/null || die "bc is missing (apt-get install bc)"
  measure_fronts "$@"
fi

# ------------------------------------------------------------------ packages
APT_UPDATED=0
apt_install() { # apt_install PKG... (Debian packages, installed only when missing)
  local missing=() p
  for p in "$@"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null || die "missing ${missing[*]} and no apt-get"
  log "installing ${missing[*]}"
  if [ $APT_UPDATED = 0 ]; then apt-get update -qq >/dev/null 2>&1 || true; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >"$OUT/apt.log" 2>&1 ||
    { tail -20 "$OUT/apt.log" >&2; die "apt-get install ${missing[*]} failed"; }
}
mkdir -p "$OUT"
rm -rf "$LOGS" "$OUT/run.json" "$OUT/results.json" "$OUT/report.txt" "$OUT/registry-data.json" \
  "$OUT/steps.jsonl"
mkdir -p "$LOGS"
need() { # need COMMAND PACKAGE: install the package when the command is missing
  command -v "$1" >/dev/null || [ -x "/usr/sbin/$1" ] || apt_install "$2"
  command -v "$1" >/dev/null || [ -x "/usr/sbin/$1" ] || die "$1 still missing after installing $2"
}
need podman podman
need docker-registry docker-registry
need skopeo skopeo
need nginx nginx-light
need jq jq
need zstd zstd
need curl curl
need unshare util-linux
need python3 python3

if [ "${MEASURE_SKIP_BUILD:-0}" != 1 ]; then
  log "cargo build --release --bin chunkscope"
  (cd "$ROOT" && cargo build --release --bin chunkscope -q) || die "cargo build failed"
fi
[ -x "$CS" ] || die "no $CS (build it: cargo build --release)"

# ------------------------------------------------------------------ cleanup
REGISTRY_STARTED=0
# shellcheck disable=SC2317 # (called from the EXIT trap)
cleanup() {
  local rc=$?
  set +e
  if [ "${MEASURE_KEEP:-0}" = 1 ]; then
    log "MEASURE_KEEP=1: store $STORE and registry $REG_STATE left as they are"
    exit "$rc"
  fi
  remove_store
  rm -rf "$BIC"
  [ "$REGISTRY_STARTED" = 1 ] && "$ROOT/scripts/registry.sh" stop "$REG_STATE" 2>/dev/null
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

remove_store() { # unmount whatever podman left mounted under the store, then delete it
  local m
  if [ -d "$STORE" ]; then
    # podman runs in its own mount namespace, so normally nothing is mounted here
    awk -v s="$STORE" '$2 ~ "^"s {print $2}' /proc/self/mounts | sort -r | while read -r m; do
      umount -l "$m" 2>/dev/null || true
    done
    chattr -R -i "$STORE" 2>/dev/null || true
    rm -rf "$STORE"
  fi
}

# ------------------------------------------------------------------ private podman configuration
mkdir -p "$CONF"
write_storage_conf() { # [MOUNT_PROGRAM]
  {
    echo '# generated by scripts/measure-pull.sh'
    echo '[storage]'
    echo 'driver = "overlay"'
    echo "graphroot = \"$STORE/graph\""
    echo "runroot = \"$STORE/run\""
    echo '[storage.options]'
    if [ -n "${1:-}" ]; then
      echo '[storage.options.overlay]'
      echo "mount_program = \"$1\""
      echo 'mountopt = "nodev"'
    fi
    echo '[storage.options.pull_options]'
    echo 'enable_partial_images = "true"'
    echo 'use_hard_links = "false"'
    echo 'ostree_repos = ""'
  } >"$CONF/storage.conf"
}
cat >"$CONF/containers.conf" <<EOF
# generated by scripts/measure-pull.sh
[engine]
events_logger = "file"
events_logfile_path = "$STORE/events.log"
cgroup_manager = "cgroupfs"
tmp_dir = "$STORE/libpod-tmp"
EOF
cat >"$CONF/registries.conf" <<EOF
# generated by scripts/measure-pull.sh: no search registries, no mirrors
unqualified-search-registries = []
EOF
write_storage_conf ""
export CONTAINERS_STORAGE_CONF="$CONF/storage.conf" CONTAINERS_CONF="$CONF/containers.conf" \
  CONTAINERS_REGISTRIES_CONF="$CONF/registries.conf"

# podman in a private mount namespace with its own blob-info cache (c/image keeps it in
# /var/lib/containers/cache for root, whatever the graphroot)
ISOLATED=0
if unshare -m --propagation private true 2>/dev/null; then
  mkdir -p /var/lib/containers/cache
  ISOLATED=1
fi
pm() { # pm ARGS...: podman with the private store (and cache, when isolated)
  if [ $ISOLATED = 1 ]; then
    mkdir -p "$BIC"
    # shellcheck disable=SC2016 # $0 and $@ are the inner shell's
    unshare -m --propagation private /bin/sh -c \
      'mount --bind "$0" /var/lib/containers/cache && exec podman "$@"' "$BIC" "$@"
  else
    podman "$@"
  fi
}
[ $ISOLATED = 1 ] || log "unshare -m failed: podman uses the system blob-info cache /var/lib/containers/cache"

# ------------------------------------------------------------------ what podman is
PODMAN_BIN=$(readlink -f "$(command -v podman)")
PODMAN_VERSION=$(podman --version | awk '{print $NF}')
built_using() { # the Debian source package version podman was built with
  dpkg-query -W -f='${Built-Using}' podman 2>/dev/null | tr ',' '\n' |
    awk -v p="$1" '$1 == p {gsub(/[()=]/, ""); print $2}' | head -1
}
CSTORAGE=$(built_using golang-github-containers-storage)
CIMAGE=$(built_using golang-github-containers-image)
# (Go keeps string constants back to back, so match the known key names, not [a-z-]+)
ANNOTATION_KEYS=$(grep -aoE 'io\.(github\.)?containers\.zstd-chunked\.(manifest-checksum|manifest-position|tarsplit-position|tarsplit-checksum)' \
  "$PODMAN_BIN" | sort -u | tr '\n' ' ' || true)
{
  echo "podman $PODMAN_VERSION ($PODMAN_BIN, Debian package $(dpkg-query -W -f='${Version}' podman 2>/dev/null || echo '?'))"
  echo "containers/storage ${CSTORAGE:-unknown}, containers/image ${CIMAGE:-unknown} (Debian Built-Using)"
  echo "zstd:chunked annotation keys in the binary: ${ANNOTATION_KEYS:-none}"
} | tee "$OUT/podman.txt" >&2
case " $ANNOTATION_KEYS " in
  *" io.github.containers.zstd-chunked.manifest-checksum "*) ;;
  *) log "this podman does not know the io.github.containers.zstd-chunked.* annotations:" \
    "current-format layers are not partial-pull candidates for it" ;;
esac

# ------------------------------------------------------------------ overlay check
remove_store
overlay_ok() { pm --log-level=debug info --format '{{.Store.GraphDriverName}}' >"$LOGS/podman-info.log" 2>&1; }
STORAGE_NOTE="overlay (kernel)"
case $MOUNT_PROGRAM in
  none | auto)
    if ! overlay_ok; then
      [ "$MOUNT_PROGRAM" = none ] && { tail -5 "$LOGS/podman-info.log" >&2; die "overlay storage does not work here"; }
      log "kernel overlay failed ($(grep -m1 -iE 'error|fail' "$LOGS/podman-info.log" || true)); trying fuse-overlayfs"
      apt_install fuse-overlayfs
      remove_store
      write_storage_conf /usr/bin/fuse-overlayfs
      overlay_ok || { tail -5 "$LOGS/podman-info.log" >&2; die "overlay storage fails with the kernel and with fuse-overlayfs"; }
      STORAGE_NOTE="overlay via fuse-overlayfs"
    fi ;;
  *)
    write_storage_conf "$MOUNT_PROGRAM"
    overlay_ok || { tail -5 "$LOGS/podman-info.log" >&2; die "overlay with mount_program $MOUNT_PROGRAM fails"; }
    STORAGE_NOTE="overlay via $MOUNT_PROGRAM" ;;
esac
log "storage: $STORAGE_NOTE, graphroot $STORE/graph; blob-info cache: $([ $ISOLATED = 1 ] && echo "private ($BIC)" || echo system)"

# ------------------------------------------------------------------ registry and front
"$ROOT/scripts/registry.sh" start "$REG_STATE" >"$LOGS/registry-start.log" 2>&1 ||
  { tail -20 "$LOGS/registry-start.log" >&2; die "scripts/registry.sh start failed"; }
REGISTRY_STARTED=1
# shellcheck disable=SC1091
. "$REG_STATE/env"

FRONT_URL=$LOG_URL FRONT_LOG=$LOG_ACCESS_LOG
# The longest Range header the front accepts: a header line must fit one of nginx's
# large_client_header_buffers (8k unless registry.sh sets it).
HEADER_LIMIT=8192
b=$(grep -m1 -oE 'large_client_header_buffers +[0-9]+ +[0-9]+[kKmM]?' "$REG_STATE/nginx/nginx.conf" | awk '{print $3}' || true)
case $b in
  *[kK]) HEADER_LIMIT=$(( ${b%?} * 1024 )) ;;
  *[mM]) HEADER_LIMIT=$(( ${b%?} * 1048576 )) ;;
  [0-9]*) HEADER_LIMIT=$b ;;
esac
FRONT_HOST=${FRONT_URL#http://}
log "registry $REGISTRY_URL; podman pulls through the $FRONT_KIND front $FRONT_URL (log $FRONT_LOG)"

# ------------------------------------------------------------------ the pulls
STEPS_JSON="$OUT/steps.jsonl"
: >"$STEPS_JSON"
PULL_FAILED=0
for pair in "${PAIRS[@]}"; do
  A=${pair%%:*} B=${pair#*:}
  name="$A+$B"
  log "=== $name: fresh store and blob-info cache"
  remove_store
  rm -rf "$BIC"
  have=()
  for img in "$A" "$B"; do
    base="$LOGS/$name-$img"
    : >"$FRONT_LOG"
    log "podman pull $FRONT_HOST/$img:latest (store: ${have[*]:-empty})"
    set +e
    pm --log-level=debug pull --tls-verify=false "$FRONT_HOST/$img:latest" >"$base.podman.out" 2>"$base.podman.log"
    rc=$?
    set -e
    [ $rc = 0 ] || { PULL_FAILED=1; log "podman pull failed (rc $rc): $(grep -m1 -E 'level=(error|fatal)|^Error' "$base.podman.log" || tail -1 "$base.podman.log")"; }
    sleep 0.3 # nginx writes its access log line when the response ends; let the last one land
    cp "$FRONT_LOG" "$base.access.jsonl"
    # the plan, straight from the registry (not through the front)
    planargs=(plan "docker://$REGISTRY_HOST/$img:latest" --insecure --json)
    for h in "${have[@]}"; do planargs+=(--have "docker://$REGISTRY_HOST/$h:latest"); done
    plan_err=""
    if ! "$CS" "${planargs[@]}" >"$base.plan.json" 2>"$base.plan.err"; then
      plan_err=$(tail -1 "$base.plan.err")
      log "chunkscope plan failed: $plan_err"
    fi
    jq -cn --arg pair "$name" --arg img "$img" --arg log "$base.access.jsonl" \
      --arg plog "$base.podman.log" --argjson rc "$rc" --arg plan "$base.plan.json" \
      --arg perr "$plan_err" --argjson have "$(printf '%s\n' "${have[@]}" | jq -R . | jq -sc 'map(select(. != ""))')" \
      '{pair: $pair, image: $img, tag: "latest", access_log: $log, podman_log: $plog, podman_rc: $rc,
        plan: (if $perr == "" then $plan else null end), plan_error: (if $perr == "" then null else $perr end),
        have: $have}' >>"$STEPS_JSON"
    have+=("$img")
  done
  pm images --digests --format '{{.Repository}}:{{.Tag}} {{.Digest}} {{.ID}}' >"$LOGS/$name.images.txt" 2>&1 || true
done

# ------------------------------------------------------------------ compare
jq -n --arg registry "$REGISTRY_URL" --arg fkind "$FRONT_KIND" --arg furl "$FRONT_URL" \
  --argjson hl "$HEADER_LIMIT" --arg pv "$PODMAN_VERSION" --arg cs "${CSTORAGE:-unknown}" \
  --arg ci "${CIMAGE:-unknown}" --arg keys "$ANNOTATION_KEYS" --arg storage "$STORAGE_NOTE" \
  --argjson iso "$ISOLATED" --arg results "$OUT/results.json" --slurpfile steps "$STEPS_JSON" \
  '{registry: $registry, front: {kind: $fkind, url: $furl, header_limit: $hl},
    podman: {version: $pv, storage: $cs, image: $ci, annotation_keys: ($keys | split(" ") | map(select(. != ""))),
             storage_driver: $storage, private_blob_info_cache: ($iso == 1)},
    results: $results, cache: ($results | sub("results.json$"; "registry-data.json")),
    scenarios: ($steps | group_by(.pair) | map({name: .[0].pair,
      note: ("podman pull " + (map(.image) | join(", then ")) + " into one fresh store"), steps: .}))}' >"$OUT/run.json"
# keep the order the pairs were given in
jq --argjson order "$(printf '%s\n' "${PAIRS[@]}" | jq -R 'sub(":"; "+")' | jq -sc .)" \
  '.scenarios |= sort_by(.name as $n | $order | index($n))' "$OUT/run.json" >"$OUT/run.json.tmp" && mv "$OUT/run.json.tmp" "$OUT/run.json"

set +e
python3 "$ROOT/scripts/compare-pull.py" "$OUT/run.json" | tee "$OUT/report.txt"
rc=${PIPESTATUS[0]}
set -e
[ $PULL_FAILED = 0 ] || { [ "$rc" = 0 ] && rc=1; }
log "report: $OUT/report.txt, details: $OUT/results.json, logs: $LOGS"
exit "$rc"
