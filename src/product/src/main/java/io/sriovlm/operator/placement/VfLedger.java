package io.sriovlm.operator.placement;

import io.fabric8.kubernetes.api.model.Node;
import io.sriovlm.api.v1alpha1.HypervisorNic;
import io.sriovlm.api.v1alpha1.VmInventoryStatus.VfStatus;
import io.sriovlm.api.v1alpha1.MigrationPhase;
import io.sriovlm.api.v1alpha1.SriovMigration;
import io.sriovlm.api.v1alpha1.VfClaim;
import io.sriovlm.api.v1alpha1.VfClaimSpec;
import io.sriovlm.api.v1alpha1.VfPool;
import io.sriovlm.api.v1alpha1.VmInventory;
import io.sriovlm.common.Timestamps;

import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The VF allocation ledger, derived rather than stored: a VF is Reserved while a {@link VfClaim} holds it for a
 * migration, Allocated while its node's VmInventory reports it attached to a domain (or a claim hands it to the VM
 * the migration moved there, or a migration in flight keeps it for the VM it moves away), and Free otherwise.
 * Claims are the only stored part; their names make the API server refuse a second holder of one VF. Pure.
 * <p>
 * Lookups walk one node's inventory at a time, so a decision costs the nodes it looks at, not the fleet.
 */
public final class VfLedger {
    public enum State {
        Free, Reserved, Allocated
    }

    /** One VF of a pool, as the ledger sees it. {@code migration} is set when a migration holds it. */
    public record Entry(String node, String pciAddress, Integer index, State state, String vm, String migration) {
        /** Who holds it, for messages: the migration, else the VM. */
        public String holder() {
            return migration != null ? migration : vm;
        }
    }

    public record Counts(int nodes, int total, int free, int reserved, int allocated) {
    }

    /**
     * A migration that is not finished, as the ledger needs it.
     *
     * @param phase      null when unknown (not yet accepted)
     * @param sourceNode the node the VM leaves, once resolved
     * @param sourceVf   the VF the VM holds there, once resolved
     */
    public record LiveMigration(String uid, MigrationPhase phase, String vm, String sourceNode, String sourceVf) {
        public static LiveMigration of(SriovMigration m) {
            var s = m.getStatus();
            return new LiveMigration(m.getMetadata().getUid(), s == null ? null : s.phase, m.getSpec().vmName,
                    s == null ? null : s.sourceNode, s == null ? null : s.sourceVf);
        }

        boolean holdsSourceVf() {
            return phase != null && phase.keepsSourceVf();
        }
    }

    private final Map<String, HypervisorNic> nics;
    private final Map<String, VmInventory> inventories;
    private final Map<String, Node> nodes;
    /**
     * By node, then PCI address: the claim of each claimed VF. Looked up with the inventory's own strings, whose hash
     * codes are cached, rather than by {@link VfClaim#nameFor}, which builds a string per VF per lookup (measured: 5 %
     * of the operator's CPU samples at 100 nodes). Claims take both from the inventory, so the spelling is the same.
     */
    private final Map<String, Map<String, VfClaimSpec>> claims = new HashMap<>();
    private final Map<String, VfClaimSpec> reservationsByMigration = new HashMap<>();
    /** By node, then PCI address: the source VFs that migrations in flight keep for their VM. */
    private final Map<String, Map<String, LiveMigration>> sourceHolds = new HashMap<>();

    private VfLedger(Map<String, HypervisorNic> nics, Map<String, VmInventory> inventories, Map<String, Node> nodes) {
        this.nics = nics;
        this.inventories = inventories;
        this.nodes = nodes;
    }

