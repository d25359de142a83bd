package io.sriovlm.operator.reconciler;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Node;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.SecondaryToPrimaryMapper;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.sriovlm.api.v1alpha1.HypervisorNic;
import io.sriovlm.api.v1alpha1.VfPool;

import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/** Informer event sources for the cluster-wide objects a controller decides on, and typed views of their caches. */
final class ClusterCaches<P extends HasMetadata> {
    final InformerEventSource<HypervisorNic, P> nics;
    final InformerEventSource<Node, P> nodes;
    final InformerEventSource<VfPool, P> pools;

    ClusterCaches(EventSourceContext<P> context, SecondaryToPrimaryMapper<HasMetadata> toPrimaries) {
        this.nics = source(HypervisorNic.class, context, toPrimaries);
        this.nodes = source(Node.class, context, toPrimaries);
        this.pools = source(VfPool.class, context, toPrimaries);
    }

    private static <R extends HasMetadata, P extends HasMetadata> InformerEventSource<R, P> source(Class<R> type,
            EventSourceContext<P> context, SecondaryToPrimaryMapper<HasMetadata> toPrimaries) {
        SecondaryToPrimaryMapper<R> mapper = toPrimaries::toPrimaryResourceIDs;
        return new InformerEventSource<>(InformerEventSourceConfiguration.from(type, context.getPrimaryResourceClass())
                .withName(type.getSimpleName())
                .withSecondaryToPrimaryMapper(mapper)
                .build(), context);
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

    /** Whether the NIC, node and pool caches are still fed; see {@link #stillRunning}. */
    boolean running() {
        return stillRunning(nics, nodes, pools);
    }

    /**
     * Whether every given cache is still fed by its informer. On shutdown (a rolling update, a lost leadership) JOSDK
     * stops a controller's informers, which empties their caches, before it waits for the reconciles in flight: a
     * reconcile that read then saw no NIC, node, pool or migration at all, and would act on that (fail a migration
     * VmNotFound, release a drain guard, write an empty ledger). Check it after reading and before writing; a stopped
     * source is flagged before its cache is emptied. Caches that are not event sources count as running.
     */
    static boolean stillRunning(Object... caches) {
        return java.util.Arrays.stream(caches).allMatch(c -> !(c instanceof
                io.javaoperatorsdk.operator.processing.event.source.AbstractEventSource<?, ?> source) || source.isRunning());
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
