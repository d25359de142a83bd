package io.sriovlm.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;

/** Which node and NIC a {@link VmInventory} describes; set by the agent when it creates it, never changed. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class VmInventorySpec {
    @Required
    @JsonPropertyDescription("The node whose agent reports here.")
    public String nodeName;
    @Required
    @JsonPropertyDescription("The HypervisorNic whose PF's VFs and bonds this inventory reports.")
    public String nic;
}
