package io.sriovlm.operator.reconciler;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Node;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.SecondaryToPrimaryMapper;
import io.javaoperatorsdk.operator.processing.event.source.Cache;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.sriovlm.api.v1alpha1.HeartbeatLeases;
import io.sriovlm.api.v1alpha1.HypervisorNic;
import io.sriovlm.api.v1alpha1.Labels;
import io.sriovlm.api.v1alpha1.VfClaim;
import io.sriovlm.api.v1alpha1.VfPool;
import io.sriovlm.api.v1alpha1.VmInventory;
import io.sriovlm.common.InformerCaches;
import io.sriovlm.common.Timestamps;
import io.sriovlm.operator.placement.AgentLiveness;
import io.sriovlm.operator.placement.ReportedVms;

import io.sriovlm.status.HypervisorNicStatusWriter;
import io.sriovlm.status.VmInventoryStatusWriter;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.function.Predicate;
import java.util.function.Function;
import java.util.stream.Collectors;

/** A controller's event sources on the cluster-wide objects it decides on (shared informers), and typed views of them. */
final class ClusterCaches<P extends HasMetadata> {
    final SharedInformer.View<HypervisorNic, P> nics;
    final SharedInformer.View<VmInventory, P> inventories;
    final SharedInformer.View<Node, P> nodes;
    final SharedInformer.View<VfPool, P> pools;
    final SharedInformer.View<VfClaim, P> claims;
    final SharedInformer.View<Lease, P> leases;
    private final String leaseNamespace;

    /**
     * @param heartbeatMatters whether a NIC report that changed nothing but its heartbeat time is an event for this
     *                         controller: at a 10 s heartbeat a thousand nodes send a hundred of those a second, and
     *                         they change no decision of the migration controller (which rechecks waiting migrations
     *                         on a timer anyway). The same predicate says whether a renewal of the node's heartbeat
     *                         Lease is one (given the node's name).
     * @param onlyReleasesMatter whether only a claim's deletion (a VF that may be free again) is an event for this
     *                         controller: a new or handed-over claim frees nothing a waiting migration could take
     */
    ClusterCaches(SharedInformers informers, EventSourceContext<P> context,
            SecondaryToPrimaryMapper<HasMetadata> toPrimaries, Predicate<String> heartbeatMatters,
            boolean onlyReleasesMatter) {
        this.nics = informers.nics.view(context, toPrimaries::toPrimaryResourceIDs, added -> true,
                (newer, older) -> heartbeatMatters.test(newer.getSpec() == null ? null : newer.getSpec().nodeName)
                        || !onlyTheHeartbeatChanged(newer, older));
        this.inventories = informers.inventories.view(context, toPrimaries::toPrimaryResourceIDs, added -> true,
                (newer, older) -> heartbeatMatters.test(newer.getSpec() == null ? null : newer.getSpec().nodeName)
                        || !onlyTheHeartbeatChanged(newer, older));
        this.leases = agentLeases(informers, context, toPrimaries::toPrimaryResourceIDs, heartbeatMatters);
        this.leaseNamespace = informers.agentLeaseNamespace;
        this.nodes = informers.nodes.view(context, toPrimaries::toPrimaryResourceIDs);
        this.pools = informers.pools.view(context, toPrimaries::toPrimaryResourceIDs);
        this.claims = informers.claims.view(context, toPrimaries::toPrimaryResourceIDs,
                added -> !onlyReleasesMatter, (newer, older) -> !onlyReleasesMatter);
    }

    /**
     * A controller's view of the agents' heartbeat Leases, for {@code AgentLiveness}. A renewal is an event only where
     * {@code matters} says so for the Lease's node.
     */
    static <P extends HasMetadata> SharedInformer.View<Lease, P> agentLeases(SharedInformers informers,
            EventSourceContext<P> context, SecondaryToPrimaryMapper<Lease> toPrimaries, Predicate<String> matters) {
        return informers.agentLeases.view(context, toPrimaries,
                added -> matters.test(added.getMetadata().getLabels().get(Labels.NODE)),
                (newer, older) -> matters.test(newer.getMetadata().getLabels().get(Labels.NODE)));
    }

    /** The renewals of the agents' heartbeat Leases in {@code namespace}, looked up in the informer's cache. */
    static AgentLiveness.Renewals leaseRenewals(Cache<Lease> leases, String namespace) {
        // renewalOf checks that the Lease is labelled for the node its name is for
        return node -> node == null ? null : leases.get(new ResourceID(HeartbeatLeases.nameFor(node), namespace))
                .map(ClusterCaches::renewalOf).orElse(null);
    }

    /** The renewals of the agents' heartbeat Leases this cache holds. */
    AgentLiveness.Renewals leaseRenewals() {
        return leaseRenewals(leases, leaseNamespace);
    }

