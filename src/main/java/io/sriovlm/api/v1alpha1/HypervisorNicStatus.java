package io.sriovlm.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;

import java.util.ArrayList;
import java.util.List;

/** What the node agent observed on its host. Written by the agent only. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class HypervisorNicStatus {
    public Long observedGeneration;

    @JsonPropertyDescription("Last time the agent reported (RFC 3339). The operator treats a stale heartbeat as NotReady.")
    public String heartbeatTime;

    @JsonPropertyDescription("libvirt URI other hosts use to migrate a domain to this node.")
    public String migrationUri;

    @JsonPropertyDescription("Number of VFs the agent found on the PF.")
    public Integer totalVfs;

    public List<VfStatus> vfs = new ArrayList<>();
    public List<BondStatus> bonds = new ArrayList<>();
    @JsonPropertyDescription("Teamed libvirt domains running on this node.")
    public List<VmStatus> vms = new ArrayList<>();

    public List<Condition> conditions = new ArrayList<>();

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class VfStatus {
        public Integer index;
        public String pciAddress;
        public String mac;
        public String representor;
        @JsonPropertyDescription("Domain the VF is attached to, if any.")
        public String attachedTo;
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class BondStatus {
        public String name;
        public String sfNetdev;
        public String sfRepresentor;
        public String vfRepresentor;
        public String activeSlave;
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class VmStatus {
        public String name;
        public String state;
        public TeamingSummary teaming;
        public Boolean teamingValid;
        @JsonPropertyDescription("Teaming problems, one per line, when teamingValid is false.")
        public List<String> problems;
    }
}
