package io.sriovlm.operator.placement;

import io.sriovlm.testing.Objects;
import io.fabric8.kubernetes.api.model.Node;
import io.sriovlm.api.v1alpha1.HypervisorNic;
import io.sriovlm.api.v1alpha1.VfClaim;
import io.sriovlm.api.v1alpha1.VfClaimSpec;
import io.sriovlm.api.v1alpha1.VfPool;
import io.sriovlm.api.v1alpha1.Reasons;
import io.sriovlm.operator.placement.TargetSelector.Choice;
import io.sriovlm.operator.placement.TargetSelector.Refusal;
import io.sriovlm.api.v1alpha1.VmInventoryStatus.VfStatus;
import io.sriovlm.common.Timestamps;
import io.sriovlm.common.VfStateSupport;
import io.sriovlm.common.VfStateSupportTest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static io.sriovlm.testing.Objects.NOW;
import static io.sriovlm.testing.Objects.claim;
import static io.sriovlm.testing.Objects.nic;
import static io.sriovlm.testing.Objects.node;
import static io.sriovlm.testing.Objects.pool;
import static io.sriovlm.testing.Objects.vfPci;
import static org.assertj.core.api.Assertions.assertThat;

class TargetSelectorTest {
    private Map<String, HypervisorNic> nics;
    private Map<String, Node> nodes;
    private VfPool pool;
    private final Map<String, Integer> inbound = new HashMap<>();
    private final List<VfClaim> claims = new java.util.ArrayList<>();
    private VfConfigMatch.Expected expected;

    @BeforeEach
    void world() {
        nics = new HashMap<>(Map.of(
                "hv1", nic("hv1", Map.of("vm-01", 0)),
                "hv2", nic("hv2", Map.of("vm-03", 2, "vm-04", 3)),
                "hv3", nic("hv3", Map.of("vm-05", 3))));
        nodes = new HashMap<>(Map.of("hv1", node("hv1"), "hv2", node("hv2"), "hv3", node("hv3")));
        pool = pool("pool-a");
    }

    private TargetSelector.Result select(String requested) {
        return TargetSelector.select(new TargetSelector.Request("vm-01", "meth0", "hv1", requested, List.of(pool),
                VfLedger.of(nics, Objects.inventories(nics), nodes, claims, List.of()), nics, nodes, inbound, 2,
                AgentLiveness.fromStatus(NOW, Duration.ofSeconds(30), Objects::running),
                expected, null));
    }

    private TargetSelector.Result selectVfState(String requested) {
        VfStatus source = new VfStatus();
        source.pciAddress = vfPci(1);
        source.driver = VfStateSupport.VARIANT_DRIVER;
        return TargetSelector.select(new TargetSelector.Request("vm-01", null, "hv1", requested, List.of(pool),
                VfLedger.of(nics, Objects.inventories(nics), nodes, claims, List.of()), nics, nodes, inbound, 2,
                AgentLiveness.fromStatus(NOW, Duration.ofSeconds(30), Objects::running),
                null, null, new TargetSelector.VfStateNeeds(VfStateSupportTest.good(), source)));
    }

    @Test
    void aVfStateMigrationTakesAFreeVariantVfOnAHostThatQualifiesWithTheSource() {
        nics.values().forEach(n -> n.getStatus().vfStateMigration = VfStateSupportTest.good());
        Refusal unbound = (Refusal) selectVfState(null);
        assertThat(unbound.reason()).isEqualTo(Reasons.VF_STATE_NOT_POSSIBLE);
        assertThat(unbound.retryable()).as("binding a driver is a person's job").isFalse();
        assertThat(unbound.message()).contains("hv2: VF-state migration not possible: no free VF bound to mlx5_vfio_pci"
                + " (2 free VF(s) bound to other drivers)");

        Objects.running(nics.get("hv2")).getStatus().vfs.get(1).driver = VfStateSupport.VARIANT_DRIVER;
        Choice choice = (Choice) selectVfState(null);
        assertThat(choice.node()).isEqualTo("hv2");
        assertThat(choice.vfPciAddress()).as("any free variant VF: no SF pairing").isEqualTo(vfPci(1));
        assertThat(choice.bond()).isNull();
        assertThat(choice.reason()).contains("VF " + vfPci(1) + " is bound to mlx5_vfio_pci and free");

        Objects.running(nics.get("hv3")).getStatus().vfs.get(1).driver = VfStateSupport.VARIANT_DRIVER;
        nics.get("hv3").getStatus().vfStateMigration.firmware = "28.40.1000";
        Refusal firmware = (Refusal) selectVfState("hv3");
        assertThat(firmware.reason()).isEqualTo(Reasons.VF_STATE_NOT_POSSIBLE);
        assertThat(firmware.message()).contains("firmware differs: hv1 28.39.1002, hv3 28.40.1000");

        claims.add(claim("hv2", 1, "vm-x", "mx", VfClaimSpec.State.Reserved));
        Refusal taken = (Refusal) selectVfState("hv2");
        assertThat(taken.reason()).isEqualTo(Reasons.POOL_EXHAUSTED);
        assertThat(taken.retryable()).isTrue();
    }

    @Test
    void choosesTheNodeWithMostFreeVfsAndTheVfPairedWithTheVmsSfNetdev() {
        Choice choice = (Choice) select(null);
        assertThat(choice.node()).isEqualTo("hv3");
        assertThat(choice.vfPciAddress()).isEqualTo(vfPci(0));
        assertThat(choice.bond().name).isEqualTo("bond0");
        assertThat(choice.reason()).contains("most free VFs in the pool (3)");
    }

