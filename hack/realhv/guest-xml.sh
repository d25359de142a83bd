#!/usr/bin/env bash
# Prints the test guest's domain XML: TCG (type='qemu'), q35, 256 MiB, direct kernel boot of the unpacked Debian kernel
# and our initramfs, serial console to target/realhv/serial/NAME.log (the same path on both hosts, so the log continues
# across a migration), and the teaming standby: a virtio NIC with <teaming type='persistent'/> on the guest bridge.
# Two spare pcie-root-ports take the hot-plugged VF stand-in (q35 hot-plugs only into a free root port).
# Usage: guest-xml.sh [NAME]
set -euo pipefail
. "$(dirname "$0")/lib.sh"
name=${1:-teamvm}
G="$REALHV_DIR/guest"
mkdir -p "$REALHV_DIR/serial"
cat <<EOX
<domain type='qemu'>
  <name>$name</name>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='q35'>hvm</type>
    <kernel>$G/vmlinuz</kernel>
    <initrd>$G/initrd.gz</initrd>
    <cmdline>console=ttyS0 panic=-1 quiet gip=$GUEST_IP/24 gport=$ECHO_PORT</cmdline>
  </os>
  <features><acpi/><apic/></features>
  <on_poweroff>destroy</on_poweroff>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <controller type='pci' model='pcie-root'/>
    <controller type='pci' model='pcie-root-port'/>
    <controller type='pci' model='pcie-root-port'/>
    <controller type='pci' model='pcie-root-port'/>
    <serial type='file'><source path='$REALHV_DIR/serial/$name.log' append='on'/><target port='0'/></serial>
    <console type='file'><source path='$REALHV_DIR/serial/$name.log' append='on'/><target type='serial' port='0'/></console>
    <memballoon model='none'/>
    <interface type='bridge'>
      <source bridge='$GUEST_BRIDGE'/>
      <mac address='$GUEST_MAC'/>
      <model type='virtio'/>
      <teaming type='persistent'/>
      <alias name='ua-net0'/>
    </interface>
  </devices>
</domain>
EOX
