#!/usr/bin/env bash
# bench-big.sh — big-layer benchmarks: the native CLI on layers of 154,000 and 510,000 entries,
# and chunkscope side by side with the `zstd-chunked` crate (containers/zstd-chunked-rs 0.2.0).
#
#   bash scripts/bench-big.sh            (BIG_SIZES="154000 510000" by default; as root for the chroot)
#
# 1. Layers (kept under target/bench-layers/, never in git; built once, reused): a tar of N
#    one-byte files in directories of 1000 (tests/e2e/make_layout.py --generate many:N, stdlib
#    Python), converted by Debian trixie's skopeo 1.18 (containers/storage 1.57, the current
#    format: TOC + tar-split with tarSplitDigest) in the chroot scripts/podman-chroot.sh makes:
#      skopeo copy --dest-compress-format zstd:chunked oci:SRC:big oci:target/bench-layers/bigN:big
# 2. The release CLI (`cargo build --release`): `chunkscope inspect oci:…:big --json` with and
#    without --toc-only, wall time, CPU time and peak RSS from /usr/bin/time, best of BIG_RUNS
#    (default 3).
# 3. benches/peer (a crate of its own, so chunkscope never depends on zstd-chunked): both
#    libraries on the same blob in one run, each in a fresh process, wall time and VmHWM.
# 4. benches/phases.rs (`cargo bench --bench phases -- LAYOUT RUNS`): each phase of the
#    inspection with its alternatives side by side in one process: TOC decode (ruzstd into a
#    growing buffer, ruzstd into a buffer sized once, libzstd), TOC parse, file model, tar-split
#    decode + check (ruzstd, libzstd; on one thread and with decoding on a second thread).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SIZES=${BIG_SIZES:-154000 510000}
RUNS=${BIG_RUNS:-3}
CHROOT=${BENCH_CHROOT:-$ROOT/target/trixie-chroot}
say() { echo; echo "[bench-big] $*"; }
die() { echo "[bench-big] ERROR: $*" >&2; exit 1; }
command -v /usr/bin/time >/dev/null || die "/usr/bin/time missing (apt-get install time)"

layer() { # N → target/bench-layers/bigN (an OCI layout, tag big)
  local n=$1 out=$ROOT/target/bench-layers/big$((n / 1000))k
  [ -f "$out/index.json" ] && return 0
  [ -x "$CHROOT/usr/bin/skopeo" ] || "$ROOT/scripts/podman-chroot.sh" "$CHROOT" >&2 ||
    die "no trixie chroot with skopeo (scripts/podman-chroot.sh, as root)"
  say "making a $n-entry layer (make_layout.py, then trixie's skopeo 1.18 in $CHROOT)"
  rm -rf "$CHROOT/bench" && mkdir -p "$CHROOT/bench"
  python3 tests/e2e/make_layout.py "$CHROOT/bench/src" --tag big --generate "many:$n" >/dev/null
  unshare -m sh -c 'for m in proc sys dev; do mount --bind /$m "$0/$m"; done; exec chroot "$0" skopeo copy -q --dest-compress-format zstd:chunked oci:/bench/src:big oci:/bench/out:big' "$CHROOT"
  mkdir -p "$(dirname "$out")" && mv "$CHROOT/bench/out" "$out" && rm -rf "$CHROOT/bench"
}

for n in $SIZES; do layer "$n"; done

say "cargo build --release --bin chunkscope"
cargo build --release --bin chunkscope 2>&1 | tail -1
BIN=$ROOT/target/release/chunkscope
echo "[bench-big] machine: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
for n in $SIZES; do
  dir=target/bench-layers/big$((n / 1000))k
  pos=$(python3 -c 'import json,sys
d=sys.argv[1]; b=lambda x: d+"/blobs/"+x.replace(":","/",1)
m=json.load(open(b(json.load(open(d+"/index.json"))["manifests"][0]["digest"])))
l=m["layers"][0]; a=l["annotations"]; size=l["size"]
t=a["io.github.containers.zstd-chunked.manifest-position"].split(":"); s=a["io.github.containers.zstd-chunked.tarsplit-position"].split(":")
print(f"blob {size} B, TOC {t[1]} B compressed / {t[2]} B JSON, tar-split {s[1]} B / {s[2]} B decoded")' "$dir")
  say "$dir: $pos"
  for mode in --toc-only ""; do
    best=""
    for _ in $(seq "$RUNS"); do
      r=$(/usr/bin/time -f "%e %M %U %S" "$BIN" inspect "oci:$dir:big" --json $mode 2>&1 >/dev/null | tail -1)
      if [ -z "$best" ] || awk -v a="$r" -v b="$best" 'BEGIN { split(a, x, " "); split(b, y, " "); exit !(x[1] < y[1]) }'; then best=$r; fi
    done
    read -r secs kb user sys <<<"$best"
    echo "  chunkscope inspect --json ${mode:-(TOC + tar-split)}: best of $RUNS: ${secs} s (CPU ${user} s user + ${sys} s sys), peak RSS $((kb / 1024)) MiB"
  done
done

say "side by side with zstd-chunked 0.2.0: cargo run --release --manifest-path benches/peer/Cargo.toml"
for n in $SIZES; do
  cargo run -q --release --manifest-path benches/peer/Cargo.toml --target-dir target/peer -- \
    "target/bench-layers/big$((n / 1000))k" "$RUNS"
done

say "phases and their alternatives, side by side: cargo bench --bench phases"
for n in $SIZES; do
  cargo bench -q --bench phases -- "target/bench-layers/big$((n / 1000))k" "$RUNS" 2>&1 | grep -v '^\s*\(Compiling\|Finished\|Running\)'
done
