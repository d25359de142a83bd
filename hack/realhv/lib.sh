# Shared settings of the real-hypervisor tier (sourced by the hack/realhv scripts; not run on its own).
# Everything lives under target/realhv of this checkout; names carry a prefix so that one tier per machine is
# recognizable (override REALHV_PREFIX to run two checkouts side by side).
REALHV_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
REALHV_DIR="${REALHV_DIR:-$REALHV_ROOT/target/realhv}"
REALHV_PREFIX="${REALHV_PREFIX:-srl}"
NS_HV1="$REALHV_PREFIX-hv1"
NS_HV2="$REALHV_PREFIX-hv2"
NS_CLI="$REALHV_PREFIX-cli"
# host (management + migration) link between hv1 and hv2
HV1_IP=10.231.0.1
HV2_IP=10.231.0.2
# guest LAN: a bridge of the same name in both hosts, joined by a veth; the client sits on hv1's side
GUEST_BRIDGE=rbr0
GUEST_NET=10.232.0
GUEST_IP=$GUEST_NET.10
CLIENT_IP=$GUEST_NET.100
GUEST_MAC=52:54:00:5a:00:10
ECHO_PORT=9999

die() { echo "realhv: $*" >&2; exit 1; }
log() { echo "realhv: $*" >&2; }

host_dir() { echo "$REALHV_DIR/$1"; }
host_sock() { echo "$REALHV_DIR/$1/sock/libvirt-sock"; }
host_uri() { echo "qemu+unix:///system?socket=$(host_sock "$1")"; }

require_root_netns() {
    [ "$(id -u)" -eq 0 ] || die "must run as root (network namespaces, libvirtd, bridges); running as uid $(id -u)"
    command -v ip >/dev/null || die "iproute2 ('ip') is missing"
    ip netns list >/dev/null 2>&1 || die "'ip netns' does not work here: no network namespace support"
    command -v unshare >/dev/null || die "util-linux 'unshare' is missing (needed for the hosts' private mount namespaces)"
}
