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

    @JsonPropertyDescription("Sub-functions (the standby path): created with devlink (or mlxdevm), activated, and their netdevs renamed to the bonds' sfNetdev names.")
    public SubFunctionSpec sfs;

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

    /** The tool that creates SFs: upstream devlink, or NVIDIA's mlxdevm (the runbook's create_sf.sh). */
    public enum SfTool {
        devlink, mlxdevm
    }

    /** Where the active-backup bonds live: the kernel's bonding driver (the runbook) or OVS's own bonds. */
    public enum BondBackend {
        kernel, ovs
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class SubFunctionSpec {
        @Min(0)
        @Max(256)
        @JsonPropertyDescription("Number of SFs; the runbook uses one per VF, one SF/VF pair per VM.")
        public Integer count;
        @Min(0)
        @Max(7)
        @JsonPropertyDescription("pfnum of devlink port add (default 0).")
        public Integer pfNum;
        @Min(0)
        @Max(65535)
        @JsonPropertyDescription("sfnum of the first SF; SF i gets sfNumStart+i (default 0).")
        public Integer sfNumStart;
        @JsonPropertyDescription("devlink (default) or mlxdevm.")
        public SfTool tool;
        @Pattern(ApiPatterns.INTERFACE_PREFIX)
        @JsonPropertyDescription("Netdev name prefix for SFs no bond names (prefix + i); bonds' sfNetdev names win.")
        public String netdevPrefix;
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
        @Pattern(ApiPatterns.OVS_TC_POLICY)
        @JsonPropertyDescription("other_config:tc-policy: none, skip_sw or skip_hw (the runbook's 'verbose' is accepted for old OVS).")
        public String tcPolicy;
        @Min(0)
        @JsonPropertyDescription("other_config:max-idle in milliseconds (the runbook uses 100000).")
        public Integer maxIdleMs;
        @JsonPropertyDescription("datapath_type of the bridge: system (default, the kernel datapath) or netdev (userspace).")
        public DatapathType datapathType;
        @JsonPropertyDescription("kernel (default): bonding-driver bonds added as OVS ports; ovs: OVS active-backup bonds of the two representors.")
        public BondBackend bondBackend;
    }

    public enum DatapathType {
        system, netdev
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
        @Max(65535)
        @JsonPropertyDescription("sfnum of the SF whose representor and netdev this bond uses (default: sfs.sfNumStart + the bond's position).")
        public Integer sfNum;
        @Min(0)
        @Max(4094)
        @JsonPropertyDescription("VLAN tag of the bond's OVS port.")
        public Integer vlan;
    }
}
