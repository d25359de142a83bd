package io.sriovlm.agent.libvirt;

import io.sriovlm.api.v1alpha1.ApiPatterns;

import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A primary NIC for hosts without VFIO (the real-hypervisor test tier): an emulated PCIe NIC ({@code e1000e}) on a
 * bridge, with the VM's MAC, so that the guest's net_failover enslaves it as the primary exactly as it would a VF. The
 * alias encodes the VF it stands for: VF {@code 0000:06:00.1} → {@code ua-vf-0000-06-00-1}.
 *
 * <p>It carries no {@code <teaming>} element: libvirt 9.0's qemu driver refuses {@code <teaming type='transient'>} on
 * anything but {@code type='hostdev'} ("virtio-net teaming transient interface must be type='hostdev', not
 * 'bridge'"). So QEMU does not know the pair (no automatic unplug on migration): the stand-in supports the Explicit
 * handoff only, which is the agent's default. See docs/real-hypervisors.md for what it proves and what it does not.
 */
public final class EmulatedVfStandIn implements PrimaryDevice {

    public static final String MODEL = "e1000e";
    private static final Pattern ALIAS = Pattern.compile(
            "^ua-vf-([0-9a-f]{4})-([0-9a-f]{2})-([0-9a-f]{2})-([0-7])$");

    private final String bridge;

    /** @param bridge the host bridge the stand-in's tap joins (the same name on every host) */
    public EmulatedVfStandIn(String bridge) {
        if (!ApiPatterns.matches(ApiPatterns.INTERFACE_NAME, bridge)) {
            throw new IllegalArgumentException("bridge '" + bridge + "' is not a valid interface name");
        }
        this.bridge = bridge;
    }

    /** The alias that names VF {@code vfPciAddress} ({@code 0000:06:00.1} → {@code ua-vf-0000-06-00-1}). */
    public static String aliasFor(String vfPciAddress) {
        if (!ApiPatterns.matches(ApiPatterns.PCI_ADDRESS, vfPciAddress)) {
            throw new IllegalArgumentException("VF PCI address '" + vfPciAddress + "' is invalid");
        }
        return "ua-vf-" + vfPciAddress.toLowerCase(Locale.ROOT).replace(':', '-').replace('.', '-');
    }

    /** The VF an alias names, or empty when it is not a stand-in alias. */
    public static Optional<String> vfOf(String alias) {
        Matcher m = alias == null ? null : ALIAS.matcher(alias);
        if (m == null || !m.matches()) {
            return Optional.empty();
        }
        return Optional.of(m.group(1) + ":" + m.group(2) + ":" + m.group(3) + "." + m.group(4));
    }

    /** The alias argument is ignored: the stand-in's alias must name its VF, or it would not be recognized again. */
    @Override
    public String deviceXml(String mac, String vfPciAddress, String persistentAlias, String alias) {
        return TeamingXml.bridgeNic(mac, bridge, MODEL, aliasFor(vfPciAddress));
    }

    @Override
    public Optional<String> standsInFor(String interfaceType, String modelType, String alias) {
        if (!"bridge".equals(interfaceType) || !MODEL.equals(modelType)) {
            return Optional.empty();
        }
        return vfOf(alias);
    }

    @Override
    public String toString() {
        return "emulated " + MODEL + " VF stand-in on bridge " + bridge;
    }
}
