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
import io.sriovlm.operator.placement.ReportedVms;
import io.sriovlm.operator.placement.VfLedger;

import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A snapshot of what the operator's informers hold, on which the pure phase handlers decide.
 *
 * @param inventoriesByNode the VmInventory of each NIC of {@code nicsByNode}, by node
 * @param migrations the migrations that were not finished when the informer last saw them (some may have finished
 *                   since, by this operator's own write: read each one's phase)
 * @param leaseRenewals the renewals of the agents' heartbeat Leases, by node
 * @param reportedVms which inventories report a VM or a teaming MAC: candidates, confirmed on
 *                    {@code inventoriesByNode} ({@link #nodesReporting}, {@link #inventoriesUsingMac})
 */
public record ClusterView(Map<String, HypervisorNic> nicsByNode, Map<String, VmInventory> inventoriesByNode,
        Map<String, Node> nodes, List<VfPool> pools,
        VfLedger ledger, Collection<SriovMigration> migrations, OperatorConfig config, Instant now,
        AgentLiveness.Renewals leaseRenewals, ReportedVms reportedVms) {

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

    /** The nodes whose agents report {@code vm} running, by name. */
    public List<String> nodesReporting(String vm) {
        List<String> nodes = reportedVms.reporting(vm).stream().map(ClusterView::nodeOf)
                .filter(node -> node != null && vmOn(node, vm).isPresent()).distinct().sorted().toList();
        if (!nodes.isEmpty()) {
            return nodes;
        }
        // Reported nowhere now, so possibly gone: the snapshot, a moment older than the index, may still have it.
        // Rare (a VM that vanished, or a name that is wrong), and this answer may end a migration: walk it.
        return inventoriesByNode.keySet().stream().sorted().filter(node -> vmOn(node, vm).isPresent()).toList();
    }

    /** The inventories of {@link #inventoriesByNode} that report teaming MAC {@code mac}, by node. */
    public Map<String, VmInventory> inventoriesUsingMac(String mac) {
        Map<String, VmInventory> using = new HashMap<>();
        if (mac != null) {
            for (VmInventory candidate : reportedVms.usingMac(mac)) {
                String node = nodeOf(candidate);
                VmInventory inView = node == null ? null : inventoriesByNode.get(node);
                if (inView != null) {
                    using.put(node, inView);
                }
            }
        }
        return using;
    }

    private static String nodeOf(VmInventory inventory) {
        return inventory.getSpec() == null ? null : inventory.getSpec().nodeName;
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
