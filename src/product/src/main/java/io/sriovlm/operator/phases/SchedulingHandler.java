package io.sriovlm.operator.phases;

import io.sriovlm.api.v1alpha1.HypervisorNic;
import io.sriovlm.operator.placement.StorageMatch;
import io.sriovlm.operator.placement.VfConfigMatch;
import io.sriovlm.api.v1alpha1.VmInventoryStatus.VmStatus;
import io.sriovlm.api.v1alpha1.MigrationMethod;
import io.sriovlm.api.v1alpha1.MigrationPhase;
import io.sriovlm.api.v1alpha1.SriovMigration;
import io.sriovlm.api.v1alpha1.VfPool;
import io.sriovlm.common.Conditions;
import io.sriovlm.api.v1alpha1.ConditionTypes;
import io.sriovlm.api.v1alpha1.Reasons;
import io.sriovlm.api.v1alpha1.VmInventoryStatus;
import io.sriovlm.statemachine.Outcome;
import io.sriovlm.statemachine.Transition;
import io.sriovlm.operator.placement.TargetSelector;
import io.sriovlm.operator.placement.TargetSelector.Choice;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Scheduling (owner: operator): choose the target and reserve its VF in the pool ledger, then hand over to the
 * target agent. Re-running after a crash finds the reservation this migration already holds and reuses it. Pure.
 */
public final class SchedulingHandler {
    private SchedulingHandler() {
    }

    public static Decision decide(SriovMigration m, ClusterView view) {
        String uid = m.getMetadata().getUid();
        if (!view.nicsByNode().containsKey(m.getStatus().sourceNode)) {
            // The source's HypervisorNic is not in view (an operator that just restarted has not synced it yet):
            // no evidence about the VM either way. Look again shortly rather than fail a healthy migration.
            return Decision.of(Outcome.recheckAfter(java.time.Duration.ofMillis(500)));
        }
        VmStatus vm = view.vmOn(m.getStatus().sourceNode, m.getSpec().vmName).orElse(null);
        if (vm == null) {
            return Decision.of(PendingHandler.fail(view, Reasons.VM_NOT_FOUND, "VM " + m.getSpec().vmName + " is no longer reported on "
                    + m.getStatus().sourceNode + "; nothing was changed. Create a new SriovMigration once it runs again"));
        }
        if (m.getStatus().method == MigrationMethod.VfState && sourceVfOf(m, view) == null) {
            return Decision.of(PendingHandler.fail(view, Reasons.VM_NOT_FOUND, "VF " + m.getStatus().sourceVf + " of VM "
                    + m.getSpec().vmName + " is no longer reported on " + m.getStatus().sourceNode
                    + "; nothing was changed. Create a new SriovMigration"));
        }
        Optional<Choice> held = heldReservation(m, view);
        TargetSelector.Result result = held.<TargetSelector.Result>map(c -> c).orElseGet(
                () -> select(m, m.getStatus().sourceNode, vm, view, sourceVfOf(m, view)));
        if (result instanceof TargetSelector.Refusal refusal) {
            if (!refusal.retryable()) {
                return Decision.of(PendingHandler.fail(view, refusal.reason(), refusal.message()));
            }
            return Decision.of(PendingHandler.waitForPlacement(view, m, refusal));
        }
        Choice choice = (Choice) result;
        HypervisorNic targetNic = view.nicsByNode().get(choice.node());
        String message = "target " + choice.node() + ", VF " + choice.vfPciAddress() + " reserved in pool "
                + choice.pool();
        Transition next = Transition.to(MigrationPhase.Preparing, Reasons.SCHEDULED, message).with(s -> {
            s.targetNode = choice.node();
            s.targetVf = choice.vfPciAddress();
            s.vfPool = choice.pool();
            // A reservation taken on admission keeps the reason Pending recorded for it.
            s.placementReason = held.isPresent() && m.getStatus().placementReason != null
                    ? m.getStatus().placementReason : choice.reason();
            s.targetMigrationUri = targetNic.getStatus().migrationUri;
            Conditions.set(s.conditions, ConditionTypes.SCHEDULED, true, Reasons.SCHEDULED, message,
                    m.getMetadata().getGeneration(), view.now());
        });
        return held.isPresent() ? Decision.of(Outcome.write(next)) : Decision.reserveAndMove(choice, next);
    }

