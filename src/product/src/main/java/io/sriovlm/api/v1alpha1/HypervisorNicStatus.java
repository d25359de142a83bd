package io.sriovlm.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.kubernetes.api.model.Condition;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What the node agent observed of its host's setup: the PF, SFs, bonds, OVS, provisioning, storage pools. What runs on
 * it (VMs, which domain holds each VF, the bonds' active members) changes with every migration and is reported apart,
 * in the node's {@link VmInventory}. Written by the agent only.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class HypervisorNicStatus {
    /** Values of {@code syncStatus}. */
    public static final String SYNC_IN_PROGRESS = "InProgress";
    public static final String SYNC_SUCCEEDED = "Succeeded";
    public static final String SYNC_FAILED = "Failed";

    public Long observedGeneration;

    @JsonPropertyDescription("When the agent observed what this status says (RFC 3339). The operator treats an agent"
            + " whose last word (this, its VmInventory's heartbeatTime or its heartbeat Lease) is stale as NotReady.")
    public String heartbeatTime;

    @Pattern(ApiPatterns.MIGRATION_URI)
    @JsonPropertyDescription("libvirt URI other hosts use to migrate a domain to this node: qemu+tls, qemu+tcp or"
            + " qemu+ssh, a host, an optional port, /system, and no URI parameters.")
    public String migrationUri;

    @JsonPropertyDescription("Number of VFs the agent found on the PF.")
    public Integer totalVfs;

    @JsonPropertyDescription("The bonds of spec.bonds as found; which member each uses now is in the node's VmInventory.")
    public List<BondStatus> bonds = new ArrayList<>();

    @JsonPropertyDescription("Provisioning state, as sriov-network-operator's SriovNetworkNodeState: InProgress, Succeeded or Failed.")
    public String syncStatus;

    @JsonPropertyDescription("The error of the last failed provisioning: step, command (argv) and the command's error.")
    public String lastSyncError;

    @JsonPropertyDescription("metadata.generation of the spec last provisioned successfully; differences after it are drift.")
    public Long syncedGeneration;

    @JsonPropertyDescription("The PF as discovered, with its VFs and their representors (SriovNetworkNodeState's interfaces).")
    public List<InterfaceStatus> interfaces = new ArrayList<>();

    @JsonPropertyDescription("The active storage pools of this node's libvirt: a disk under one of their paths is on"
            + " storage this node sees.")
    public List<StoragePoolStatus> storagePools;

    @JsonPropertyDescription("What VF-state migration (spec.method VfState) needs of this host, as the agent found it.")
    public VfStateHost vfStateMigration;

    @JsonPropertyDescription("Sub-functions found on the PF, with netdev and representor.")
    public List<SfStatus> sfs = new ArrayList<>();

    @JsonPropertyDescription("The OVS bridge as ovs-vsctl reports it.")
    public OvsStatus ovs;

    @JsonPropertyDescription("The provisioning steps of the last run, in the runbook's order, each with its result.")
    public List<StepStatus> steps = new ArrayList<>();

    @JsonPropertyDescription("Differences from the spec found after a successful provisioning (reported; repaired only with spec.repair).")
    public List<String> drift = new ArrayList<>();

    public List<Condition> conditions = new ArrayList<>();

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class InterfaceStatus {
        public String name;
        public String pciAddress;
        public String mac;
        public String driver;
        public Integer numVfs;
        public Integer totalVfs;
        @JsonPropertyDescription("switchdev or legacy, from devlink dev eswitch show.")
        public String eSwitchMode;
        public Boolean hwTcOffload;
        public String switchId;
        @JsonProperty("Vfs")
        public List<InterfaceVf> vfs = new ArrayList<>();
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class InterfaceVf {
        public Integer vfID;
        public String pciAddress;
        public String mac;
        public String name;
        public String representorName;
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class SfStatus {
        public Integer pfNum;
        public Integer sfNum;
        public String netdev;
        public String representor;
        public String state;
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class OvsStatus {
        public String bridge;
        public Boolean reachable;
        public String datapathType;
        public List<OvsPortStatus> ports = new ArrayList<>();
        public Map<String, String> otherConfig;
        @JsonPropertyDescription("Why OVS could not be read, when reachable is false.")
        public String error;
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class OvsPortStatus {
        public String name;
        public Integer tag;
        @JsonPropertyDescription("Members of an OVS bond port (the one in use: the node's VmInventory, status.bonds).")
        public List<String> members;
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class StepStatus {
        /** Values of {@code result}. */
        public static final String UNCHANGED = "Unchanged";
        public static final String APPLIED = "Applied";
        public static final String FAILED = "Failed";
        public static final String NOT_RUN = "NotRun";
        public static final String REFUSED = "Refused";
        public static final String DRIFT = "Drift";
        public static final String VALIDATED = "Validated";
        public static final String DIFFERS = "Differs";

        @JsonPropertyDescription("numVfs, eswitch, hwTcOffload, sfs, renames, bonds, ovs, drift.")
        public String name;
        @JsonPropertyDescription("Unchanged, Applied, Failed, NotRun, Refused, Drift, Validated or Differs.")
        public String result;
        @JsonPropertyDescription("What ran, one argv per entry (sysfs writes as 'write FILE VALUE').")
        public List<String> commands;
        public String message;
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class BondStatus {
        public String name;
        public String sfNetdev;
        @JsonPropertyDescription("Whether the SF netdev exists on the host: the standby path of the VMs on it, which a"
                + " target needs before a migration.")
        public Boolean sfNetdevPresent;
        public String sfRepresentor;
        public String vfRepresentor;
        public String mode;
        public String primary;
        public List<String> slaves;
        @JsonPropertyDescription("kernel or ovs.")
        public String backend;
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class VfStateHost {
        @JsonPropertyDescription("The running kernel's release (uname -r).")
        public String kernel;
        @JsonPropertyDescription("The hypervisor's version as libvirt reports it (QEMU's, e.g. 8.2.0).")
        public String qemu;
        @JsonPropertyDescription("libvirt's version, e.g. 10.0.0.")
        public String libvirt;
        @JsonPropertyDescription("The PF's PCI vendor:device ID, e.g. 15b3:1021 (ConnectX-7).")
        public String nicModel;
        @JsonPropertyDescription("The board's PSID (devlink dev info: fw.psid).")
        public String psid;
        @JsonPropertyDescription("The running firmware version (devlink dev info: fw.version).")
        public String firmware;
        @JsonPropertyDescription("True when this host alone meets VF-state migration's needs (a migration also needs the"
                + " same PSID and firmware on its target, and a VF bound to mlx5_vfio_pci there).")
        public Boolean capable;
        @JsonPropertyDescription("What this host lacks for VF-state migration, one per line, when capable is false.")
        public List<String> problems;
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class StoragePoolStatus {
        public String name;
        @JsonPropertyDescription("libvirt's pool type: dir, fs, netfs, logical, rbd, iscsi...")
        public String type;
        @JsonPropertyDescription("Where its volumes are: the target path, or for network pools the source name.")
        public String path;
    }
}
