#!/usr/bin/env bash
# Traffic probe around migrations driven by virsh alone (no JVM, no operator, no agents), to tell apart what the
# operator's rounds add over bare libvirt: per round, in both directions,
#   bare:     the guest on its standby path (stand-in detached beforehand), virsh migrate, stand-in re-plugged after
#   sequence: the operator's sequence scripted with virsh inside the probe window: unplug the stand-in, migrate,
#             plug it on the target
# UDP at 5,000 pkt/s for 15 s from srl-cli, the first step 1 s into the window. Prints one line per window and the
# medians. Brings its own hosts up and tears them down on exit. Usage: probe-migrate.sh [ROUNDS] (default 3)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
HERE="$(cd "$(dirname "$0")" && pwd)"
require_root_netns
rounds=${1:-3}
trap '"$HERE/hosts-down.sh"' EXIT
"$HERE/install.sh" >/dev/null
"$HERE/build-guest.sh" >/dev/null 2>&1
"$HERE/guest-xml.sh" teamvm > "$REALHV_DIR/guest/teamvm.xml"
"$HERE/hosts-up.sh" >/dev/null 2>&1
declare -A URI=([hv1]=$(host_uri hv1) [hv2]=$(host_uri hv2))
declare -A TCP=([hv1]="qemu+tcp://$HV1_IP/system" [hv2]="qemu+tcp://$HV2_IP/system")
serial="$REALHV_DIR/serial/teamvm.log"
: > "$serial"
virsh -q -c "${URI[hv1]}" define "$REALHV_DIR/guest/teamvm.xml" >/dev/null
virsh -q -c "${URI[hv1]}" start teamvm >/dev/null
for _ in $(seq 1 600); do grep -q GUEST-READY "$serial" && break; sleep 0.1; done
standin="$REALHV_DIR/standin.xml"
cat > "$standin" <<EOX
<interface type='bridge'><source bridge='$GUEST_BRIDGE'/><mac address='$GUEST_MAC'/><model type='e1000e'/><alias name='ua-vf-0000-06-00-1'/></interface>
EOX
# distinct "primary registered" kernel lines the guest has printed (each by its timestamp)
registrations() { { grep -o '\[ *[0-9.]*\] virtio_net virtio0 eth0: failover primary slave:eth[0-9]* registered' "$serial" || true; } | sort -u | wc -l; }
plug() {   # attach on $1 and wait until the guest enslaved it (a new registration line on the serial console)
    local before; before=$(registrations)
    virsh -q -c "${URI[$1]}" attach-device teamvm "$standin" --live >/dev/null
    for _ in $(seq 1 300); do
        [ "$(registrations)" -gt "$before" ] && return 0
        sleep 0.1
    done
    echo "probe-migrate: the guest on $1 did not enslave the stand-in" >&2
}
unplug() { virsh -q -c "${URI[$1]}" detach-device-alias teamvm ua-vf-0000-06-00-1 --live >/dev/null; sleep 1; }
migrate() { virsh -q -c "${URI[$1]}" migrate --live --persistent --undefinesource --p2p teamvm "${TCP[$2]}" >/dev/null; }
probe() { ip netns exec "$NS_CLI" "$REALHV_DIR/guest/udp-probe" "$GUEST_IP" "$ECHO_PORT" 5000 15; }
# where each host's bridge forwards the guest's MAC, on change (s since the window's start), to place long gaps
fdbtrace() {
    local t0=$1 prev= now
    while :; do
        now="hv1:$(ip netns exec "$NS_HV1" bridge fdb show br "$GUEST_BRIDGE" | awk -v m="$GUEST_MAC" '$1 == m && !/permanent/ {print $3; exit}') hv2:$(ip netns exec "$NS_HV2" bridge fdb show br "$GUEST_BRIDGE" | awk -v m="$GUEST_MAC" '$1 == m && !/permanent/ {print $3; exit}')"
        [ "$now" != "$prev" ] && echo "$(awk -v a="$(date +%s.%N)" -v b="$t0" 'BEGIN{printf "%.2f", a-b}'):$now" && prev=$now
        sleep 0.1
    done
}
results=()
window() {   # KIND FROM TO
    local p out f
    fdbtrace "$(date +%s.%N)" > "$REALHV_DIR/window.fdb" & f=$!
    probe > "$REALHV_DIR/window.probe" & p=$!
    sleep 1
    if [ "$1" = sequence ]; then unplug "$2"; migrate "$2" "$3"; plug "$3"; else migrate "$2" "$3"; fi
    wait $p; kill $f; wait $f 2>/dev/null || true
    out=$(cat "$REALHV_DIR/window.probe")
    echo "$1 $2->$3 (load $(cut -d' ' -f1 /proc/loadavg)): $out"
    echo "  bridge entries for the guest's MAC: $(tr '\n' ' ' < "$REALHV_DIR/window.fdb")"
    results+=("$1 $2->$3 $(sed 's/.*lost=\([0-9]*\) max_gap_ms=\([0-9.]*\).*/\1 \2/' <<<"$out")")
}
sleep 3
plug hv1
at=hv1
for r in $(seq 1 "$rounds"); do
    for kind in bare sequence; do
        for _ in 1 2; do
            to=$([ "$at" = hv1 ] && echo hv2 || echo hv1)
            if [ "$kind" = bare ]; then unplug "$at"; sleep 2; window bare "$at" "$to"; plug "$to"
            else sleep 2; window sequence "$at" "$to"; fi
            at=$to
            sleep 2
        done
    done
done
median() { sort -n | awk '{v[NR]=$1} END {print (NR ? v[int((NR+1)/2)] : "-")}'; }
echo "medians:"
for key in "bare hv1->hv2" "bare hv2->hv1" "sequence hv1->hv2" "sequence hv2->hv1"; do
    rows=$(printf '%s\n' "${results[@]}" | awk -v k="$key" '$1 " " $2 == k {print $3, $4}')
    echo "  $key: lost $(awk '{print $1}' <<<"$rows" | median), longest gap $(awk '{print $2}' <<<"$rows" | median) ms (n=$(grep -c . <<<"$rows"))"
done
grep -E 'GUEST-ECHO-DIED|GUEST-E1000E-DEFAULTS' "$serial" || true
