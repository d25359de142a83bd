package io.sriovlm.operator.phases;

import io.fabric8.kubernetes.api.model.Node;
import io.sriovlm.api.v1alpha1.HypervisorNic;
import io.sriovlm.api.v1alpha1.VmInventoryStatus.VmStatus;
import io.sriovlm.api.v1alpha1.MigrationPhase;
import io.sriovlm.api.v1alpha1.SriovMigration;
import io.sriovlm.api.v1alpha1.VfPool;
import io.sriovlm.api.v1alpha1.VmInventory;
import io.sriovlm.api.v1alpha1.VmInventoryStatus.VfStatus;
import io.sriovlm.operator.OperatorConfig;
import io.sriovlm.operator.placement.AgentLiveness;
import io.sriovlm.operator.placement.VfLedger;

import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A snapshot of what the operator's informers hold, on which the pure phase handlers decide.
 *
 * @param inventoriesByNode the VmInventory of each NIC of {@code nicsByNode}, by node
 * @param leaseRenewals the renewals of the agents' heartbeat Leases, by node
 */
public record ClusterView(Map<String, HypervisorNic> nicsByNode, Map<String, VmInventory> inventoriesByNode,
        Map<String, Node> nodes, List<VfPool> pools,
        VfLedger ledger, Collection<SriovMigration> migrations, OperatorConfig config, Instant now,
        AgentLiveness.Renewals leaseRenewals) {

    /** Whether each node's agent is still reporting, at {@link #now}. */
    public AgentLiveness liveness() {
        return new AgentLiveness(now, config.heartbeatStaleAfter(), leaseRenewals,
                AgentLiveness.Inventories.byNode(inventoriesByNode));
    }

    /** {@code vm} as the agent on {@code node} reports it running there. */
    public Optional<VmStatus> vmOn(String node, String vm) {
        VmInventory inventory = inventoriesByNode.get(node);
        if (inventory == null || inventory.getStatus() == null) {
            return Optional.empty();
        }
        return inventory.getStatus().vms.stream().filter(v -> vm.equals(v.name)).findFirst();
    }

    /** The VFs of {@code node} as its agent reports them; none before it has. */
    public List<VfStatus> vfsOn(String node) {
        return ledger.vfsOn(node);
    }

    /** Migrations holding a concurrency slot: past Pending and not finished. */
    public List<SriovMigration> inFlight() {
        return migrations.stream().filter(ClusterView::holdsSlot).toList();
    }

    public static boolean holdsSlot(SriovMigration m) {
        MigrationPhase phase = m.getStatus() == null ? null : m.getStatus().phase;
        return phase != null && phase != MigrationPhase.Pending && !phase.isTerminal();
    }

    /**
     * Migrations holding an outbound slot of their source node: admitted, and the domain has not left the source
     * (Migrating → RestoringFastPath). The rest is the target's work, bounded by the target's inbound limit
     * (docs/decisions/008-outbound-slot.md). A migration prepared behind another holds a slot too, not a lane of
     * its own ({@link OutboundLanes}).
     */
    public static boolean holdsOutboundSlot(SriovMigration m) {
        return m.getStatus() != null && m.getStatus().phase != null && m.getStatus().phase.holdsOutboundLane();
    }

    public static boolean isActive(SriovMigration m) {
        MigrationPhase phase = m.getStatus() == null ? null : m.getStatus().phase;
        return phase == null || !phase.isTerminal();
    }
}
