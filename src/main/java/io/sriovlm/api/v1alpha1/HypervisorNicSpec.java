package io.sriovlm.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;

import java.util.ArrayList;
import java.util.List;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class HypervisorNicSpec {

    @Required
    @Pattern(ApiPatterns.DNS_SUBDOMAIN)
    @Size(max = 253)
    @JsonPropertyDescription("Node this NIC belongs to; its agent is the only one that reports on it.")
    public String nodeName;

    @Required
    @JsonPropertyDescription("The physical function, by netdev name and/or PCI address.")
    public PhysicalFunction pf;

    @Min(0)
    @Max(256)
    @JsonPropertyDescription("Number of VFs to create (sriov_numvfs).")
    public Integer numVfs;

    @JsonPropertyDescription("E-switch mode; migratable SR-IOV VMs need switchdev.")
    public EswitchMode eswitchMode;

    @JsonPropertyDescription("Enable hw-tc-offload on the PF (ethtool -K).")
    public Boolean hwTcOffload;

    @JsonPropertyDescription("Open vSwitch bridge the bonds join.")
    public OvsBridgeSpec ovs;

    @JsonPropertyDescription("One active-backup bond per SF-representor/VF-representor pair; the SF representor is the primary slave.")
    public List<BondSpec> bonds = new ArrayList<>();

    @JsonPropertyDescription("The NIC is set up by something else: the agent only validates and reports.")
    public Boolean externallyManaged;

    @JsonPropertyDescription("Repair drift (for example a changed active slave) instead of only reporting it.")
    public Boolean repair;

    public enum EswitchMode {
        legacy, switchdev
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class PhysicalFunction {
        @Pattern(ApiPatterns.INTERFACE_NAME)
        public String name;
        @Pattern(ApiPatterns.PCI_ADDRESS)
        public String pciAddress;
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class OvsBridgeSpec {
        @Pattern(ApiPatterns.INTERFACE_NAME)
        public String bridge;
        @Pattern(ApiPatterns.INTERFACE_NAME)
        public String uplink;
        public Boolean hwOffload;
        public String tcPolicy;
        @Min(0)
        public Integer maxIdleMs;
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class BondSpec {
        @Required
        @Pattern(ApiPatterns.INTERFACE_NAME)
        @JsonPropertyDescription("Bond netdev name, e.g. bond0.")
        public String name;
        @Required
        @Pattern(ApiPatterns.INTERFACE_NAME)
        @JsonPropertyDescription("The SF netdev a VM's macvtap standby NIC sits on; the same name on every host.")
        public String sfNetdev;
        @Required
        @Pattern(ApiPatterns.INTERFACE_NAME)
        @JsonPropertyDescription("SF representor: the primary slave, the standby path.")
        public String sfRepresentor;
        @Required
        @Pattern(ApiPatterns.INTERFACE_NAME)
        @JsonPropertyDescription("VF representor: the fast path.")
        public String vfRepresentor;
        @Min(0)
        @Max(255)
        @JsonPropertyDescription("Index of the VF whose representor this is.")
        public Integer vfIndex;
        @Min(0)
        @Max(4094)
        @JsonPropertyDescription("VLAN tag of the bond's OVS port.")
        public Integer vlan;
    }
}