    /**
     * @param nics        every HypervisorNic, by node name
     * @param inventories the VmInventory of each of those NICs, by node name
     * @param nodes       every Node, by name
     * @param claims      every VfClaim
     * @param live        the migrations that are not finished
     */
    public static VfLedger of(Map<String, HypervisorNic> nics, Map<String, VmInventory> inventories,
            Map<String, Node> nodes, Collection<VfClaim> claims, Collection<LiveMigration> live) {
        VfLedger ledger = new VfLedger(nics, inventories, nodes);
        for (VfClaim claim : claims) {
            VfClaimSpec spec = claim.getSpec();
            if (spec == null || spec.node == null || spec.pciAddress == null) {
                continue;
            }
            ledger.claims.computeIfAbsent(spec.node, n -> new HashMap<>()).put(spec.pciAddress, spec);
            if (spec.state != VfClaimSpec.State.HandedOver && spec.migrationUid != null) {
                ledger.reservationsByMigration.put(spec.migrationUid, spec);
            }
        }
        for (LiveMigration m : live) {
            if (m.holdsSourceVf() && m.sourceNode() != null && m.sourceVf() != null) {
                ledger.sourceHolds.computeIfAbsent(m.sourceNode(), n -> new HashMap<>()).put(m.sourceVf(), m);
            }
        }
        return ledger;
    }

    /** The VF {@code pciAddress} of {@code node} when the pool covers it and the node reports it. */
    public Optional<Entry> find(VfPool pool, String node, String pciAddress) {
        if (!covers(pool, node)) {
            return Optional.empty();
        }
        HypervisorNic nic = nics.get(node);
        return vfsOn(node).stream().filter(vf -> pciAddress.equals(vf.pciAddress))
                .filter(vf -> PoolMembership.coversVf(pool, nic, vf)).findFirst().map(vf -> entry(node, vf));
    }

    /** The VFs of {@code node} as its VmInventory reports them: none before its agent has reported. */
    public List<VfStatus> vfsOn(String node) {
        return vfsOf(inventories.get(node));
    }

    /** The VFs {@code inventory} reports: none when it is null or has not reported. */
    public static List<VfStatus> vfsOf(VmInventory inventory) {
        return inventory == null || inventory.getStatus() == null ? List.of() : inventory.getStatus().vfs;
    }

    /** The VF the migration has reserved (not one handed over after its success). */
    public Optional<VfClaimSpec> reservationOf(String migrationUid) {
        return Optional.ofNullable(reservationsByMigration.get(migrationUid));
    }

    public int freeCount(VfPool pool, String node) {
        return covers(pool, node) ? countOn(pool, node).free() : 0;
    }

    /** What {@code kubectl get vfpools} shows: the pool's nodes and VFs by state. */
    public Counts counts(VfPool pool) {
        int nodeCount = 0;
        int total = 0;
        int free = 0;
        int reserved = 0;
        int allocated = 0;
        for (String node : nics.keySet()) {
            if (!covers(pool, node)) {
                continue;
            }
            Counts c = countOn(pool, node);
            nodeCount++;
            total += c.total();
            free += c.free();
            reserved += c.reserved();
            allocated += c.allocated();
        }
        return new Counts(nodeCount, total, free, reserved, allocated);
    }

    /** A node is in a pool while its Node matches the pool's selector and its agent has reported. */
    private boolean covers(VfPool pool, String node) {
        HypervisorNic nic = nics.get(node);
        Node n = nodes.get(node);
        return nic != null && nic.getStatus() != null && n != null && PoolMembership.coversNode(pool, n);
    }

    private Counts countOn(VfPool pool, String node) {
        HypervisorNic nic = nics.get(node);
        int total = 0;
        int free = 0;
        int reserved = 0;
        for (VfStatus vf : vfsOn(node)) {
            if (!PoolMembership.coversVf(pool, nic, vf)) {
                continue;
            }
            total++;
            switch (entry(node, vf).state()) {
                case Free -> free++;
                case Reserved -> reserved++;
                default -> {
                }
            }
        }
        return new Counts(1, total, free, reserved, total - free - reserved);
    }

