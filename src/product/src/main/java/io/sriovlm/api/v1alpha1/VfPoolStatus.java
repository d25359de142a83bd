package io.sriovlm.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;

import java.util.ArrayList;
import java.util.List;

/** The allocation ledger: who holds each VF of the pool. A VF never has two holders. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class VfPoolStatus {
    public Long observedGeneration;
    public Integer totalVfs;
    public Integer freeVfs;
    public List<NodeVfs> nodes = new ArrayList<>();
    public List<Condition> conditions = new ArrayList<>();

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class NodeVfs {
        public String node;
        public Integer total;
        public Integer free;
        public Integer allocated;
        public Integer reserved;
        public List<VfEntry> vfs = new ArrayList<>();
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class VfEntry {
        public String pciAddress;
        public Integer index;
        public VfState state;
        @JsonPropertyDescription("Domain holding the VF (attached, or reserved for it).")
        public String vm;
        @JsonPropertyDescription("namespace/name of the migration that reserved the VF.")
        public String migration;
        @JsonPropertyDescription("UID of that migration, so a re-created migration of the same name never inherits the reservation.")
        public String migrationUid;
        public String since;
    }

    public enum VfState {
        Free, Reserved, Allocated
    }
}
