package io.sriovlm.operator.reconciler;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Node;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.SecondaryToPrimaryMapper;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.sriovlm.api.v1alpha1.HeartbeatLeases;
import io.sriovlm.api.v1alpha1.HypervisorNic;
import io.sriovlm.api.v1alpha1.Labels;
import io.sriovlm.api.v1alpha1.VfClaim;
import io.sriovlm.api.v1alpha1.VfPool;
import io.sriovlm.common.InformerCaches;
import io.sriovlm.common.InterningItemStore;
import io.sriovlm.common.Timestamps;
import io.sriovlm.operator.placement.AgentLiveness;

import io.sriovlm.status.HypervisorNicStatusWriter;

import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.Objects;
import java.util.function.Predicate;
import java.util.function.Function;
import java.util.stream.Collectors;

/** Informer event sources for the cluster-wide objects a controller decides on, and typed views of their caches. */
final class ClusterCaches<P extends HasMetadata> {
    final InformerEventSource<HypervisorNic, P> nics;
    final InformerEventSource<Node, P> nodes;
    final InformerEventSource<VfPool, P> pools;
    final InformerEventSource<VfClaim, P> claims;
    final InformerEventSource<Lease, P> leases;
    private final String leaseNamespace;

    /**
     * @param heartbeatMatters whether a NIC report that changed nothing but its heartbeat time is an event for this
     *                         controller: at a 10 s heartbeat a thousand nodes send a hundred of those a second, and
     *                         they change no decision of the migration controller (which rechecks waiting migrations
     *                         on a timer anyway)
     *                         controller: at a 10 s heartbeat a thousand nodes send a hundred of those a second, and
     *                         they change no decision of the migration controller (which rechecks waiting migrations
     *                         on a timer anyway). The same predicate says whether a renewal of the node's heartbeat
     *                         Lease is one (given the node's name).
     * @param onlyReleasesMatter whether only a claim's deletion (a VF that may be free again) is an event for this
     *                         controller: a new or handed-over claim frees nothing a waiting migration could take
     */
    ClusterCaches(EventSourceContext<P> context, SecondaryToPrimaryMapper<HasMetadata> toPrimaries,
            Predicate<String> heartbeatMatters, boolean onlyReleasesMatter, String leaseNamespace) {
        SecondaryToPrimaryMapper<HypervisorNic> nicMapper = toPrimaries::toPrimaryResourceIDs;
        this.nics = new InformerEventSource<>(InformerEventSourceConfiguration.from(HypervisorNic.class,
                        context.getPrimaryResourceClass())
                .withName(HypervisorNic.class.getSimpleName())
                .withItemStore(InterningItemStore.of(HypervisorNic.class))
                .withPrimaryToSecondaryMapper(InformerCaches.noSecondaryIndex())
                .withSecondaryToPrimaryMapper(nicMapper)
                .withOnUpdateFilter((HypervisorNic newer, HypervisorNic older) -> heartbeatMatters.test(
                        newer.getSpec() == null ? null : newer.getSpec().nodeName) || !onlyTheHeartbeatChanged(newer, older))
                .build(), context);
        this.leases = agentLeases(context, leaseNamespace, toPrimaries::toPrimaryResourceIDs, heartbeatMatters);
        this.leaseNamespace = leaseNamespace;
        this.nodes = source(Node.class, context, toPrimaries);
        this.pools = source(VfPool.class, context, toPrimaries);
        SecondaryToPrimaryMapper<VfClaim> claimMapper = toPrimaries::toPrimaryResourceIDs;
        this.claims = new InformerEventSource<>(InformerEventSourceConfiguration.from(VfClaim.class,
                        context.getPrimaryResourceClass())
                .withName(VfClaim.class.getSimpleName())
                .withItemStore(InterningItemStore.of(VfClaim.class))
                .withPrimaryToSecondaryMapper(InformerCaches.noSecondaryIndex())
                .withSecondaryToPrimaryMapper(claimMapper)
                .withOnAddFilter((VfClaim added) -> !onlyReleasesMatter)
                .withOnUpdateFilter((VfClaim newer, VfClaim older) -> !onlyReleasesMatter)
                .build(), context);
    }

    private static <R extends HasMetadata, P extends HasMetadata> InformerEventSource<R, P> source(Class<R> type,
            EventSourceContext<P> context, SecondaryToPrimaryMapper<HasMetadata> toPrimaries) {
        SecondaryToPrimaryMapper<R> mapper = toPrimaries::toPrimaryResourceIDs;
        return new InformerEventSource<>(InformerEventSourceConfiguration.from(type, context.getPrimaryResourceClass())
                .withName(type.getSimpleName())
                .withItemStore(InterningItemStore.of(type))
                .withPrimaryToSecondaryMapper(InformerCaches.noSecondaryIndex())
                .withSecondaryToPrimaryMapper(mapper)
                .build(), context);
    }

    /**
     * The agents' heartbeat Leases in {@code namespace} (those labelled with their node), for {@code AgentLiveness}.
     * A renewal is an event only where {@code matters} says so for the Lease's node.
     */
    static <P extends HasMetadata> InformerEventSource<Lease, P> agentLeases(EventSourceContext<P> context,
            String namespace, SecondaryToPrimaryMapper<Lease> toPrimaries, Predicate<String> matters) {
        return new InformerEventSource<>(InformerEventSourceConfiguration.from(Lease.class,
                        context.getPrimaryResourceClass())
                .withName("AgentLease")
                .withNamespaces(Set.of(namespace))
                .withLabelSelector(Labels.NODE)
                .withItemStore(InterningItemStore.of(Lease.class))
                .withPrimaryToSecondaryMapper(InformerCaches.noSecondaryIndex())
                .withSecondaryToPrimaryMapper(toPrimaries)
                .withOnAddFilter((Lease added) -> matters.test(added.getMetadata().getLabels().get(Labels.NODE)))
                .withOnUpdateFilter((Lease newer, Lease older) -> matters.test(newer.getMetadata().getLabels()
                        .get(Labels.NODE)))
                .build(), context);
    }

    /** The renewals of the agents' heartbeat Leases in {@code namespace}, looked up in the informer's cache. */
    static AgentLiveness.Renewals leaseRenewals(InformerEventSource<Lease, ?> leases, String namespace) {
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
        try {
            vouchesFor = annotations == null ? null : Timestamps.parse(annotations.get(HeartbeatLeases.VOUCHES_FOR));
        } catch (java.time.format.DateTimeParseException e) {
            return null; // not the agent's writing: it vouches for nothing
        }
        return new AgentLiveness.Renewal(lease.getSpec().getRenewTime().toInstant(), vouchesFor);
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

    Map<String, Node> nodesByName() {
        return nodes.list().collect(Collectors.toMap(n -> n.getMetadata().getName(), Function.identity()));
    }

    java.util.List<VfPool> poolList() {
        return pools.list().sorted(java.util.Comparator.comparing(p -> p.getMetadata().getName())).toList();
    }

    /** Whether the NIC, node, pool and claim caches are still fed; see {@link InformerCaches#stillRunning}. */
    boolean running() {
        return InformerCaches.stillRunning(nics, nodes, pools, claims, leases);
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
