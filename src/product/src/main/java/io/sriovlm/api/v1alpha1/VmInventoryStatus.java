package io.sriovlm.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

import java.util.ArrayList;
import java.util.List;

/**
 * What the node agent observed running on its host, at {@link #heartbeatTime}: everything of a node that a migration
 * changes. Written by the agent only.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class VmInventoryStatus {
    @JsonPropertyDescription("When the agent observed what this status says (RFC 3339); its heartbeat Lease says when it"
            + " last found it unchanged.")
    public String heartbeatTime;

    @JsonPropertyDescription("The running libvirt domains, teamed or not.")
    public List<VmStatus> vms = new ArrayList<>();

    @JsonPropertyDescription("The PF's VFs: which domain holds each and their settings on the PF.")
    public List<VfStatus> vfs = new ArrayList<>();

    @JsonPropertyDescription("The member each bond of its HypervisorNic's spec.bonds uses now: the VF representor"
            + " (fast path) or the SF's (standby, during a migration).")
    public List<BondPath> bonds = new ArrayList<>();

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class BondPath {
        public String name;
        public String activeSlave;
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class VfStatus {
        /** The {@link #adminMac} of a VF that no administrator or libvirt gave a MAC. */
        public static final String NO_MAC = "00:00:00:00:00:00";

        public Integer index;
        public String pciAddress;
        public String mac;
        public String representor;
        @JsonPropertyDescription("Domain the VF is attached to, if any.")
        public String attachedTo;
        @JsonPropertyDescription("True when the VF is passed through to attachedTo but is not its teamed primary (a plain"
                + " hostdev, or a hostdev NIC without transient teaming): in use, and outside what sriovlm can migrate.")
        public Boolean attachedOutsideTeaming;
        @JsonPropertyDescription("The VF's administrative MAC on the PF (ip link's vf N mac); 00:00:00:00:00:00 when none is set.")
        public String adminMac;
        @JsonPropertyDescription("The VF's VLAN on the PF; 0 for none.")
        public Integer vlan;
        @JsonPropertyDescription("Whether the PF drops frames the VF sends from another source MAC.")
        public Boolean spoofCheck;
        @JsonPropertyDescription("Whether the VF is trusted (may change its MAC, enter promiscuous mode).")
        public Boolean trust;
        @JsonPropertyDescription("The VF's link state on the PF: auto, enable or disable.")
        public String linkState;
        @JsonPropertyDescription("The kernel driver the VF is bound to (vfio-pci, mlx5_vfio_pci, mlx5_core...), when bound.")
        public String driver;
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class VmStatus {
        public String name;
        public String state;
        public TeamingSummary teaming;
        public Boolean teamingValid;
        @JsonPropertyDescription("Whether net_failover is active in the guest, as QEMU reports the standby NIC's"
                + " VIRTIO_NET_F_STANDBY feature: Negotiated, NotNegotiated or NotOffered; absent when the hypervisor"
                + " cannot tell.")
        public GuestFailover guestFailover;
        @JsonPropertyDescription("The domain's disks that have a source, as its live XML names them.")
        public List<DiskStatus> disks;
        @JsonPropertyDescription("Teaming problems, one per line, when teamingValid is false.")
        public List<String> problems;
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class DiskStatus {
        @JsonPropertyDescription("The guest's device name (target dev), e.g. vda.")
        public String target;
        @JsonPropertyDescription("libvirt's disk type: file, block, network or volume.")
        public String type;
        @JsonPropertyDescription("The file or device path, the network image name (e.g. pool/image for rbd), or pool/volume.")
        public String source;
    }
}