    /** The VF whose state a VfState migration moves, as its source reports it; null for Failover. */
    static VmInventoryStatus.VfStatus sourceVfOf(SriovMigration m, ClusterView view) {
        if (m.getStatus().method != MigrationMethod.VfState) {
            return null;
        }
        return view.vfsOn(m.getStatus().sourceNode).stream()
                .filter(v -> v.pciAddress.equals(m.getStatus().sourceVf)).findFirst().orElse(null);
    }

    /**
     * Placement as Pending pre-checks it and Scheduling decides it.
     *
     * @param vfStateSource the VF whose state moves, for method VfState; null for Failover
     */
    static TargetSelector.Result select(SriovMigration m, String source, VmStatus vm, ClusterView view,
            VmInventoryStatus.VfStatus vfStateSource) {
        List<VfPool> pools = m.getSpec().vfPool == null ? view.pools()
                : view.pools().stream().filter(p -> p.getMetadata().getName().equals(m.getSpec().vfPool)).toList();
        if (m.getSpec().vfPool != null && pools.isEmpty()) {
            return new TargetSelector.Refusal(Reasons.POOL_NOT_FOUND, "VfPool " + m.getSpec().vfPool
                    + " does not exist; create it or fix spec.vfPool", false);
        }
        String standbyDevice = vm.teaming == null ? null : vm.teaming.standbyDevice;
        TargetSelector.VfStateNeeds vfState = null;
        if (vfStateSource != null) {
            HypervisorNic nic = view.nicsByNode().get(source);
            vfState = new TargetSelector.VfStateNeeds(nic == null || nic.getStatus() == null ? null
                    : nic.getStatus().vfStateMigration, vfStateSource);
        }
        VfConfigMatch.Expected expected = expectedVf(m.getSpec().vmName, source, vm, view, vfStateSource);
        return TargetSelector.select(new TargetSelector.Request(m.getSpec().vmName, standbyDevice, source,
                m.getSpec().targetNode, pools, view.ledger(), view.nicsByNode(), view.nodes(), inboundByNode(view),
                view.config().maxInboundPerNode(), view.liveness(),
                expected, new StorageMatch.Needs(m.getSpec().vmName, vm.disks,
                        m.getSpec().optionsOrDefaults().copyStorageOrDefault()), vfState));
    }

    /**
     * What the VM's guest has now: its MAC, its XML's VLAN, and the VF it holds as its source's agent reports it. A
     * VF-state migration has no teaming MAC: the MAC its VF has on the PF is the one the target VF may keep.
     */
    static VfConfigMatch.Expected expectedVf(String vmName, String source, VmStatus vm, ClusterView view,
            VmInventoryStatus.VfStatus vfStateSource) {
        if (vfStateSource != null) {
            return new VfConfigMatch.Expected(vmName, vfStateSource.adminMac, null, source, vfStateSource);
        }
        if (vm.teaming == null) {
            return null;
        }
        String pci = vm.teaming.primaryPciAddress;
        VmInventoryStatus.VfStatus held = pci == null ? null
                : view.vfsOn(source).stream().filter(v -> pci.equals(v.pciAddress)).findFirst().orElse(null);
        return new VfConfigMatch.Expected(vmName, vm.teaming.mac, vm.teaming.primaryVlan, source, held);
    }

    /** The VF this migration already holds (a re-run after a crash, or the one reserved on admission). */
    static Optional<Choice> heldReservation(SriovMigration m, ClusterView view) {
        return view.ledger().reservationOf(m.getMetadata().getUid()).map(claim -> {
            HypervisorNic nic = view.nicsByNode().get(claim.node);
            var bond = nic == null ? null : nic.getSpec().bonds.stream()
                    .filter(b -> claim.vfIndex != null && claim.vfIndex.equals(b.vfIndex)).findFirst().orElse(null);
            return new Choice(claim.node, claim.pool, claim.pciAddress, claim.vfIndex == null ? -1 : claim.vfIndex,
                    bond, "reservation already held in pool " + claim.pool);
        });
    }

    static Map<String, Integer> inboundByNode(ClusterView view) {
        Map<String, Integer> inbound = new HashMap<>();
        view.inFlight().stream().filter(o -> o.getStatus().targetNode != null)
                .forEach(o -> inbound.merge(o.getStatus().targetNode, 1, Integer::sum));
        return inbound;
    }
}
