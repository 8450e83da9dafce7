#!/usr/bin/env bash
# podman-chroot.sh — a Debian trixie chroot with podman 5.4.x (containers/storage 1.57) for
# scripts/measure-pull.sh. Debian 12's podman 4.3.1 pulls current-format zstd:chunked layers
# whole; trixie's podman 5.4.2 pulls them partially, as the planner models.
#
# Usage (as root): scripts/podman-chroot.sh [DIR]     default DIR: target/trixie-chroot
#
# Idempotent: debootstrap runs only when DIR has no finished system (DIR/.debootstrap-done),
# `apt-get install podman skopeo` only when podman is missing inside. /proc, /sys and /dev are
# bind-mounted by measure-pull.sh while it runs podman (`chroot DIR podman ...`); the chroot
# shares the host network, so the registry fronts on 127.0.0.1 are reachable from it.
# Environment: CHROOT_MIRROR (default http://deb.debian.org/debian).
# Takes about a minute on a fast mirror; prints the chroot's podman version at the end.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=${1:-$ROOT/target/trixie-chroot}
MIRROR=${CHROOT_MIRROR:-http://deb.debian.org/debian}
log() { echo "[podman-chroot] $*" >&2; }
die() { echo "[podman-chroot] ERROR: $*" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || die "run as root (debootstrap, chroot)"
case $DIR in /*) ;; *) DIR="$PWD/$DIR" ;; esac

if ! command -v debootstrap >/dev/null; then
  log "installing debootstrap on the host"
  apt-get update -qq >/dev/null 2>&1 || true
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null ||
    die "apt-get install debootstrap failed"
fi

mounted() { grep -q " $1 " /proc/mounts; }
bind_mounts() {
  local m
  for m in proc sys dev; do
    mkdir -p "$DIR/$m"
    mounted "$DIR/$m" || mount --bind "/$m" "$DIR/$m"
  done
}
unbind_mounts() {
  local m
  for m in dev sys proc; do mounted "$DIR/$m" && umount -l "$DIR/$m" || true; done
}

if [ ! -e "$DIR/.debootstrap-done" ]; then
  log "debootstrap trixie into $DIR (from $MIRROR)"
  unbind_mounts
  rm -rf "$DIR"
  mkdir -p "$DIR"
  debootstrap --variant=minbase trixie "$DIR" "$MIRROR" >"$DIR.debootstrap.log" 2>&1 ||
    { tail -20 "$DIR.debootstrap.log" >&2; die "debootstrap failed (log: $DIR.debootstrap.log)"; }
  touch "$DIR/.debootstrap-done"
fi

if ! chroot "$DIR" sh -c 'command -v podman' >/dev/null 2>&1; then
  log "apt-get install podman skopeo inside the chroot"
  cp /etc/resolv.conf "$DIR/etc/resolv.conf" 2>/dev/null || true
  bind_mounts
  trap unbind_mounts EXIT
  chroot "$DIR" sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends podman skopeo fuse-overlayfs crun netavark ca-certificates' \
    >"$DIR.apt.log" 2>&1 || { tail -20 "$DIR.apt.log" >&2; die "apt-get install in the chroot failed (log: $DIR.apt.log)"; }
fi
# podman wants /proc: mount it in a private namespace just for this
# shellcheck disable=SC2016 # $0 is the inner shell's
unshare -m --propagation private sh -c 'mount --bind /proc "$0/proc" && exec chroot "$0" podman --version' "$DIR"
