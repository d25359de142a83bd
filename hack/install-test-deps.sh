#!/bin/sh
# Installs the native libraries the tests need and nothing else.
#  - libvirt0: libvirt-java (JNA) loads libvirt.so.0; LibvirtHypervisorTest runs against the test:///default driver,
#    which lives inside that library, so no libvirtd is needed.
# Idempotent: does nothing (and touches no package index) when the library is already known to the dynamic linker.
set -eu

if ldconfig -p | grep -q 'libvirt\.so\.0'; then
    echo "libvirt0 already installed: $(ldconfig -p | grep 'libvirt\.so\.0' | head -n1 | sed 's/^[[:space:]]*//')"
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "libvirt.so.0 is missing; run this script as root (it calls apt-get)" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends libvirt0
ldconfig
ldconfig -p | grep -q 'libvirt\.so\.0' || { echo "libvirt0 installed but libvirt.so.0 still not found" >&2; exit 1; }
echo "libvirt0 installed"
