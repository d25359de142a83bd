#!/usr/bin/env bash
# Installs what the real-hypervisor tier needs, when missing: libvirt's daemon, QEMU, busybox-static, a C compiler for
# the two tiny UDP tools, and Debian's guest kernel unpacked (not installed) into target/realhv/kernel.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
require_root_netns

missing=()
for pkg in libvirt-daemon-system qemu-system-x86 busybox-static cpio gcc libc6-dev; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y --no-install-recommends "${missing[@]}" || { apt-get update && apt-get install -y --no-install-recommends "${missing[@]}"; }
fi

KDIR="$REALHV_DIR/kernel"
if ! ls "$KDIR"/boot/vmlinuz-* >/dev/null 2>&1; then
    # the flavour package Debian's metapackage points at, e.g. linux-image-6.1.0-56-amd64
    kpkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
    [ -n "$kpkg" ] || die "apt-cache offers no linux-image-*-amd64 (run apt-get update?)"
    log "unpacking $kpkg into $KDIR"
    tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
    (cd "$tmp" && apt-get download "$kpkg" >/dev/null)
    mkdir -p "$KDIR"
    dpkg-deb -x "$tmp"/"$kpkg"_*.deb "$KDIR"
fi
ls "$KDIR"/boot/vmlinuz-* >/dev/null || die "no kernel in $KDIR/boot"
log "ready: $(libvirtd --version), $(qemu-system-x86_64 --version | head -n1), kernel $(basename "$KDIR"/lib/modules/*)"
