package io.sriovlm.operator.placement;

import io.sriovlm.testing.Objects;
import io.fabric8.kubernetes.api.model.Node;
import io.sriovlm.api.v1alpha1.HypervisorNic;
import io.sriovlm.api.v1alpha1.MigrationPhase;
import io.sriovlm.api.v1alpha1.VfClaim;
import io.sriovlm.api.v1alpha1.VfClaimSpec;
import io.sriovlm.api.v1alpha1.VfPool;
import io.sriovlm.common.Timestamps;
import io.sriovlm.operator.placement.VfLedger.State;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static io.sriovlm.testing.Objects.NOW;
import static io.sriovlm.testing.Objects.claim;
import static io.sriovlm.testing.Objects.migration;
import static io.sriovlm.testing.Objects.nic;
import static io.sriovlm.testing.Objects.node;
import static io.sriovlm.testing.Objects.pool;
import static io.sriovlm.testing.Objects.vfPci;
import static org.assertj.core.api.Assertions.assertThat;

class VfLedgerTest {
    private Map<String, HypervisorNic> nics;
    private Map<String, Node> nodes;
    private VfPool pool;

    @BeforeEach
    void world() {
        nics = Map.of("hv1", nic("hv1", Map.of("vm-01", 0)), "hv2", nic("hv2", Map.of("vm-03", 2)));
        nodes = Map.of("hv1", node("hv1"), "hv2", node("hv2"));
        pool = pool("pool-a");
    }

    private VfLedger ledger(List<VfClaim> claims, List<VfLedger.LiveMigration> live) {
        return VfLedger.of(nics, Objects.inventories(nics), nodes, claims, live);
    }

    private State stateOf(VfLedger ledger, String node, int vf) {
        return ledger.find(pool, node, vfPci(vf)).orElseThrow().state();
    }

    @Test
    void inventoryMakesAttachedVfsAllocatedAndTheRestFree() {
        VfLedger ledger = ledger(List.of(), List.of());
        assertThat(ledger.counts(pool)).isEqualTo(new VfLedger.Counts(2, 8, 6, 0, 2));
        VfLedger.Entry attached = ledger.find(pool, "hv2", vfPci(2)).orElseThrow();
        assertThat(attached.state()).isEqualTo(State.Allocated);
        assertThat(attached.vm()).isEqualTo("vm-03");
        assertThat(ledger.freeCount(pool, "hv2")).isEqualTo(3);
    }

    @Test
    void aClaimReservesItsVfForItsMigrationOnly() {
        VfLedger ledger = ledger(List.of(claim("hv2", 0, "vm-01", "uid-1", VfClaimSpec.State.Reserved)), List.of());
        VfLedger.Entry reserved = ledger.find(pool, "hv2", vfPci(0)).orElseThrow();
        assertThat(reserved.state()).isEqualTo(State.Reserved);
        assertThat(reserved.holder()).isEqualTo("default/uid-1");
        assertThat(ledger.reservationOf("uid-1")).map(c -> c.pciAddress).contains(vfPci(0));
        assertThat(ledger.reservationOf("uid-2")).isEmpty();
        assertThat(ledger.counts(pool)).isEqualTo(new VfLedger.Counts(2, 8, 5, 1, 2));
    }

    @Test
    void theClaimNameIsTheVfSoASecondHolderCollidesWithTheFirst() {
        // The API server refuses a second object of one name: this is what makes a VF's holder unique.
        assertThat(claim("hv2", 0, "vm-01", "uid-1", VfClaimSpec.State.Reserved).getMetadata().getName())
                .isEqualTo(claim("hv2", 0, "vm-09", "uid-2", VfClaimSpec.State.Reserved).getMetadata().getName())
                .isEqualTo("hv2.0000-06-00.1");
        assertThat(VfClaim.nameFor("hv2", vfPci(1))).isNotEqualTo(VfClaim.nameFor("hv1", vfPci(1)));
    }

