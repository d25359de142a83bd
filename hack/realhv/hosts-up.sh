#!/usr/bin/env bash
# Creates the two hypervisor "hosts" hv1 and hv2 and a client namespace:
#  - each host is a network namespace plus a private mount namespace in which its own libvirtd runs, with its own
#    /etc/libvirt, /run/libvirt, /var/lib/libvirt, /var/log/libvirt and /var/cache/libvirt (bind mounts of
#    target/realhv/<host>/...), its own host_uuid, listen_tcp on its address, and a qemu.conf without security driver,
#    virtlogd, cgroups or namespaces;
#  - hv1 and hv2 are joined by a veth (10.231.0.0/24: libvirt over qemu+tcp and QEMU's migration stream);
#  - the guest LAN is a bridge rbr0 in each host, the two joined by a second veth; the client namespace hangs off
#    hv1's rbr0 (10.232.0.100) and reaches the guest (10.232.0.10) on whichever host it runs.
# Each daemon's socket is target/realhv/<host>/sock/libvirt-sock (reachable from the root namespace), and the root
# namespace reaches each daemon's qemu+tcp address too (a veth $REALHV_PREFIX-m1/-m2 and a host route).
# REALHV_LIBVIRT_DEBUG=1 makes the daemons log QEMU monitor, process and migration traffic (log/libvirtd.log).
# On any failure everything created so far is torn down again (hosts-down.sh).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
HERE="$(cd "$(dirname "$0")" && pwd)"
require_root_netns
command -v libvirtd >/dev/null || die "libvirtd is missing: run hack/realhv/install.sh"

for ns in "$NS_HV1" "$NS_HV2" "$NS_CLI"; do
    ip netns list | grep -qw "^$ns" && die "namespace $ns exists already: run hack/realhv/hosts-down.sh first"
done

ok=0
trap '[ "$ok" = 1 ] || { log "setup failed; tearing down"; "$HERE/hosts-down.sh" || true; }' EXIT

nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

for ns in "$NS_HV1" "$NS_HV2" "$NS_CLI"; do
    ip netns add "$ns"
    nsx "$ns" ip link set lo up
done
# management / migration link
ip link add hm0 netns "$NS_HV1" type veth peer name hm0 netns "$NS_HV2"
nsx "$NS_HV1" ip addr add "$HV1_IP/24" dev hm0
nsx "$NS_HV2" ip addr add "$HV2_IP/24" dev hm0
# guest LAN
for ns in "$NS_HV1" "$NS_HV2"; do
    nsx "$ns" ip link add "$GUEST_BRIDGE" type bridge
    nsx "$ns" ip link set "$GUEST_BRIDGE" type bridge stp_state 0 forward_delay 0
done
ip link add lan0 netns "$NS_HV1" type veth peer name lan0 netns "$NS_HV2"
ip link add cl0 netns "$NS_HV1" type veth peer name c0 netns "$NS_CLI"
nsx "$NS_HV1" ip link set lan0 master "$GUEST_BRIDGE"
nsx "$NS_HV2" ip link set lan0 master "$GUEST_BRIDGE"
nsx "$NS_HV1" ip link set cl0 master "$GUEST_BRIDGE"
nsx "$NS_CLI" ip addr add "$CLIENT_IP/24" dev c0
for ns in "$NS_HV1" "$NS_HV2"; do
    for dev in hm0 lan0 "$GUEST_BRIDGE"; do nsx "$ns" ip link set "$dev" up; done
done
nsx "$NS_HV1" ip link set cl0 up
nsx "$NS_CLI" ip link set c0 up
# the client's checksums are computed in software: some paths into QEMU's userspace tap drop partial checksums
command -v ethtool >/dev/null && nsx "$NS_CLI" ethtool -K c0 tx off >/dev/null 2>&1 || true

