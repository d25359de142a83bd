#!/usr/bin/env bash
# Control measurements for the traffic probe, without any migration: how much UDP echo the TCG guest sustains on its
# standby (virtio) path and with the e1000e stand-in as primary, and the echo gap while the stand-in is hot-plugged
# and unplugged (STANDIN_MODEL=virtio tries a virtio-net stand-in instead of e1000e). Brings its own hosts up and tears them down on exit. Usage: probe-control.sh [RATE...]
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
for r in ${rates[@]}; do echo "standby only, $r pkt/s, 5 s: $(probe "$r" 5)"; done
probe 1000 10 > "$REALHV_DIR/attach.probe" & p=$!
sleep 3; virsh -q -c "$U1" attach-device teamvm "$standin" --live >/dev/null; wait $p
echo "hot-plug of the stand-in at t=3 s, 1000 pkt/s: $(cat "$REALHV_DIR/attach.probe")"
sleep 2
for r in ${rates[@]}; do echo "stand-in primary, $r pkt/s, 5 s: $(probe "$r" 5)"; done
probe 1000 10 > "$REALHV_DIR/detach.probe" & p=$!
sleep 3; virsh -q -c "$U1" detach-device-alias teamvm ua-vf-0000-06-00-1 --live >/dev/null; wait $p
echo "unplug of the stand-in at t=3 s, 1000 pkt/s: $(cat "$REALHV_DIR/detach.probe")"
grep -v LNKS "$REALHV_DIR/serial/teamvm.log" | grep -E 'failover|e1000e.*Link' | sed 's/^/guest: /' || true