    private Entry entry(String node, VfStatus vf) {
        VfClaimSpec claim = claims.getOrDefault(node, Map.of()).get(vf.pciAddress);
        if (claim != null && claim.state != VfClaimSpec.State.HandedOver) {
            return new Entry(node, vf.pciAddress, vf.index, State.Reserved, claim.vm, claim.migration);
        }
        if (claim != null) {
            // Handed to the VM its migration moved here; an inventory taken before the attach must not free it.
            return new Entry(node, vf.pciAddress, vf.index, State.Allocated, claim.vm, null);
        }
        if (vf.attachedTo != null) {
            return new Entry(node, vf.pciAddress, vf.index, State.Allocated, vf.attachedTo, null);
        }
        LiveMigration hold = sourceHolds.getOrDefault(node, Map.of()).get(vf.pciAddress);
        if (hold != null) {
            // Detached from its VM for the migration; the VM may still need it back.
            return new Entry(node, vf.pciAddress, vf.index, State.Allocated, hold.vm(), null);
        }
        return new Entry(node, vf.pciAddress, vf.index, State.Free, null, null);
    }

    /**
     * Whether a finished migration leaves its target VF to the VM: after a success, and after a deadline ended
     * RestoringFastPath, when the target agent may have attached it just before or just after (an agent that attached
     * it during an API outage says so only after). Then the claim stays until the node's inventory tells.
     */
    public static boolean handsOverItsVf(SriovMigration m) {
        var status = m.getStatus();
        return status != null && (status.phase == MigrationPhase.Succeeded || (status.phase == MigrationPhase.Failed
                && io.sriovlm.api.v1alpha1.Reasons.FAST_PATH_NOT_RESTORED.equals(status.failureReason)));
    }

    /** What becomes of a claim: it stays, its VF is handed to the VM, or it goes (and why). */
    public sealed interface Fate permits Keep, HandOver, Release {
    }

    public record Keep() implements Fate {
    }

    public record HandOver() implements Fate {
    }

    /** @param holderGone true when the claim goes only because its migration is not in view: confirm first */
    public record Release(String why, boolean holderGone) implements Fate {
    }

    /**
     * The claim's garbage collection, so that none outlives its purpose. A reservation stays while its migration is
     * live; after a success it is handed to the VM; after any other end, or when its migration is gone, or when the
     * VM it is for vanished before the migration touched the source (it was deleted: nothing will use the VF), or
     * when its node left the cluster, it goes. A handed-over claim goes once its node's inventory is newer than the
     * hand-over, because from then on the inventory says whether the VF is attached.
     *
     * @param holder        the claim's migration; null when it is not in view
     * @param inventoryAsOf when the node's agent last vouched for its inventory ({@link AgentLiveness#lastReport})
     * @param vmsReported   the domains some agent reports
     */
    public static Fate fateOf(VfClaimSpec claim, SriovMigration holder, HypervisorNic nic, Instant inventoryAsOf,
            Node node, Set<String> vmsReported) {
        if (node == null || nic == null || nic.getStatus() == null) {
            return new Release("node " + claim.node + " has left the cluster", false);
        }
        if (claim.state == VfClaimSpec.State.HandedOver) {
            Instant handedOver = Timestamps.parse(claim.since);
            return inventoryAsOf != null && (handedOver == null || inventoryAsOf.isAfter(handedOver))
                    ? new Release("the inventory of " + claim.node + " is newer than the hand-over", false)
                    : new Keep();
        }
        if (holder == null) {
            return new Release("migration " + claim.migration + " is gone", true);
        }
        MigrationPhase phase = holder.getStatus() == null ? null : holder.getStatus().phase;
        if (handsOverItsVf(holder)) {
            return new HandOver();
        }
        if (phase != null && phase.isTerminal()) {
            return new Release("migration " + claim.migration + " ended " + phase, false);
        }
        boolean sourceUntouched = phase == null || phase.leavesSourceUntouched();
        if (sourceUntouched && claim.vm != null && !vmsReported.contains(claim.vm)) {
            return new Release("VM " + claim.vm + " is no longer reported by any agent", false);
        }
        return new Keep();
    }
}
