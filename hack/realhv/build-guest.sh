#!/usr/bin/env bash
# Builds the guest: target/realhv/guest/{vmlinuz,initrd.gz}, and the client's udp-probe and frame-count.
# initrd: busybox-static, the static udp-echo, /init (guest-init.sh) and the kernel modules for virtio-net teaming
# (virtio_net -> net_failover -> failover) and for the VF stand-in (e1000e), with their dependencies in load order.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
HERE="$(cd "$(dirname "$0")" && pwd)"
KDIR="$REALHV_DIR/kernel"
OUT="$REALHV_DIR/guest"
kver=$(basename "$(ls -d "$KDIR"/lib/modules/*)")
[ -n "$kver" ] || die "no unpacked kernel in $KDIR; run hack/realhv/install.sh"
MODS="$KDIR/lib/modules/$kver"
[ -f "$MODS/modules.dep" ] || depmod -b "$KDIR" "$kver"

tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT
mkdir -p "$tree"/{bin,mods,proc,sys,dev} "$OUT"
cp /bin/busybox "$tree/bin/busybox"
file -L "$tree/bin/busybox" 2>/dev/null | grep -q 'statically linked' || ldd /bin/busybox 2>&1 | grep -q 'not a dynamic' \
    || die "/bin/busybox is not static: install busybox-static"
gcc -O2 -static -o "$tree/bin/udp-echo" "$HERE/udp-echo.c"
gcc -O2 -o "$OUT/udp-probe" "$HERE/udp-probe.c"
gcc -O2 -o "$OUT/frame-count" "$HERE/frame-count.c"
install -m 0755 "$HERE/guest-init.sh" "$tree/init"

# dependency closure from modules.dep, dependencies first
declare -A done_mod=()
order=()
add_mod() {
    local rel=$1 dep
    [ -n "${done_mod[$rel]:-}" ] && return
    done_mod[$rel]=1
    for dep in $(awk -v m="$rel:" '$1 == m { $1 = ""; print }' "$MODS/modules.dep"); do add_mod "$dep"; done
    order+=("$rel")
}
for m in virtio_pci virtio_net e1000e; do
    rel=$(awk -F: -v m="/$m.ko" 'index($1, m) && substr($1, length($1) - length(m) + 1) == m { print $1; exit }' "$MODS/modules.dep")
    [ -n "$rel" ] || die "module $m not in $MODS (built in? then drop it from the list)"
    add_mod "$rel"
done
: > "$tree/mods/order"
for rel in "${order[@]}"; do
    cp "$MODS/$rel" "$tree/mods/"
    basename "$rel" >> "$tree/mods/order"
done
log "guest modules: $(tr '\n' ' ' < "$tree/mods/order")"
(cd "$tree" && find . | cpio -o -H newc --quiet | gzip -1) > "$OUT/initrd.gz"
cp "$KDIR/boot/vmlinuz-$kver" "$OUT/vmlinuz"
log "guest built: $OUT/vmlinuz $OUT/initrd.gz ($(du -h "$OUT/initrd.gz" | cut -f1))"
