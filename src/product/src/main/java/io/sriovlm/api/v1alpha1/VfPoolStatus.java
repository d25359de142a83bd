package io.sriovlm.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;

import java.util.ArrayList;
import java.util.List;

/**
 * The pool's counts and conditions. Who holds which VF is not here: each held VF is a {@link VfClaim}, and the rest
 * is in the nodes' HypervisorNics, so this object stays the same size whatever the fleet (docs/decisions/013).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class VfPoolStatus {
    public Long observedGeneration;
    @JsonPropertyDescription("Nodes that report VFs in this pool.")
    public Integer nodeCount;
    public Integer totalVfs;
    @JsonPropertyDescription("VFs neither attached to a domain nor claimed.")
    public Integer freeVfs;
    @JsonPropertyDescription("VFs claimed by a migration in flight (kubectl get vfclaims).")
    public Integer reservedVfs;
    @JsonPropertyDescription("VFs attached to a domain, or kept for a VM that is being moved away or was just moved in.")
    public Integer allocatedVfs;
    public List<Condition> conditions = new ArrayList<>();
}