    @Test
    void aHandedOverClaimKeepsTheVfWithItsVmUntilTheInventoryIsNewer() {
        VfClaim handedOver = claim("hv2", 0, "vm-01", "uid-1", VfClaimSpec.State.HandedOver);
        VfLedger ledger = ledger(List.of(handedOver), List.of());
        VfLedger.Entry entry = ledger.find(pool, "hv2", vfPci(0)).orElseThrow();
        assertThat(entry.state()).isEqualTo(State.Allocated);
        assertThat(entry.vm()).isEqualTo("vm-01");
        assertThat(ledger.reservationOf("uid-1")).as("a hand-over is no reservation").isEmpty();
        // hv2's last report (NOW-1s) predates the hand-over (NOW): the claim stays.
        assertThat(VfLedger.fateOf(handedOver.getSpec(), null, nics.get("hv2"), reported(nics.get("hv2")), nodes.get("hv2"), Set.of()))
                .isInstanceOf(VfLedger.Keep.class);
        // The agent's heartbeat Lease, renewed after it, says the unchanged inventory still holds: the claim goes.
        Instant renewed = AgentLiveness.lastReport(nics.get("hv2"), Objects.running(nics.get("hv2")),
                renewed("hv2", NOW.plusSeconds(5), NOW.minusSeconds(1), NOW.minusSeconds(1)));
        assertThat(renewed).isEqualTo(NOW.plusSeconds(5));
        assertThat(VfLedger.fateOf(handedOver.getSpec(), null, nics.get("hv2"), renewed, nodes.get("hv2"), Set.of()))
                .isInstanceOf(VfLedger.Release.class);
        // So does a report of what runs taken after it.
        Objects.running(nics.get("hv2")).getStatus().heartbeatTime = Timestamps.format(NOW.plusSeconds(5));
        assertThat(VfLedger.fateOf(handedOver.getSpec(), null, nics.get("hv2"), reported(nics.get("hv2")),
                nodes.get("hv2"), Set.of())).isInstanceOf(VfLedger.Release.class);
    }

    @Test
    void aRenewalOfAStatusNotYetSeenDoesNotReleaseAHandedOverClaim() {
        VfClaim handedOver = claim("hv2", 0, "vm-01", "uid-1", VfClaimSpec.State.HandedOver);
        // The agent wrote its VmInventory at NOW+1s (showing vm-01's VF attached), then renewed its Lease at NOW+5s
        // vouching for it; the Lease event arrived first and the cache still holds the inventory of NOW-1s, without
        // the arrival.
        Instant asOf = AgentLiveness.lastReport(nics.get("hv2"), Objects.running(nics.get("hv2")),
                renewed("hv2", NOW.plusSeconds(5), NOW.minusSeconds(1), NOW.plusSeconds(1)));
        assertThat(asOf).as("the renewal speaks for a status the operator has not seen").isEqualTo(NOW.minusSeconds(1));
        assertThat(VfLedger.fateOf(handedOver.getSpec(), null, nics.get("hv2"), asOf, nodes.get("hv2"), Set.of()))
                .isInstanceOf(VfLedger.Keep.class);
        // Once the inventory it vouches for is in the cache, the renewal counts.
        Objects.running(nics.get("hv2")).getStatus().heartbeatTime = Timestamps.format(NOW.plusSeconds(1));
        assertThat(AgentLiveness.lastReport(nics.get("hv2"), Objects.running(nics.get("hv2")),
                renewed("hv2", NOW.plusSeconds(5), NOW.minusSeconds(1), NOW.plusSeconds(1))))
                .isEqualTo(NOW.plusSeconds(5));
    }

    /** The time of the node's last report, from its status alone. */
    private static Instant reported(HypervisorNic nic) {
        return AgentLiveness.lastReport(nic, nic == null ? null : Objects.running(nic), AgentLiveness.Renewals.NONE);
    }

    @Test
    void aReservationLivesAsLongAsItsMigration() {
        VfClaimSpec claim = claim("hv2", 0, "vm-01", "uid-1", VfClaimSpec.State.Reserved).getSpec();
        Set<String> vms = Set.of("vm-01", "vm-03");
        var preparing = migration("m1", "vm-01", MigrationPhase.Preparing);
        assertThat(VfLedger.fateOf(claim, preparing, nics.get("hv2"), reported(nics.get("hv2")), nodes.get("hv2"), vms))
                .isInstanceOf(VfLedger.Keep.class);
        assertThat(VfLedger.fateOf(claim, migration("m1", "vm-01", MigrationPhase.Succeeded), nics.get("hv2"), reported(nics.get("hv2")),
                nodes.get("hv2"), vms)).isInstanceOf(VfLedger.HandOver.class);
        assertThat(VfLedger.fateOf(claim, migration("m1", "vm-01", MigrationPhase.RolledBack), nics.get("hv2"), reported(nics.get("hv2")),
                nodes.get("hv2"), vms)).isEqualTo(new VfLedger.Release("migration default/uid-1 ended RolledBack", false));
        // Out of time attaching the VF: the agent may have attached it anyway; the node's inventory will tell.
        var outOfTime = migration("m1", "vm-01", MigrationPhase.Failed);
        outOfTime.getStatus().failureReason = io.sriovlm.api.v1alpha1.Reasons.FAST_PATH_NOT_RESTORED;
        assertThat(VfLedger.fateOf(claim, outOfTime, nics.get("hv2"), reported(nics.get("hv2")), nodes.get("hv2"), vms))
                .isInstanceOf(VfLedger.HandOver.class);
        var notPrepared = migration("m1", "vm-01", MigrationPhase.Failed);
        notPrepared.getStatus().failureReason = io.sriovlm.api.v1alpha1.Reasons.TARGET_NOT_PREPARED;
        assertThat(VfLedger.fateOf(claim, notPrepared, nics.get("hv2"), reported(nics.get("hv2")), nodes.get("hv2"),
                vms)).isInstanceOf(VfLedger.Release.class);
        // Not in view: released only once the API confirms the migration is gone (holderGone).
        assertThat(VfLedger.fateOf(claim, null, nics.get("hv2"), reported(nics.get("hv2")), nodes.get("hv2"), vms))
                .isEqualTo(new VfLedger.Release("migration default/uid-1 is gone", true));
    }

