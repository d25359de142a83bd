package io.sriovlm.testing.host;

import io.sriovlm.api.v1alpha1.ApiPatterns;

/**
 * The names and addresses the fake NIC's kernel gives: VF PCI addresses (from the PF's routing ID), MACs, the
 * e-switch id, and the interface-name rule every netdev of the fake tree obeys.
 */
public final class FakeNicNames {
    private FakeNicNames() {
    }

    /**
     * The PCI address the kernel gives VF {@code index} of the PF: routing ID = PF's + First VF Offset (1) +
     * index × VF Stride (1), shown as bus:slot.function, so VF 0 of 0000:06:00.0 is 0000:06:00.1 and VF 7 is
     * 0000:06:01.0.
     */
    public static String pciAddressOfVf(String pfPci, int index) {
        if (!ApiPatterns.matches(ApiPatterns.PCI_ADDRESS, pfPci)) {
            throw new IllegalArgumentException("not a PCI address: '" + pfPci + "'");
        }
        if (index < 0) {
            throw new IllegalArgumentException("negative VF index " + index);
        }
        int domain = Integer.parseInt(pfPci.substring(0, 4), 16);
        int bus = Integer.parseInt(pfPci.substring(5, 7), 16);
        int slot = Integer.parseInt(pfPci.substring(8, 10), 16);
        int fn = Integer.parseInt(pfPci.substring(11, 12), 16);
        int rid = (bus << 8) | (slot << 3) | fn;
        int vfRid = rid + 1 + index;
        if (vfRid > 0xffff) {
            throw new IllegalArgumentException("VF " + index + " of " + pfPci + " is beyond the last bus");
        }
        return String.format("%04x:%02x:%02x.%x", domain, vfRid >> 8, (vfRid >> 3) & 0x1f, vfRid & 7);
    }

    /** The MAC the tree gives VF {@code index}'s host netdev (locally administered, derived from the PF address). */
    public static String vfMac(String pfPci, int index) {
        String vf = pciAddressOfVf(pfPci, index);
        int bus = Integer.parseInt(vf.substring(5, 7), 16);
        int slot = Integer.parseInt(vf.substring(8, 10), 16);
        int fn = Integer.parseInt(vf.substring(11, 12), 16);
        return String.format("02:00:%02x:%02x:%02x:%02x", bus, slot, fn, index & 0xff);
    }

    static String switchId(String pfPci) {
        return String.format("%016x", (long) pfPci.hashCode() * 0x9E3779B97F4A7C15L);
    }

    static String pfMac(String pfPci) {
        return repMac(pfPci, 0x00, 0);
    }

    /** A representor's (or SF netdev's) MAC: {@code kind} 0x10 for VF representors, 0x20 SF ones, 0x30 SF netdevs. */
    static String repMac(String pfPci, int kind, int index) {
        int bus = Integer.parseInt(pfPci.substring(5, 7), 16);
        int fn = Integer.parseInt(pfPci.substring(11, 12), 16);
        return String.format("0a:00:%02x:%02x:%02x:%02x", bus, fn, kind, index & 0xff);
    }

    static String requireName(String name) {
        if (!ApiPatterns.matches(ApiPatterns.INTERFACE_NAME, name)) {
            throw new IllegalArgumentException("invalid interface name '" + name + "'");
        }
        return name;
    }
}
