#!/usr/bin/env bash
# Control measurements for the traffic probe, without any migration: how much UDP echo the TCG guest sustains on its
# standby (virtio) path and with the e1000e stand-in as primary, and the echo gap while the stand-in is hot-plugged
# and unplugged. Knobs: STANDIN_MODEL (default e1000e; e.g. virtio, e1000, vmxnet3), GUEST_VCPUS (default 1).
# During the hot-plug it traces, every 50 ms on the host, which bridge port the guest's MAC is forwarded to and the
# packet counters of the guest's taps ($REALHV_DIR/attach.trace, times in s since the probe's first send).
# Brings its own hosts up and tears them down on exit. Usage: probe-control.sh [RATE...]
set -euo pipefail
. "$(dirname "$0")/lib.sh"
HERE="$(cd "$(dirname "$0")" && pwd)"
require_root_netns
rates=("${@:-5000 1000}")
trap '"$HERE/hosts-down.sh"' EXIT
"$HERE/install.sh" >/dev/null
"$HERE/build-guest.sh" >/dev/null 2>&1
"$HERE/guest-xml.sh" teamvm > "$REALHV_DIR/guest/teamvm.xml"
"$HERE/hosts-up.sh" >/dev/null 2>&1
U1=$(host_uri hv1)
: > "$REALHV_DIR/serial/teamvm.log"
virsh -q -c "$U1" define "$REALHV_DIR/guest/teamvm.xml" >/dev/null
virsh -q -c "$U1" start teamvm >/dev/null
for _ in $(seq 1 600); do grep -q GUEST-READY "$REALHV_DIR/serial/teamvm.log" && break; sleep 0.1; done
sleep 2
probe() { ip netns exec "$NS_CLI" "$REALHV_DIR/guest/udp-probe" "$GUEST_IP" "$ECHO_PORT" "$1" "$2"; }
standin=$(mktemp); trap 'rm -f "$standin"; "$HERE/hosts-down.sh"' EXIT
cat > "$standin" <<EOX
<interface type='bridge'><source bridge='$GUEST_BRIDGE'/><mac address='$GUEST_MAC'/><model type='${STANDIN_MODEL:-e1000e}'/><alias name='ua-vf-0000-06-00-1'/></interface>
EOX
echo "qemu threads: $(ps -T -C qemu-system-x86_64 -o comm= | sort | uniq -c | tr -s ' \n' ' ')"
for r in ${rates[@]}; do echo "standby only, $r pkt/s, 5 s: $(probe "$r" 5)"; done
# host-side trace: the bridge port that carries the guest's MAC, and tx (to the guest) / rx counters of each tap
since() { awk -v a="$(date +%s.%N)" -v b="$1" 'BEGIN{printf "%.2f", a-b}'; }
trace() {
    local port line
    while :; do
        port=$(ip netns exec "$NS_HV1" bridge fdb show br "$GUEST_BRIDGE" | awk -v m="$GUEST_MAC" '$1 == m && !/permanent/ {print $3; exit}')
        line=$(ip netns exec "$NS_HV1" ip -s -o link | awk '/vnet/ {n=$2; sub(":","",n); for (i=1;i<=NF;i++) if ($i=="RX:") r=$(i+9); else if ($i=="TX:") t=$(i+9) "/drop" $(i+11); print n " rx=" r " tx=" t}' | tr '\n' ' ')
        echo "$(since "$1") fdb=$port $line"
        sleep 0.05
    done
}
t0=$(date +%s.%N)
probe 1000 10 > "$REALHV_DIR/attach.probe" & p=$!
trace "$t0" > "$REALHV_DIR/attach.trace" & tp=$!
sleep 3; echo "$(since "$t0") attach" >> "$REALHV_DIR/attach.trace"
virsh -q -c "$U1" attach-device teamvm "$standin" --live >/dev/null
echo "$(since "$t0") attached" >> "$REALHV_DIR/attach.trace"
wait $p; kill $tp; wait $tp 2>/dev/null || true
echo "hot-plug of the stand-in at t=3 s, 1000 pkt/s: $(cat "$REALHV_DIR/attach.probe")"
sleep 2
for r in ${rates[@]}; do echo "stand-in primary, $r pkt/s, 5 s: $(probe "$r" 5)"; done
probe 1000 10 > "$REALHV_DIR/detach.probe" & p=$!
sleep 3; virsh -q -c "$U1" detach-device-alias teamvm ua-vf-0000-06-00-1 --live >/dev/null; wait $p
echo "unplug of the stand-in at t=3 s, 1000 pkt/s: $(cat "$REALHV_DIR/detach.probe")"
grep -v LNKS "$REALHV_DIR/serial/teamvm.log" | grep -E 'GUEST-NCPU|failover|Link|link|vmxnet|e1000|^HB' | sed 's/^/guest: /' || true
echo "host trace of the hot-plug: $REALHV_DIR/attach.trace"
if [ -n "${QEMU_TRACE:-}" ]; then
    echo "QEMU trace (times: epoch s; the hot-plug probe's t0_epoch_ms is above):"
    grep -E '^[0-9]+@' "$REALHV_DIR/hv1/log/qemu/teamvm.log" | uniq -c -f1 | tail -n 60
fi
