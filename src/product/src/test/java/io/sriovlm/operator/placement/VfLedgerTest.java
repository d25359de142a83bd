package io.sriovlm.operator.placement;

import io.fabric8.kubernetes.api.model.Node;
import io.sriovlm.api.v1alpha1.HypervisorNic;
import io.sriovlm.api.v1alpha1.VfPool;
import io.sriovlm.api.v1alpha1.VfPoolStatus.VfState;
import io.sriovlm.common.Timestamps;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Set;

import static io.sriovlm.testing.Objects.NOW;
import static io.sriovlm.testing.Objects.nic;
import static io.sriovlm.testing.Objects.node;
import static io.sriovlm.testing.Objects.pool;
import static io.sriovlm.testing.Objects.vfPci;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class VfLedgerTest {
    private Map<String, HypervisorNic> nics;
    private Map<String, Node> nodes;
    private VfPool pool;
    private final VfLedger.Holder first = new VfLedger.Holder("vm-01", "default/m1", "uid-1");
    private final VfLedger.Holder second = new VfLedger.Holder("vm-09", "default/m2", "uid-2");

    @BeforeEach
    void world() {
        nics = Map.of("hv1", nic("hv1", Map.of("vm-01", 0)), "hv2", nic("hv2", Map.of("vm-03", 2)));
        nodes = Map.of("hv1", node("hv1"), "hv2", node("hv2"));
        pool = pool("pool-a", nics, nodes);
    }

    @Test
    void inventoryMakesAttachedVfsAllocatedAndTheRestFree() {
        assertThat(pool.getStatus().totalVfs).isEqualTo(8);
        assertThat(pool.getStatus().freeVfs).isEqualTo(6);
        assertThat(VfLedger.find(pool.getStatus(), "hv2", vfPci(2)).orElseThrow().state).isEqualTo(VfState.Allocated);
        assertThat(VfLedger.find(pool.getStatus(), "hv2", vfPci(2)).orElseThrow().vm).isEqualTo("vm-03");
    }

    @Test
    void aVfHasOneHolderAndReservingItAgainForTheSameMigrationChangesNothing() {
        VfLedger.reserve(pool.getStatus(), "hv2", vfPci(0), first, NOW);
        VfLedger.reserve(pool.getStatus(), "hv2", vfPci(0), first, NOW);
        assertThat(pool.getStatus().freeVfs).isEqualTo(5);
        assertThatThrownBy(() -> VfLedger.reserve(pool.getStatus(), "hv2", vfPci(0), second, NOW))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("Reserved by default/m1");
        assertThatThrownBy(() -> VfLedger.reserve(pool.getStatus(), "hv2", vfPci(2), second, NOW))
                .hasMessageContaining("Allocated by vm-03");
    }

    @Test
    void releaseFreesAfterFailureAndHandsTheVfToTheVmAfterSuccess() {
        VfLedger.reserve(pool.getStatus(), "hv2", vfPci(0), first, NOW);
        assertThat(VfLedger.release(pool.getStatus(), "uid-1", false, NOW)).isTrue();
        assertThat(VfLedger.isFree(pool.getStatus(), "hv2", vfPci(0))).isTrue();
        assertThat(VfLedger.release(pool.getStatus(), "uid-1", false, NOW)).isFalse();

        VfLedger.reserve(pool.getStatus(), "hv2", vfPci(0), first, NOW);
        VfLedger.release(pool.getStatus(), "uid-1", true, NOW);
        var entry = VfLedger.find(pool.getStatus(), "hv2", vfPci(0)).orElseThrow();
        assertThat(entry.state).isEqualTo(VfState.Allocated);
        assertThat(entry.vm).isEqualTo("vm-01");
        assertThat(entry.migrationUid).isNull();
    }

    @Test
    void recomputeKeepsLiveReservationsAndDropsThoseOfFinishedMigrations() {
        VfLedger.reserve(pool.getStatus(), "hv2", vfPci(0), first, NOW);
        VfLedger.reserve(pool.getStatus(), "hv2", vfPci(1), second, NOW);
        var next = VfLedger.recompute(pool, nics, nodes, Set.of("uid-1"), NOW);
        assertThat(VfLedger.find(next, "hv2", vfPci(0)).orElseThrow().state).isEqualTo(VfState.Reserved);
        assertThat(VfLedger.find(next, "hv2", vfPci(1)).orElseThrow().state).isEqualTo(VfState.Free);
    }

    @Test
    void anInventoryOlderThanAHandOverDoesNotFreeTheVf() {
        VfLedger.reserve(pool.getStatus(), "hv2", vfPci(0), first, NOW);
        VfLedger.release(pool.getStatus(), "uid-1", true, NOW);
        // hv2's last report (NOW-1s) predates the hand-over: the VF stays with vm-01.
        var next = VfLedger.recompute(pool, nics, nodes, Set.of(), NOW);
        assertThat(VfLedger.find(next, "hv2", vfPci(0)).orElseThrow().state).isEqualTo(VfState.Allocated);
        // A report taken after it that shows the VF unattached frees it.
        nics.get("hv2").getStatus().heartbeatTime = Timestamps.format(NOW.plusSeconds(5));
        pool.setStatus(next);
        var later = VfLedger.recompute(pool, nics, nodes, Set.of(), NOW.plusSeconds(5));
        assertThat(VfLedger.find(later, "hv2", vfPci(0)).orElseThrow().state).isEqualTo(VfState.Free);
    }

    @Test
    void poolsSelectNodesByLabelsAndVfsByIndex() {
        pool.getSpec().nodeSelector = Map.of("kubernetes.io/hostname", "hv2");
        pool.getSpec().vfIndices = "0-1,3";
        var next = VfLedger.recompute(pool, nics, nodes, Set.of(), NOW);
        assertThat(next.nodes).extracting(n -> n.node).containsExactly("hv2");
        assertThat(next.nodes.get(0).vfs).extracting(v -> v.index).containsExactly(0, 1, 3);
        assertThat(PoolMembership.parseIndices("0-2,5")).containsExactly(0, 1, 2, 5);
    }

    private static VfLedger.LiveMigration live(String uid, io.sriovlm.api.v1alpha1.MigrationPhase phase, String vm) {
        return new VfLedger.LiveMigration(uid, phase, vm, "hv1", vfPci(0));
    }

    @Test
    void aReservationWhoseVmWasDeletedBeforeTheSourceWasTouchedIsCollected() {
        VfLedger.reserve(pool.getStatus(), "hv2", vfPci(0), first, NOW);
        var withoutVm = Map.of("hv1", nic("hv1", Map.of()), "hv2", nics.get("hv2"));
        var next = VfLedger.recompute(pool, withoutVm, nodes,
                java.util.List.of(live("uid-1", io.sriovlm.api.v1alpha1.MigrationPhase.Preparing, "vm-01")), NOW);
        assertThat(VfLedger.reservationOf(next, "uid-1")).isEmpty();
        assertThat(VfLedger.isFree(next, "hv2", vfPci(0))).isTrue();
        // While the VM is still reported the lease stays.
        var kept = VfLedger.recompute(pool, nics, nodes,
                java.util.List.of(live("uid-1", io.sriovlm.api.v1alpha1.MigrationPhase.Preparing, "vm-01")), NOW);
        assertThat(VfLedger.reservationOf(kept, "uid-1")).isPresent();
    }

    @Test
    void aMigrationThatMayRollBackKeepsItsReservationAndItsDetachedSourceVf() {
        VfLedger.reserve(pool.getStatus(), "hv2", vfPci(0), first, NOW);
        // vm-01 is between hosts: no agent reports it, its source VF is detached.
        var between = Map.of("hv1", nic("hv1", Map.of()), "hv2", nics.get("hv2"));
        var next = VfLedger.recompute(pool, between, nodes,
                java.util.List.of(live("uid-1", io.sriovlm.api.v1alpha1.MigrationPhase.Migrating, "vm-01")), NOW);
        assertThat(VfLedger.reservationOf(next, "uid-1")).isPresent();
        var source = VfLedger.find(next, "hv1", vfPci(0)).orElseThrow();
        assertThat(source.state).isEqualTo(VfState.Allocated);
        assertThat(source.vm).isEqualTo("vm-01");
    }

    @Test
    void aRemovedNodeTakesItsReservationsWithIt() {
        VfLedger.reserve(pool.getStatus(), "hv2", vfPci(0), first, NOW);
        var next = VfLedger.recompute(pool, Map.of("hv1", nics.get("hv1")), Map.of("hv1", nodes.get("hv1")),
                java.util.List.of(live("uid-1", io.sriovlm.api.v1alpha1.MigrationPhase.Preparing, "vm-01")), NOW);
        assertThat(VfLedger.reservationOf(next, "uid-1")).isEmpty();
        assertThat(next.nodes).extracting(n -> n.node).containsExactly("hv1");
        // A node whose HypervisorNic is still there but whose Node object is gone drops out the same way.
        var nodeGone = VfLedger.recompute(pool, nics, Map.of("hv1", nodes.get("hv1")),
                java.util.List.of(live("uid-1", io.sriovlm.api.v1alpha1.MigrationPhase.Preparing, "vm-01")), NOW);
        assertThat(VfLedger.reservationOf(nodeGone, "uid-1")).isEmpty();
    }
}
