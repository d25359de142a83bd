package io.sriovlm.operator.placement;

import io.sriovlm.testing.Objects;
import io.fabric8.kubernetes.api.model.Node;
import io.sriovlm.api.v1alpha1.HypervisorNic;
import io.sriovlm.api.v1alpha1.VfClaimSpec;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static io.sriovlm.testing.Objects.claim;
import static io.sriovlm.testing.Objects.nic;
import static io.sriovlm.testing.Objects.node;
import static io.sriovlm.testing.Objects.pool;
import static io.sriovlm.testing.Objects.vfPci;
import static org.assertj.core.api.Assertions.assertThat;

/** Unit: which attached VFs of a pool the ledger cannot account for. */
class VfDriftTest {

    @Test
    void teamedPrimariesAndTheirClaimsAreNoDrift() {
        Map<String, HypervisorNic> nics = Map.of("hv1", nic("hv1", Map.of("vm-01", 0)), "hv2", nic("hv2", Map.of("vm-03", 2)));
        Map<String, Node> nodes = Map.of("hv1", node("hv1"), "hv2", node("hv2"));
        assertThat(VfDrift.of(pool("pool-a"), nics, Objects.inventories(nics), nodes,
                List.of(claim("hv2", 2, "vm-03", "m3", VfClaimSpec.State.HandedOver)))).isEmpty();
    }

    @Test
    void aVfPassedThroughOutsideTeamingAndAVfAttachedToAnotherVmThanItsClaimsAreNamed() {
        HypervisorNic hv1 = nic("hv1", Map.of("vm-01", 0));
        Objects.running(hv1).getStatus().vfs.get(3).attachedTo = "plain";
        Objects.running(hv1).getStatus().vfs.get(3).attachedOutsideTeaming = true;
        HypervisorNic hv2 = nic("hv2", Map.of("vm-03", 2));
        Map<String, Node> nodes = Map.of("hv1", node("hv1"), "hv2", node("hv2"));

        List<String> drift = VfDrift.of(pool("pool-a"), Map.of("hv1", hv1, "hv2", hv2), Objects.inventories(Map.of("hv1", hv1, "hv2", hv2)), nodes,
                List.of(claim("hv2", 2, "vm-07", "m7", VfClaimSpec.State.Reserved)));

        assertThat(drift).containsExactly(
                "VF " + vfPci(3) + " on hv1 is passed through to domain plain outside any teaming pair: sriovlm cannot"
                        + " migrate it; detach it (virsh detach-device) or team it with a standby NIC",
                "VF " + vfPci(2) + " on hv2 is attached to domain vm-03 but held for VM vm-07 by migration default/m7;"
                        + " detach it from vm-03");
        assertThat(VfDrift.of(pool("pool-a"), Map.of("hv1", hv1), Objects.inventories(Map.of("hv1", hv1)), Map.of(), List.of()))
                .as("a node the pool does not cover is not its concern").isEmpty();
    }
}
