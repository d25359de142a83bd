package io.sriovlm.agent.libvirt;

import io.sriovlm.api.v1alpha1.TeamingSummary;

import java.util.List;

/**
 * What {@link TeamingXml#inspect} found in a domain XML: the teaming pair (virtio standby NIC + VF primary), and every
 * reason the domain cannot be migrated the runbooks' way. {@code valid} is true exactly when {@code problems} is empty.
 *
 * @param mac               the MAC of the persistent (standby) NIC
 * @param standbyAlias      alias of the persistent NIC ({@code ua-...})
 * @param standbyDevice     the macvtap source netdev (type direct) or the bridge name (type bridge)
 * @param standbyLinkUp     false only when the standby NIC has {@code <link state='down'/>}
 * @param standbyXml        the persistent {@code <interface>} element as it is in the XML (for updateDevice)
 * @param primaryAlias      alias of the transient VF interface, when one is attached
 * @param primaryPciAddress the VF's host PCI address in kernel form ({@code 0000:06:00.3}), when attached
 * @param primaryXml        the transient {@code <interface type='hostdev'>} element (for detachDevice), or null
 * @param blockingHostdevs  PCI/USB passthrough devices that are not the teamed VF: they block live migration
 * @param primaryVlan       the VLAN tag the VF interface carries ({@code <vlan><tag id/>}), which libvirt sets on the VF
 */
public record TeamingReport(boolean valid, List<String> problems, String mac, String standbyAlias,
        String standbyDevice, boolean standbyLinkUp, String standbyXml, String primaryAlias,
        String primaryPciAddress, String primaryXml, List<String> blockingHostdevs, Integer primaryVlan) {

    public TeamingReport {
        problems = problems == null ? List.of() : List.copyOf(problems);
        blockingHostdevs = blockingHostdevs == null ? List.of() : List.copyOf(blockingHostdevs);
    }

    /** True when the VF is in the guest; false while the VM is on its standby path (VF detached), which is valid. */
    public boolean primaryAttached() {
        return primaryXml != null;
    }

    /** The API's view of the pair, for {@code status}. */
    public TeamingSummary toSummary() {
        TeamingSummary summary = new TeamingSummary();
        summary.mac = mac;
        summary.standbyAlias = standbyAlias;
        summary.standbyDevice = standbyDevice;
        summary.primaryAlias = primaryAlias;
        summary.primaryPciAddress = primaryPciAddress;
        summary.primaryVlan = primaryVlan;
        return summary;
    }
}
