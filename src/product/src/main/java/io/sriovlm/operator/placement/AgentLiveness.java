package io.sriovlm.operator.placement;

import io.sriovlm.api.v1alpha1.HypervisorNic;
import io.sriovlm.api.v1alpha1.VmInventory;
import io.sriovlm.common.Timestamps;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * When each node's agent last vouched for what it reports of its host, in its HypervisorNic status and its
 * VmInventory status: the later of their heartbeatTimes (the time of the observation each carries, written when
 * something changed) and its heartbeat Lease's renewTime (a later observation that found nothing new)
 * (docs/decisions/023-heartbeat-leases.md, 028-vm-inventory.md).
 * <p>
 * A renewal counts only for the statuses it vouches for. The Lease and the statuses reach the operator through
 * three watches, and a small Lease event overtakes a large status event: without this check a renewal that vouches
 * for a status the operator has not seen yet would date the older copy it holds, and the ledger would release a VF
 * that the newer inventory shows attached.
 *
 * @param now            the time decisions are made at
 * @param staleAfter     an agent silent for longer is treated as NotReady
 * @param leaseRenewals  the agents' Lease renewals, by node
 * @param inventories    the VmInventory of each HypervisorNic
 */
public record AgentLiveness(Instant now, Duration staleAfter, Renewals leaseRenewals, Inventories inventories) {

    /** The VmInventory of a HypervisorNic, as the operator holds it; null when there is none. */
    @FunctionalInterface
    public interface Inventories {
        VmInventory of(HypervisorNic nic);

        Inventories NONE = nic -> null;

        /** From inventories by node name (one NIC per node, as {@code ClusterView} holds them). */
        static Inventories byNode(Map<String, VmInventory> byNode) {
            return nic -> nic == null || nic.getSpec() == null ? null : byNode.get(nic.getSpec().nodeName);
        }
    }

    /**
     * The last renewal of each node's heartbeat Lease, looked up one node at a time: a decision reads a node or a
     * few, and copying every node's into a map at each reconcile cost the operator a fifth of its CPU at 1,000 nodes.
     */
    @FunctionalInterface
    public interface Renewals {
        /** The renewal of {@code node}'s Lease; null when there is none. */
        Renewal of(String node);

        Renewals NONE = node -> null;

        static Renewals of(Map<String, Renewal> byNode) {
            return byNode::get;
        }
    }

    /**
     * One renewal of an agent's heartbeat Lease.
     *
     * @param renewTime           the time of the observation that found the statuses current
     * @param vouchesFor          the heartbeatTime of the HypervisorNic status it found current; null from an agent
     *                            that predates it, whose renewal vouches for whatever status the operator holds
     * @param vouchesForInventory the heartbeatTime of the VmInventory status it found current; null from an agent
     *                            that predates VmInventories
     */
    public record Renewal(Instant renewTime, Instant vouchesFor, Instant vouchesForInventory) {
        /** Whether this renewal speaks for statuses whose heartbeatTimes are these. */
        boolean vouchesFor(Instant nicHeartbeat, Instant inventoryHeartbeat) {
            return atLeast(nicHeartbeat, vouchesFor) && atLeast(inventoryHeartbeat, vouchesForInventory);
        }

        private static boolean atLeast(Instant held, Instant vouched) {
            return vouched == null || held != null && !held.isBefore(vouched);
        }
    }

    /** Judged from the statuses alone (no Lease seen). */
    public static AgentLiveness fromStatus(Instant now, Duration staleAfter, Inventories inventories) {
        return new AgentLiveness(now, staleAfter, Renewals.NONE, inventories);
    }

    /** The time of the agent's last word on {@code nic}'s host; null when it never reported. */
    public Instant lastReport(HypervisorNic nic) {
        return lastReport(nic, inventories.of(nic), leaseRenewals);
    }

    /**
     * The time of the agent's last word on {@code nic}'s host, given its VmInventory and the Leases' renewals; null
     * when never.
     */
    public static Instant lastReport(HypervisorNic nic, VmInventory inventory, Renewals leaseRenewals) {
        Instant status = nic == null || nic.getStatus() == null ? null : Timestamps.parse(nic.getStatus().heartbeatTime);
        Instant running = inventory == null || inventory.getStatus() == null ? null
                : Timestamps.parse(inventory.getStatus().heartbeatTime);
        Renewal renewal = nic == null || nic.getSpec() == null ? null : leaseRenewals.of(nic.getSpec().nodeName);
        Instant lease = renewal == null || !renewal.vouchesFor(status, running) ? null : renewal.renewTime();
        return latest(latest(status, running), lease);
    }

    /**
     * A renewal of {@code nic}'s Lease later than its statuses that does not count, because it vouches for statuses
     * newer than the operator holds (their watch events have not arrived): said when the node turns stale, since it
     * tells a lagging watch from a silent agent. Empty when there is none.
     */
    public Optional<String> uncountedRenewal(HypervisorNic nic) {
        if (nic == null || nic.getSpec() == null) {
            return Optional.empty();
        }
        Renewal renewal = leaseRenewals.of(nic.getSpec().nodeName);
        VmInventory inventory = inventories.of(nic);
        Instant status = nic.getStatus() == null ? null : Timestamps.parse(nic.getStatus().heartbeatTime);
        Instant running = inventory == null || inventory.getStatus() == null ? null
                : Timestamps.parse(inventory.getStatus().heartbeatTime);
        if (renewal == null || renewal.renewTime() == null || renewal.vouchesFor(status, running)) {
            return Optional.empty();
        }
        return Optional.of("its Lease was renewed at " + Timestamps.format(renewal.renewTime())
                + " for a HypervisorNic status of " + Timestamps.format(renewal.vouchesFor()) + " and a VmInventory of "
                + Timestamps.format(renewal.vouchesForInventory()) + ", but the operator holds "
                + (status == null ? "no status" : Timestamps.format(status)) + " and "
                + (inventory == null ? "no VmInventory" : running == null ? "no inventory status"
                        : Timestamps.format(running)));
    }

    private static Instant latest(Instant a, Instant b) {
        return a == null ? b : b == null || a.isAfter(b) ? a : b;
    }

    /** Whether the agent's last word is older than {@link #staleAfter}. */
    public boolean stale(Instant lastReport) {
        return lastReport == null || Duration.between(lastReport, now).compareTo(staleAfter) > 0;
    }
}