    @Test
    void aReservationWhoseVmWasDeletedBeforeTheSourceWasTouchedIsCollected() {
        VfClaimSpec claim = claim("hv2", 0, "vm-01", "uid-1", VfClaimSpec.State.Reserved).getSpec();
        var preparing = migration("m1", "vm-01", MigrationPhase.Preparing);
        assertThat(VfLedger.fateOf(claim, preparing, nics.get("hv2"), reported(nics.get("hv2")), nodes.get("hv2"), Set.of("vm-03")))
                .isInstanceOf(VfLedger.Release.class);
        // Once the source is touched the VM is between hosts, unreported on purpose: the claim stays.
        var migrating = migration("m1", "vm-01", MigrationPhase.Migrating);
        assertThat(VfLedger.fateOf(claim, migrating, nics.get("hv2"), reported(nics.get("hv2")), nodes.get("hv2"), Set.of("vm-03")))
                .isInstanceOf(VfLedger.Keep.class);
    }

    @Test
    void aRemovedNodeTakesItsClaimsWithIt() {
        VfClaimSpec claim = claim("hv2", 0, "vm-01", "uid-1", VfClaimSpec.State.Reserved).getSpec();
        var preparing = migration("m1", "vm-01", MigrationPhase.Preparing);
        assertThat(VfLedger.fateOf(claim, preparing, null, reported(null), nodes.get("hv2"), Set.of("vm-01")))
                .isInstanceOf(VfLedger.Release.class);
        assertThat(VfLedger.fateOf(claim, preparing, nics.get("hv2"), reported(nics.get("hv2")), null, Set.of("vm-01")))
                .isInstanceOf(VfLedger.Release.class);
        // And the node drops out of the pool's counts.
        nodes = Map.of("hv1", nodes.get("hv1"));
        assertThat(ledger(List.of(), List.of()).counts(pool).nodes()).isEqualTo(1);
        assertThat(ledger(List.of(), List.of()).find(pool, "hv2", vfPci(0))).isEmpty();
    }

    @Test
    void aMigrationThatMayRollBackKeepsItsDetachedSourceVf() {
        // vm-01 is between hosts: no agent reports it, its source VF is detached.
        nics = Map.of("hv1", nic("hv1", Map.of()), "hv2", nics.get("hv2"));
        var migrating = new VfLedger.LiveMigration("uid-1", MigrationPhase.Migrating, "vm-01", "hv1", vfPci(0));
        VfLedger.Entry source = ledger(List.of(), List.of(migrating)).find(pool, "hv1", vfPci(0)).orElseThrow();
        assertThat(source.state()).isEqualTo(State.Allocated);
        assertThat(source.vm()).isEqualTo("vm-01");
        // Once libvirt has moved it (RestoringFastPath) the source VF is free for the next VM.
        var restoring = new VfLedger.LiveMigration("uid-1", MigrationPhase.RestoringFastPath, "vm-01", "hv1", vfPci(0));
        assertThat(stateOf(ledger(List.of(), List.of(restoring)), "hv1", 0)).isEqualTo(State.Free);
    }

    @Test
    void poolsSelectNodesByLabelsAndVfsByIndex() {
        pool.getSpec().nodeSelector = Map.of("kubernetes.io/hostname", "hv2");
        pool.getSpec().vfIndices = "0-1,3";
        VfLedger ledger = ledger(List.of(), List.of());
        assertThat(ledger.counts(pool)).isEqualTo(new VfLedger.Counts(1, 3, 3, 0, 0));
        assertThat(ledger.find(pool, "hv1", vfPci(0))).isEmpty();
        assertThat(ledger.find(pool, "hv2", vfPci(2))).isEmpty();
        assertThat(ledger.freeCount(pool, "hv1")).isZero();
        assertThat(PoolMembership.parseIndices("0-2,5")).containsExactly(0, 1, 2, 5);
    }

    /** {@code node}'s Lease renewed at {@code at}, vouching for the NIC and VmInventory statuses of these times. */
    private static AgentLiveness.Renewals renewed(String node, Instant at, Instant nicStatus, Instant inventoryStatus) {
        return AgentLiveness.Renewals.of(Map.of(node, new AgentLiveness.Renewal(at, nicStatus, inventoryStatus)));
    }
}