start_host() {
    local host=$1 ns=$2 ip=$3 uuid=$4 b
    b=$(host_dir "$host")
    rm -rf "$b"
    mkdir -p "$b"/{run,lib/qemu,lib/images,log/qemu,cache/qemu,sock,serial}
    cp -a /etc/libvirt "$b/etc"
    rm -f "$b"/etc/qemu/networks/autostart/* "$b"/etc/qemu/*.xml 2>/dev/null || true
    cat >> "$b/etc/libvirtd.conf" <<EOC

# --- sriovlm real-hypervisor tier: host $host
unix_sock_dir = "$b/sock"
unix_sock_group = "root"
unix_sock_rw_perms = "0770"
auth_unix_rw = "none"
auth_unix_ro = "none"
listen_tls = 0
listen_tcp = 1
listen_addr = "$ip"
auth_tcp = "none"
host_uuid = "$uuid"
log_outputs = "2:file:$b/log/libvirtd.log"
${REALHV_LIBVIRT_DEBUG:+log_filters = \"1:qemu.qemu_migration 1:qemu.qemu_monitor 1:qemu.qemu_process 3:*\"}
${REALHV_LIBVIRT_DEBUG:+log_outputs = \"1:file:$b/log/libvirtd.log\"}
EOC
    cat >> "$b/etc/qemu.conf" <<EOC

# --- sriovlm real-hypervisor tier: host $host
user = "root"
group = "root"
dynamic_ownership = 0
remember_owner = 0
security_driver = "none"
stdio_handler = "file"
cgroup_controllers = [ ]
namespaces = [ ]
migration_address = "$ip"
migration_host = "$ip"
EOC
    ip netns exec "$ns" unshare -m --propagation private bash -c "
        set -e
        mount -t tmpfs tmpfs /run
        mkdir -p /run/libvirt
        mount --bind '$b/run' /run/libvirt
        mount --bind '$b/etc' /etc/libvirt
        mount --bind '$b/lib' /var/lib/libvirt
        mount --bind '$b/log' /var/log/libvirt
        mount --bind '$b/cache' /var/cache/libvirt
        exec libvirtd -f '$b/etc/libvirtd.conf' --listen -p '$b/libvirtd.pid'
    " > "$b/daemon.out" 2>&1 &
    echo $! > "$b/daemon.launcher.pid"
    for _ in $(seq 1 100); do
        virsh -c "$(host_uri "$host")" hostname >/dev/null 2>&1 && break
        kill -0 "$(cat "$b/daemon.launcher.pid")" 2>/dev/null || { cat "$b/daemon.out" >&2; die "libvirtd of $host exited"; }
        sleep 0.1
    done
    virsh -c "$(host_uri "$host")" hostname >/dev/null || die "libvirtd of $host does not answer on $(host_sock "$host")"
    log "$host: libvirtd pid $(cat "$b/libvirtd.pid") on $(host_uri "$host"), qemu+tcp://$ip/system"
}
start_host hv1 "$NS_HV1" "$HV1_IP" 5a5a0001-0000-4000-8000-000000000001
start_host hv2 "$NS_HV2" "$HV2_IP" 5a5a0002-0000-4000-8000-000000000002
# hv1's daemon must reach hv2's (peer-to-peer migration) and the other way round
nsx "$NS_HV1" virsh -c "qemu+tcp://$HV2_IP/system" hostname >/dev/null || die "hv1 cannot reach hv2's libvirtd over tcp"
nsx "$NS_HV2" virsh -c "qemu+tcp://$HV1_IP/system" hostname >/dev/null || die "hv2 cannot reach hv1's libvirtd over tcp"
# This process (the agents under test) reaches each daemon's migration URI, as an agent reaches a target's libvirt for
# the dry run's and the switch's questions: a point-to-point veth into each host and a host route to its address.
for i in 1 2; do
    ns="$REALHV_PREFIX-hv$i"; ip="10.231.0.$i"; link="$REALHV_PREFIX-m$i"
    ip link add "$link" type veth peer name rt0 netns "$ns"
    ip addr add "10.233.$i.1/30" dev "$link"
    nsx "$ns" ip addr add "10.233.$i.2/30" dev rt0
    ip link set "$link" up
    nsx "$ns" ip link set rt0 up
    ip route add "$ip/32" via "10.233.$i.2" dev "$link"
done
virsh -c "qemu+tcp://$HV1_IP/system" hostname >/dev/null || die "this namespace cannot reach hv1's libvirtd over tcp"
virsh -c "qemu+tcp://$HV2_IP/system" hostname >/dev/null || die "this namespace cannot reach hv2's libvirtd over tcp"
ok=1
log "hosts up: hv1 $(host_uri hv1) | hv2 $(host_uri hv2) | client netns $NS_CLI ($CLIENT_IP)"
