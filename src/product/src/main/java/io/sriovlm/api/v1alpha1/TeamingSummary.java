package io.sriovlm.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;

/** The teaming pair of a VM: the virtio standby NIC and the VF it is teamed with. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class TeamingSummary {
    /** The MAC both NICs share. */
    public String mac;
    /** Alias of the persistent (virtio) NIC, "ua-..." */
    public String standbyAlias;
    /** The netdev the macvtap standby NIC sits on (an SF netdev, same name on every host). */
    public String standbyDevice;
    /** Alias of the transient (VF) NIC, when attached. */
    public String primaryAlias;
    /** PCI address of the VF, when attached. */
    public String primaryPciAddress;
    /** The VLAN tag of the VF interface in the domain XML, which libvirt sets on the VF; re-used for the target's VF. */
    public Integer primaryVlan;
}