    @Test
    void aNodeWhoseVfIsSetUpDifferentlyIsPassedOverAndWhenAllAreTheMigrationWaitsToldHowToFixThem() {
        VfStatus held = VfConfigMatchTest.vf(0, "52:54:00:00:00:00", 0, true, true, "auto");
        expected = new VfConfigMatch.Expected("vm-01", "52:54:00:00:00:00", null, "hv1", held);
        Objects.running(nics.get("hv3")).getStatus().vfs.get(0).trust = false; // hv3 would win on free VFs
        Objects.running(nics.get("hv2")).getStatus().vfs.get(0).trust = true;

        Choice choice = (Choice) select(null);
        assertThat(choice.node()).isEqualTo("hv2");

        Objects.running(nics.get("hv2")).getStatus().vfs.get(0).adminMac = "52:54:00:99:99:99";
        Refusal refusal = (Refusal) select(null);
        assertThat(refusal.reason()).isEqualTo(Reasons.VF_CONFIG_MISMATCH);
        assertThat(refusal.retryable()).as("the agent clears a MAC left behind; an administrator the rest").isTrue();
        assertThat(refusal.message()).contains("hv2: VF 0 (" + vfPci(0) + ") on hv2 keeps MAC 52:54:00:99:99:99",
                "hv3: VF 0 (" + vfPci(0) + ") on hv3 has trust off, vm-01's VF on hv1 has trust on; run: ip link set dev"
                        + " ens2 vf 0 trust on");

        Objects.running(nics.get("hv2")).getStatus().vfs.get(0).attachedTo = "vm-09"; // hv2 now refused for another reason
        assertThat(((Refusal) select(null)).reason()).as("not only settings: the general reason")
                .isEqualTo(Reasons.NO_TARGET);
    }

    @Test
    void tiesOnFreeVfsGoToTheNodeWithFewerInboundMigrations() {
        nics.put("hv3", nic("hv3", Map.of("vm-05", 3, "vm-06", 2)));
        inbound.put("hv2", 1);
        assertThat(((Choice) select(null)).node()).isEqualTo("hv3");
        inbound.clear();
        inbound.put("hv3", 1);
        assertThat(((Choice) select(null)).node()).isEqualTo("hv2");
    }

    @Test
    void aRequestedTargetIsCheckedTheSameWay() {
        assertThat(((Choice) select("hv2")).node()).isEqualTo("hv2");
        Refusal self = (Refusal) select("hv1");
        assertThat(self.reason()).isEqualTo(Reasons.SOURCE_IS_TARGET);
        assertThat(self.retryable()).isFalse();
        Refusal unknown = (Refusal) select("hv9");
        assertThat(unknown.reason()).isEqualTo(Reasons.TARGET_NOT_FOUND);
        assertThat(unknown.message()).contains("hv9").contains("hv1, hv2, hv3");
    }

    @Test
    void aStaleHeartbeatOrACordonMakesANodeIneligibleButWaitable() {
        Objects.lastReported(nics.get("hv2"), NOW.minusSeconds(120));
        Refusal stale = (Refusal) select("hv2");
        assertThat(stale.reason()).isEqualTo(Reasons.TARGET_NOT_READY);
        assertThat(stale.retryable()).isTrue();
        assertThat(stale.message()).contains("last reported");
        nodes.get("hv3").getSpec().setUnschedulable(true);
        Refusal none = (Refusal) select(null);
        assertThat(none.message()).contains("hv3: node is cordoned");
    }

    @Test
    void aHeldPairedVfMeansThePoolIsExhaustedAndTheMigrationWaits() {
        claims.add(claim("hv2", 0, "vm-x", "mx", VfClaimSpec.State.Reserved));
        claims.add(claim("hv3", 0, "vm-y", "my", VfClaimSpec.State.HandedOver));
        Refusal refusal = (Refusal) select(null);
        assertThat(refusal.reason()).isEqualTo(Reasons.POOL_EXHAUSTED);
        assertThat(refusal.retryable()).isTrue();
        assertThat(refusal.message()).contains("Reserved by default/mx").contains("Allocated by vm-y");
    }

    @Test
    void aNodeWithoutTheSfNetdevIsRejectedForGood() {
        nics.values().forEach(n -> n.getSpec().bonds.removeIf(b -> b.sfNetdev.equals("meth0")));
        Refusal refusal = (Refusal) select(null);
        assertThat(refusal.retryable()).isFalse();
        assertThat(refusal.message()).contains("no bond for SF netdev meth0");
    }

    @Test
    void theInboundLimitIsHonoured() {
        inbound.put("hv2", 2);
        inbound.put("hv3", 2);
        Refusal refusal = (Refusal) select(null);
        assertThat(refusal.retryable()).isTrue();
        assertThat(refusal.message()).contains("inbound limit");
    }

    @Test
    void aVfThePoolDoesNotCoverIsRefusedForGood() {
        pool.getSpec().nodeSelector.put("rack", "r9");
        Refusal refused = (Refusal) select("hv2");
        assertThat(refused.retryable()).isFalse();
        assertThat(refused.message()).contains("is in no VfPool the VM may use");
    }

    @Test
    void aRefusalListsTheFirstRejectionsAndCountsTheRest() {
        // A thousand-node fleet must not write a hundred-kilobyte condition message.
        List<String> rejections = java.util.stream.IntStream.rangeClosed(1, 1000)
                .mapToObj(i -> "hv" + i + ": node is cordoned (spec.unschedulable)").toList();
        String summary = TargetSelector.summary(rejections);
        assertThat(summary).startsWith("hv1: node is cordoned").contains("hv5: ").doesNotContain("hv6: ")
                .endsWith("; and 995 more node(s) rejected");
        assertThat(summary.length()).isLessThan(400);
        assertThat(TargetSelector.summary(rejections.subList(0, 2))).isEqualTo(String.join("; ", rejections.subList(0, 2)));
    }
}
