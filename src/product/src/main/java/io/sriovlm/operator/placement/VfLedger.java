package io.sriovlm.operator.placement;

import io.fabric8.kubernetes.api.model.Node;
import io.sriovlm.api.v1alpha1.HypervisorNic;
import io.sriovlm.api.v1alpha1.HypervisorNicStatus.VfStatus;
import io.sriovlm.api.v1alpha1.VfPool;
import io.sriovlm.api.v1alpha1.VfPoolStatus;
import io.sriovlm.api.v1alpha1.VfPoolStatus.NodeVfs;
import io.sriovlm.api.v1alpha1.VfPoolStatus.VfEntry;
import io.sriovlm.api.v1alpha1.VfPoolStatus.VfState;
import io.sriovlm.common.Timestamps;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The VF allocation ledger kept in {@code VfPool.status}. Pure functions over the status; the callers write the
 * result with optimistic concurrency, so two reservations of one VF cannot both land.
 * <p>
 * A VF is Allocated when an agent reports it attached to a domain, Reserved when a live migration holds it, and Free
 * otherwise. A reservation is only dropped by {@link #release} or when its migration is gone or finished
 * ({@link #recompute}), never because an inventory report did not mention it.
 */
public final class VfLedger {
    private VfLedger() {
    }

    /** Who holds a reservation. */
    public record Holder(String vm, String migration, String migrationUid) {
    }

    public static Optional<VfEntry> find(VfPoolStatus status, String node, String pciAddress) {
        return nodeOf(status, node).flatMap(n -> n.vfs.stream().filter(v -> pciAddress.equals(v.pciAddress)).findFirst());
    }

    public static Optional<VfEntry> reservationOf(VfPoolStatus status, String migrationUid) {
        if (status == null) {
            return Optional.empty();
        }
        return status.nodes.stream().flatMap(n -> n.vfs.stream())
                .filter(v -> v.state == VfState.Reserved && migrationUid.equals(v.migrationUid)).findFirst();
    }

    public static Optional<String> nodeOfReservation(VfPoolStatus status, String migrationUid) {
        return status.nodes.stream()
                .filter(n -> n.vfs.stream().anyMatch(v -> v.state == VfState.Reserved && migrationUid.equals(v.migrationUid)))
                .map(n -> n.node).findFirst();
    }

    public static boolean isFree(VfPoolStatus status, String node, String pciAddress) {
        return find(status, node, pciAddress).map(v -> v.state == VfState.Free).orElse(false);
    }

    public static int freeCount(VfPoolStatus status, String node) {
        return nodeOf(status, node).map(n -> (int) n.vfs.stream().filter(v -> v.state == VfState.Free).count()).orElse(0);
    }

    /**
     * Reserves a free VF for a migration. Idempotent: reserving the VF this migration already holds changes nothing.
     *
     * @throws IllegalStateException when the VF is unknown or held by someone else
     */
    public static void reserve(VfPoolStatus status, String node, String pciAddress, Holder holder, Instant now) {
        VfEntry entry = find(status, node, pciAddress).orElseThrow(() -> new IllegalStateException(
                "VF " + pciAddress + " on " + node + " is not in the pool"));
        if (entry.state == VfState.Reserved && holder.migrationUid().equals(entry.migrationUid)) {
            return;
        }
        if (entry.state != VfState.Free) {
            throw new IllegalStateException("VF " + pciAddress + " on " + node + " is " + entry.state + " by "
                    + (entry.migration != null ? entry.migration : entry.vm));
        }
        entry.state = VfState.Reserved;
        entry.vm = holder.vm();
        entry.migration = holder.migration();
        entry.migrationUid = holder.migrationUid();
        entry.since = Timestamps.format(now);
        recount(status);
    }

    /**
     * Drops a migration's reservation. After a success the VF is handed to the VM (Allocated) rather than freed: the
     * VM now uses it, and an agent inventory taken before the attach must not make it look free.
     *
     * @return true when the status changed
     */
    public static boolean release(VfPoolStatus status, String migrationUid, boolean handToVm, Instant now) {
        boolean changed = false;
        for (NodeVfs node : status.nodes) {
            for (VfEntry entry : node.vfs) {
                if (entry.state == VfState.Reserved && migrationUid.equals(entry.migrationUid)) {
                    if (handToVm) {
                        entry.state = VfState.Allocated;
                        entry.since = Timestamps.format(now);
                    } else {
                        entry.state = VfState.Free;
                        entry.vm = null;
                        entry.since = null;
                    }
                    entry.migration = null;
                    entry.migrationUid = null;
                    changed = true;
                }
            }
        }
        if (changed) {
            recount(status);
        }
        return changed;
    }

    /**
     * A migration that is not finished, as the ledger needs it.
     *
     * @param phase      null when unknown (its reservation is then always kept)
     * @param sourceNode the node the VM leaves, once resolved
     * @param sourceVf   the VF the VM holds there, once resolved
     */
    public record LiveMigration(String uid, io.sriovlm.api.v1alpha1.MigrationPhase phase, String vm, String sourceNode,
            String sourceVf) {
        /** Until libvirt has moved the VM, its source VF stays its own, attached or not (a rollback re-attaches it). */
        boolean holdsSourceVf() {
            return phase == io.sriovlm.api.v1alpha1.MigrationPhase.SwitchingToStandby
                    || phase == io.sriovlm.api.v1alpha1.MigrationPhase.Migrating
                    || phase == io.sriovlm.api.v1alpha1.MigrationPhase.RollingBack;
        }

        /** Before SwitchingToStandby nothing on a host has changed, so a vanished VM means the lease is stale. */
        boolean beforeTheSourceIsTouched() {
            return phase == io.sriovlm.api.v1alpha1.MigrationPhase.Pending
                    || phase == io.sriovlm.api.v1alpha1.MigrationPhase.Scheduling
                    || phase == io.sriovlm.api.v1alpha1.MigrationPhase.Preparing;
        }
    }

    /**
     * Rebuilds a pool's ledger from the agents' inventories, keeping the reservations of live migrations.
     *
     * @param nics          every HypervisorNic, by node name
     * @param nodes         every Node, by name
     * @param liveMigrations UIDs of migrations that are not finished
     */
    public static VfPoolStatus recompute(VfPool pool, Map<String, HypervisorNic> nics, Map<String, Node> nodes,
            Set<String> liveMigrations, Instant now) {
        return recompute(pool, nics, nodes, liveMigrations.stream()
                .map(uid -> new LiveMigration(uid, null, null, null, null)).toList(), now);
    }

    /**
     * Rebuilds a pool's ledger from the agents' inventories. This is also its garbage collector: a reservation is
     * kept only while its migration is live; a reservation whose VM no agent reports any more, and whose migration
     * has not touched the source yet, is dropped (the VM was deleted: nothing will use the VF); a removed node
     * (no Node or no HypervisorNic) drops out with its reservations. The source VF of a migration that may still
     * roll back stays Allocated to its VM even while detached, so that nobody reserves it under the VM.
     */
    public static VfPoolStatus recompute(VfPool pool, Map<String, HypervisorNic> nics, Map<String, Node> nodes,
            List<LiveMigration> liveMigrations, Instant now) {
        VfPoolStatus previous = pool.getStatus() == null ? new VfPoolStatus() : pool.getStatus();
        VfPoolStatus next = new VfPoolStatus();
        next.observedGeneration = pool.getMetadata().getGeneration();
        // Copies, so that setting a condition on the result cannot change the status it was computed from.
        next.conditions = previous.conditions.stream()
                .map(c -> new io.fabric8.kubernetes.api.model.ConditionBuilder(c).build())
                .collect(java.util.stream.Collectors.toCollection(ArrayList::new));
        Set<String> reportedVms = new java.util.HashSet<>();
        nics.values().stream().filter(n -> n.getStatus() != null)
                .forEach(n -> n.getStatus().vms.forEach(v -> reportedVms.add(v.name)));
        Map<String, LiveMigration> live = new java.util.HashMap<>();
        for (LiveMigration m : liveMigrations) {
            boolean vmGone = m.vm() != null && m.beforeTheSourceIsTouched() && !reportedVms.contains(m.vm());
            if (!vmGone) {
                live.put(m.uid(), m);
            }
        }
        List<String> nodeNames = new ArrayList<>(nics.keySet());
        nodeNames.sort(Comparator.naturalOrder());
        for (String nodeName : nodeNames) {
            Node node = nodes.get(nodeName);
            HypervisorNic nic = nics.get(nodeName);
            if (node == null || !PoolMembership.coversNode(pool, node) || nic.getStatus() == null) {
                continue;
            }
            NodeVfs nodeVfs = new NodeVfs();
            nodeVfs.node = nodeName;
            Instant inventoryTime = Timestamps.parse(nic.getStatus().heartbeatTime);
            for (VfStatus vf : nic.getStatus().vfs) {
                if (!PoolMembership.coversVf(pool, nic, vf)) {
                    continue;
                }
                Optional<LiveMigration> sourceHold = live.values().stream().filter(LiveMigration::holdsSourceVf)
                        .filter(m -> nodeName.equals(m.sourceNode()) && vf.pciAddress.equals(m.sourceVf())).findFirst();
                nodeVfs.vfs.add(entryFor(vf, find(previous, nodeName, vf.pciAddress), live.keySet(), inventoryTime,
                        sourceHold));
            }
            next.nodes.add(nodeVfs);
        }
        recount(next);
        return next;
    }

    private static VfEntry entryFor(VfStatus vf, Optional<VfEntry> before, Set<String> liveMigrations,
            Instant inventoryTime, Optional<LiveMigration> sourceHold) {
        VfEntry entry = new VfEntry();
        entry.pciAddress = vf.pciAddress;
        entry.index = vf.index;
        if (before.isPresent() && before.get().state == VfState.Reserved
                && liveMigrations.contains(before.get().migrationUid)) {
            VfEntry held = before.get();
            entry.state = VfState.Reserved;
            entry.vm = held.vm;
            entry.migration = held.migration;
            entry.migrationUid = held.migrationUid;
            entry.since = held.since;
        } else if (vf.attachedTo != null) {
            entry.state = VfState.Allocated;
            entry.vm = vf.attachedTo;
            entry.since = before.filter(b -> vf.attachedTo.equals(b.vm)).map(b -> b.since).orElse(null);
        } else if (sourceHold.isPresent()) {
            // Detached from its VM for the migration; the VM may still need it back.
            entry.state = VfState.Allocated;
            entry.vm = sourceHold.get().vm();
            entry.since = before.filter(b -> sourceHold.get().vm().equals(b.vm)).map(b -> b.since).orElse(null);
        } else if (before.isPresent() && before.get().state == VfState.Allocated && before.get().since != null
                && (inventoryTime == null || !inventoryTime.isAfter(Timestamps.parse(before.get().since)))) {
            // Handed to a VM after this inventory was taken: the report cannot contradict it yet.
            VfEntry held = before.get();
            entry.state = VfState.Allocated;
            entry.vm = held.vm;
            entry.since = held.since;
        } else {
            entry.state = VfState.Free;
        }
        return entry;
    }

    static void recount(VfPoolStatus status) {
        int total = 0;
        int free = 0;
        for (NodeVfs node : status.nodes) {
            node.total = node.vfs.size();
            node.free = count(node.vfs, VfState.Free);
            node.reserved = count(node.vfs, VfState.Reserved);
            node.allocated = count(node.vfs, VfState.Allocated);
            total += node.total;
            free += node.free;
        }
        status.totalVfs = total;
        status.freeVfs = free;
    }

    private static int count(Collection<VfEntry> vfs, VfState state) {
        return (int) vfs.stream().filter(v -> v.state == state).count();
    }

    private static Optional<NodeVfs> nodeOf(VfPoolStatus status, String node) {
        return status == null ? Optional.empty() : status.nodes.stream().filter(n -> node.equals(n.node)).findFirst();
    }
}
