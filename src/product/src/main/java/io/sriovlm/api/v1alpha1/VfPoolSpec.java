package io.sriovlm.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;

import java.util.LinkedHashMap;
import java.util.Map;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class VfPoolSpec {

    @JsonPropertyDescription("Labels a node must carry (all of them) for its VFs to be in the pool. Empty selects every node with a HypervisorNic.")
    public Map<String, String> nodeSelector = new LinkedHashMap<>();

    @Pattern(ApiPatterns.INTERFACE_NAME)
    @JsonPropertyDescription("Only VFs of the PF with this netdev name. Empty: every PF of the node's HypervisorNic.")
    public String pfName;

    @Pattern("^[0-9]{1,3}(-[0-9]{1,3})?(,[0-9]{1,3}(-[0-9]{1,3})?)*$")
    @JsonPropertyDescription("VF indices in the pool, e.g. \"0-3\" or \"0,2,4-7\". Empty: every VF.")
    public String vfIndices;

    @JsonPropertyDescription("The method of migrations that set no spec.method and draw from this pool (or from the pools"
            + " of their source node, when those agree): Failover, VfState or Auto. Empty: Failover.")
    public MigrationMethod defaultMethod;
}