    /** What an agent's heartbeat Lease says; null when it is not one or was never renewed. */
    static AgentLiveness.Renewal renewalOf(Lease lease) {
        Map<String, String> labels = lease.getMetadata().getLabels();
        if (lease.getSpec() == null || lease.getSpec().getRenewTime() == null || labels == null
                || labels.get(Labels.NODE) == null
                || !lease.getMetadata().getName().equals(HeartbeatLeases.nameFor(labels.get(Labels.NODE)))) {
            return null;
        }
        Map<String, String> annotations = lease.getMetadata().getAnnotations();
        Instant vouchesFor;
        Instant vouchesForInventory;
        try {
            vouchesFor = annotations == null ? null : Timestamps.parse(annotations.get(HeartbeatLeases.VOUCHES_FOR));
            vouchesForInventory = annotations == null ? null
                    : Timestamps.parse(annotations.get(HeartbeatLeases.VOUCHES_FOR_INVENTORY));
        } catch (java.time.format.DateTimeParseException e) {
            return null; // not the agent's writing: it vouches for nothing
        }
        return new AgentLiveness.Renewal(lease.getSpec().getRenewTime().toInstant(), vouchesFor, vouchesForInventory);
    }

    /** Whether {@code newer} differs from {@code older} in nothing a decision reads: only the heartbeat time. */
    static boolean onlyTheHeartbeatChanged(HypervisorNic newer, HypervisorNic older) {
        return older != null && newer.getStatus() != null && older.getStatus() != null
                && Objects.equals(newer.getMetadata().getLabels(), older.getMetadata().getLabels())
                && Objects.equals(newer.getMetadata().getGeneration(), older.getMetadata().getGeneration())
                && HypervisorNicStatusWriter.sameApartFromHeartbeat(newer.getStatus(), older.getStatus());
    }

    Map<String, HypervisorNic> nicsByNode() {
        // One HypervisorNic per node in this version; with several PFs per node the first by name wins.
        return nics.list().sorted(java.util.Comparator.comparing(n -> n.getMetadata().getName()))
                .filter(n -> n.getSpec() != null && n.getSpec().nodeName != null)
                .collect(Collectors.toMap(n -> n.getSpec().nodeName, Function.identity(), (a, b) -> a));
    }

    /** Whether {@code newer} differs from {@code older} in nothing a decision reads: only the heartbeat time. */
    static boolean onlyTheHeartbeatChanged(VmInventory newer, VmInventory older) {
        return older != null && newer.getStatus() != null && older.getStatus() != null
                && VmInventoryStatusWriter.sameApartFromHeartbeat(newer.getStatus(), older.getStatus());
    }

    /** The VmInventory of each of {@code nicsByNode}'s NICs (named as its NIC), by node; absent where none is. */
    Map<String, VmInventory> inventoriesByNode(Map<String, HypervisorNic> nicsByNode) {
        Map<String, VmInventory> byNode = new java.util.HashMap<>();
        nicsByNode.forEach((node, nic) -> inventoryOf(nic).ifPresent(inventory -> byNode.put(node, inventory)));
        return byNode;
    }

    /** Which inventories report a VM or a teaming MAC, from the informer's indexes. */
    ReportedVms reportedVms() {
        return new ReportedVms() {
            @Override
            public java.util.Collection<VmInventory> reporting(String vm) {
                return inventories.byIndex(ReportedVms.BY_VM, vm);
            }

            @Override
            public java.util.Collection<VmInventory> usingMac(String mac) {
                return inventories.byIndex(ReportedVms.BY_TEAMING_MAC, ReportedVms.macKey(mac));
            }
        };
    }

    java.util.Optional<VmInventory> inventoryOf(HypervisorNic nic) {
        return inventories.get(new ResourceID(nic.getMetadata().getName()));
    }

    Map<String, Node> nodesByName() {
        return nodes.list().collect(Collectors.toMap(n -> n.getMetadata().getName(), Function.identity()));
    }

    java.util.List<VfPool> poolList() {
        return pools.list().sorted(java.util.Comparator.comparing(p -> p.getMetadata().getName())).toList();
    }

    /** Whether the NIC, inventory, node, pool and claim caches are still fed; see {@link InformerCaches#stillRunning}. */
    boolean running() {
        return InformerCaches.stillRunning(nics, inventories, nodes, pools, claims, leases);
    }

    /** Thrown by a reconcile that finds its caches stopped under it: it ends without writing anything. */
    static final class CachesStopped extends RuntimeException {
        CachesStopped() {
            super("the controller's caches stopped (operator shutting down); nothing decided", null, false, false);
        }
    }

    static ResourceID idOf(HasMetadata resource) {
        return ResourceID.fromResource(resource);
    }
}
