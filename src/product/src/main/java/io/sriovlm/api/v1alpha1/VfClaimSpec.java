package io.sriovlm.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;

/** Who holds a VF and since when. The VF's other facts (attached or not, its MAC) stay in its node's HypervisorNic. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class VfClaimSpec {
    @Required
    @JsonPropertyDescription("Node of the VF.")
    public String node;
    @Required
    @JsonPropertyDescription("PCI address of the VF on that node.")
    public String pciAddress;
    public Integer vfIndex;
    @JsonPropertyDescription("VfPool the VF was reserved from.")
    public String pool;
    @JsonPropertyDescription("Domain the VF is held for.")
    public String vm;
    @JsonPropertyDescription("namespace/name of the migration that reserved the VF.")
    public String migration;
    @JsonPropertyDescription("UID of that migration, so a re-created migration of the same name never inherits the claim.")
    public String migrationUid;
    @JsonPropertyDescription("Reserved while the migration runs; HandedOver once it succeeded (or ran out of time attaching the VF), until the node's inventory tells whether the VF is attached.")
    public State state;
    @JsonPropertyDescription("When the claim entered its state.")
    public String since;

    public enum State {
        Reserved, HandedOver
    }
}
