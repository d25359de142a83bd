#!/bin/sh
# Installs the native libraries and tools the tests need and nothing else.
#  - libvirt0: libvirt-java (JNA) loads libvirt.so.0; LibvirtHypervisorTest runs against the test:///default driver,
#    which lives inside that library, so no libvirtd is needed.
#  - openvswitch-switch: OvsProvisioningSandboxTest starts its own ovsdb-server and ovs-vswitchd (userspace datapath,
#    its own sockets in a temp dir); the system's OVS service is never started or used.
#  - openssl: the real control plane's CA and certificates (RealControlPlane, the sandbox on it).
# Idempotent: does nothing (and touches no package index) when everything is already there.
set -eu

need_libvirt=0
need_ovs=0
need_openssl=0
ldconfig -p | grep -q 'libvirt\.so\.0' || need_libvirt=1
{ command -v ovs-vsctl && command -v ovsdb-server && command -v ovs-vswitchd && command -v ovsdb-tool; } >/dev/null 2>&1 \
    || need_ovs=1
command -v openssl >/dev/null 2>&1 || need_openssl=1

if [ "$need_libvirt" -eq 0 ] && [ "$need_ovs" -eq 0 ] && [ "$need_openssl" -eq 0 ]; then
    echo "test dependencies already installed: libvirt.so.0, Open vSwitch ($(ovs-vsctl --version | head -n1)), openssl"
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "missing test dependencies (libvirt0: $need_libvirt, openvswitch-switch: $need_ovs, openssl: $need_openssl);" \
        "run this script as root (it calls apt-get)" >&2
    exit 1
fi

packages=""
[ "$need_libvirt" -eq 1 ] && packages="$packages libvirt0"
[ "$need_ovs" -eq 1 ] && packages="$packages openvswitch-switch"
[ "$need_openssl" -eq 1 ] && packages="$packages openssl"

export DEBIAN_FRONTEND=noninteractive
# Debian's maintainer scripts would start the system OVS service; tests never use it, so keep it off.
policy_added=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    policy_added=1
fi
trap '[ "$policy_added" -eq 1 ] && rm -f /usr/sbin/policy-rc.d' EXIT
apt-get -o DPkg::Lock::Timeout=600 update
# shellcheck disable=SC2086
apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends $packages
ldconfig
ldconfig -p | grep -q 'libvirt\.so\.0' || { echo "libvirt0 installed but libvirt.so.0 still not found" >&2; exit 1; }
command -v ovs-vswitchd >/dev/null || { echo "openvswitch-switch installed but ovs-vswitchd not found" >&2; exit 1; }
echo "installed:$packages"
