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
# The guest kernel is pinned: with linux-image-6.1.0-57-amd64 (6.1.192-3) the guest's virtio-net transmit queue stalled
# after a migration in 2 runs of 2, one of them a bare libvirt migration ("NETDEV WATCHDOG: ... transmit queue 0 timed
# out"); 6.1.0-56 (6.1.192-2) passed every run (docs/real-hypervisors.md). When Debian no longer serves the pinned one,
# the flavour its metapackage points at is used, with a warning.
KPKG_PINNED=linux-image-6.1.0-56-amd64
if ! ls "$KDIR"/lib/modules/"${KPKG_PINNED#linux-image-}" >/dev/null 2>&1; then
    kpkg=$KPKG_PINNED
    if ! apt-cache show "$kpkg" >/dev/null 2>&1; then
        kpkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
        [ -n "$kpkg" ] || die "apt-cache offers no linux-image-*-amd64 (run apt-get update?)"
        log "WARNING: $KPKG_PINNED is not offered; using $kpkg, which this tier has not been measured with"
    fi
    if ! ls "$KDIR"/lib/modules/"${kpkg#linux-image-}" >/dev/null 2>&1; then
        log "unpacking $kpkg into $KDIR"
        tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
        (cd "$tmp" && apt-get download "$kpkg" >/dev/null)
        rm -rf "$KDIR" "$REALHV_DIR/guest" && mkdir -p "$KDIR"
        dpkg-deb -x "$tmp"/"$kpkg"_*.deb "$KDIR"
    fi
fi
ls "$KDIR"/boot/vmlinuz-* >/dev/null || die "no kernel in $KDIR/boot"
log "ready: $(libvirtd --version), $(qemu-system-x86_64 --version | head -n1), kernel $(basename "$KDIR"/lib/modules/*)"
