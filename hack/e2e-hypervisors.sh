#!/usr/bin/env bash
# The real-hypervisor tier: installs what it needs, builds the guest, starts two libvirtd "hosts" (hv1, hv2) in
# network + mount namespaces, runs the *HypervisorIT tests against them through Maven, and tears everything down on
# exit, also on failure or Ctrl-C. Needs root and network namespaces; says so and fails when they are missing.
# Extra arguments go to Maven (e.g. -Dtest=LibvirtHypervisorIT to run one class). --preflight only checks root and
# network namespaces (hack/test.sh calls it first, so that it fails at once rather than after the default tiers).
set -euo pipefail
cd "$(dirname "$0")/.."
. hack/realhv/lib.sh

if [ "$(id -u)" -ne 0 ]; then
    echo "e2e-hypervisors: FAILED: must run as root (it creates network namespaces, bridges and libvirtd daemons)" >&2
    exit 2
fi
ip netns del "$REALHV_PREFIX-probe" 2>/dev/null || true   # left over by an interrupted check
if ! ip netns list >/dev/null 2>&1 || ! ip netns add "$REALHV_PREFIX-probe" 2>/dev/null; then
    echo "e2e-hypervisors: FAILED: this machine cannot create network namespaces ('ip netns add' failed)" >&2
    exit 2
fi
ip netns del "$REALHV_PREFIX-probe"
if [ "${1:-}" = --preflight ]; then
    echo "e2e-hypervisors: root and network namespaces available"
    exit 0
fi

hack/realhv/hosts-down.sh >/dev/null 2>&1 || true   # leftovers of an interrupted run
trap 'rc=$?; hack/realhv/hosts-down.sh; exit $rc' EXIT
trap 'exit 130' INT TERM

hack/realhv/install.sh
hack/realhv/build-guest.sh
hack/realhv/guest-xml.sh teamvm > "$REALHV_DIR/guest/teamvm.xml"
# A TCG guest's kernel occasionally hangs by itself (seen once in ~9 runs: "soft lockup - CPU#0 stuck" in the idle
# task right after a hot-unplug, heartbeat gone; once silently right after a bare virsh migration, 2026-12-05: the
# tests then say GUEST-FROZEN; docs/real-hypervisors.md). When a failed run's guest console shows such a stall, or a
# test found the guest frozen, the whole tier runs once more from fresh hosts and a fresh guest, and must pass with
# every check; any other failure, or a second one, fails the command.
GUEST_STALL='soft lockup|rcu_sched self-detected stall|rcu: INFO: rcu_.* detected stall|Kernel panic'
for attempt in 1 2; do
    hack/realhv/hosts-up.sh
    set +e
    mvn -B -o -Dtest='**/*HypervisorIT' -Dsurefire.failIfNoSpecifiedTests=false -Drealhv.dir="$REALHV_DIR" \
        -Drealhv.prefix="$REALHV_PREFIX" test "$@" > "$REALHV_DIR/e2e.log" 2>&1
    rc=$?
    set -e
    grep -E 'REALHV|Tests run:|FAIL|BUILD' "$REALHV_DIR/e2e.log" || true
    if [ "$rc" -eq 0 ]; then
        if [ "$attempt" -eq 2 ]; then
            echo "e2e-hypervisors: passed (second run, after the guest kernel stall above)"
        else
            echo "e2e-hypervisors: passed"
        fi
        exit 0
    fi
    stall=$(grep -h -m1 -E "$GUEST_STALL" "$REALHV_DIR"/serial/*.log 2>/dev/null \
        || grep -a -h -m1 -o "GUEST-FROZEN: the guest on [a-z0-9]*" "$REALHV_DIR/e2e.log" 2>/dev/null || true)
    if [ "$attempt" -eq 1 ] && [ -n "$stall" ]; then
        echo "e2e-hypervisors: the run failed and the guest's kernel stalled ($stall): running the tier once more" \
            "from fresh hosts; the first run's log and console: $REALHV_DIR/attempt-1/" >&2
        hack/realhv/hosts-down.sh
        rm -rf "$REALHV_DIR/attempt-1" && mkdir -p "$REALHV_DIR/attempt-1"
        mv "$REALHV_DIR/e2e.log" "$REALHV_DIR/serial" "$REALHV_DIR/attempt-1/"
        mkdir -p "$REALHV_DIR/serial"
        continue
    fi
    echo "e2e-hypervisors: FAILED (maven exit $rc; full log: $REALHV_DIR/e2e.log)" >&2
    exit 1
done
