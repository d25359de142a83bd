#!/usr/bin/env bash
# Tears down what hosts-up.sh (and the tests) started: every domain on both daemons, the daemons, any QEMU they left,
# and the three namespaces (their veths and bridges go with them). Safe to run again and on a half-built setup.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

kill_pidfile() { # pidfile: TERM, wait up to 5 s, then KILL
    local f=$1 pid
    [ -f "$f" ] || return 0
    pid=$(cat "$f" 2>/dev/null) || return 0
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
    kill "$pid" 2>/dev/null
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
}

for host in hv1 hv2; do
    b=$(host_dir "$host")
    [ -d "$b" ] || continue
    uri=$(host_uri "$host")
    if [ -S "$(host_sock "$host")" ]; then
        for dom in $(timeout 10 virsh -c "$uri" list --all --name 2>/dev/null); do
            timeout 10 virsh -c "$uri" destroy "$dom" >/dev/null 2>&1
            timeout 10 virsh -c "$uri" undefine "$dom" >/dev/null 2>&1
        done
    fi
    kill_pidfile "$b/libvirtd.pid"
    kill_pidfile "$b/daemon.launcher.pid"
    for f in "$b"/run/qemu/*.pid; do kill_pidfile "$f"; done
done
for ns in "$NS_HV1" "$NS_HV2" "$NS_CLI"; do
    if ip netns list 2>/dev/null | grep -qw "^$ns"; then
        # anything still running in the namespace (probes, echo helpers started by tests) is ours
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
        ip netns del "$ns" || log "could not delete namespace $ns"
    fi
done
for link in "$REALHV_PREFIX-m1" "$REALHV_PREFIX-m2"; do   # gone with their namespaces; here in case one was not
    ip link del "$link" 2>/dev/null || true
done
log "hosts down"
