package io.sriovlm.operator.reconciler;

import org.jboss.logging.Logger;
import io.sriovlm.api.v1alpha1.Reasons;
import io.sriovlm.api.v1alpha1.ConditionTypes;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.IndexerResourceCache;
import io.sriovlm.api.v1alpha1.HypervisorNic;
import io.sriovlm.api.v1alpha1.Labels;
import io.sriovlm.api.v1alpha1.VmInventory;
import io.sriovlm.common.Conditions;
import io.sriovlm.common.EventRecorder;
import io.sriovlm.operator.OperatorConfig;
import io.sriovlm.operator.placement.AgentLiveness;
import io.sriovlm.operator.placement.NicHealth;
import io.sriovlm.status.HypervisorNicStatusWriter;
import io.sriovlm.common.InformerCaches;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Judges each HypervisorNic's readiness from what its agent reports (the age of its last word: the status's
 * heartbeatTime or its heartbeat Lease's renewal; the agent's own AgentReady) and
 * whether its node exists, and labels it with its node so the agent there can select it with an equality selector.
 */
public class HypervisorNicReconciler implements Reconciler<HypervisorNic> {
    private static final Logger LOG = Logger.getLogger(HypervisorNicReconciler.class);
    /** Index of the NIC cache: a NIC's spec.nodeName. */
    private static final String BY_NODE = "node";

    private final KubernetesClient client;
    private final HypervisorNicStatusWriter writer;
    private final OperatorConfig config;
    private final EventRecorder events;
    private final Clock clock;
    private final SharedInformers informers;
    private SharedInformer.View<Node, HypervisorNic> nodes;
    private SharedInformer.View<io.fabric8.kubernetes.api.model.coordination.v1.Lease, HypervisorNic> leases;
    private SharedInformer.View<VmInventory, HypervisorNic> inventories;

    public HypervisorNicReconciler(KubernetesClient client, SharedInformers informers, OperatorConfig config,
            EventRecorder events, Clock clock) {
        this.informers = informers;
        this.client = client;
        this.writer = new HypervisorNicStatusWriter(client);
        this.config = config;
        this.events = events;
        this.clock = clock;
    }

    @Override
    public List<EventSource<?, HypervisorNic>> prepareEventSources(EventSourceContext<HypervisorNic> context) {
        var nics = context.getPrimaryCache();
        // A node's NICs, looked up on every Node change and Lease renewal of the fleet.
        nics.addIndexer(BY_NODE, n -> n.getSpec() == null || n.getSpec().nodeName == null ? List.of()
                : List.of(n.getSpec().nodeName));
        nodes = informers.nodes.view(context, (Node node) -> nics.byIndex(BY_NODE, node.getMetadata().getName())
                .stream().map(ResourceID::fromResource).collect(Collectors.toSet()));
        // A renewal is an event for a NIC that is not Ready: renewed after a silence, the Lease makes it Ready again.
        // A Ready NIC's renewals change nothing (one reconcile per node and heartbeat otherwise): its staleness is
        // checked when the heartbeat it last saw would go stale, against the Lease as it is then.
        leases = ClusterCaches.agentLeases(informers, context,
                lease -> nicsOn(nics, lease.getMetadata().getLabels().get(Labels.NODE))
                        .map(ResourceID::fromResource).collect(Collectors.toSet()),
                node -> nicsOn(nics, node).anyMatch(n -> n.getStatus() == null
                        || !Conditions.isTrue(n.getStatus().conditions, ConditionTypes.READY)));
        // Likewise an inventory report (named as its NIC) for a NIC that is not Ready: the agent speaks again.
        inventories = informers.inventories.view(context,
                (VmInventory i) -> Set.of(new ResourceID(i.getMetadata().getName())),
                added -> notReady(nics, added.getMetadata().getName()),
                (newer, older) -> notReady(nics, newer.getMetadata().getName()));
        return List.of(nodes, leases, inventories);
    }

    private static boolean notReady(IndexerResourceCache<HypervisorNic> nics, String name) {
        return nics.get(new ResourceID(name)).map(n -> n.getStatus() == null
                || !Conditions.isTrue(n.getStatus().conditions, ConditionTypes.READY)).orElse(false);
    }

    private static Stream<HypervisorNic> nicsOn(IndexerResourceCache<HypervisorNic> nics, String node) {
        return node == null ? Stream.empty() : nics.byIndex(BY_NODE, node).stream();
    }

    @Override
    public UpdateControl<HypervisorNic> reconcile(HypervisorNic nic, Context<HypervisorNic> context) {
        String nodeName = nic.getSpec().nodeName;
        var labels = nic.getMetadata().getLabels();
        if (labels == null || !nodeName.equals(labels.get(Labels.NODE))) {
            client.resource(nic).patch(PatchContext.of(PatchType.JSON_MERGE),
                    "{\"metadata\":{\"labels\":{\"" + Labels.NODE + "\":\"" + nodeName + "\"}}}");
            return UpdateControl.noUpdate();
        }
        nic = writer.freshest(nic);
        Instant now = clock.instant();
        Node node = nodes.get(new ResourceID(nodeName)).orElse(null);
        AgentLiveness liveness = new AgentLiveness(now, config.heartbeatStaleAfter(),
                ClusterCaches.leaseRenewals(leases, informers.agentLeaseNamespace),
                n -> inventories.get(new ResourceID(n.getMetadata().getName())).orElse(null));
        if (!InformerCaches.stillRunning(nodes, leases, inventories)) {
            return UpdateControl.noUpdate(); // shutting down: an emptied cache would call the node gone
        }
        Optional<String> problem = NicHealth.problem(nic, node, liveness);
        String reason = problem.isEmpty() ? Reasons.AGENT_REPORTING : node == null ? Reasons.NODE_NOT_FOUND
                : nic.getStatus() == null || nic.getStatus().heartbeatTime == null ? Reasons.AGENT_NOT_REPORTING
                        : Conditions.isTrue(nic.getStatus().conditions, ConditionTypes.AGENT_READY)
                                ? Reasons.HEARTBEAT_STALE : Reasons.HOST_NOT_READY;
        String message = problem.orElse("agent on " + nodeName + " reports a ready host");
        var current = nic.getStatus() == null ? null
                : Conditions.find(nic.getStatus().conditions, ConditionTypes.READY).orElse(null);
        boolean changed = current == null || !reason.equals(current.getReason())
                || !(problem.isEmpty() ? Conditions.TRUE : Conditions.FALSE).equals(current.getStatus());
        if (changed) {
            if (writer.setReady(nic, problem.isEmpty(), reason, message, now).isEmpty()) {
                return UpdateControl.<HypervisorNic>noUpdate().rescheduleAfter(Duration.ofMillis(200));
            }
            if (problem.isPresent()) {
                LOG.warnf("HypervisorNic %s not Ready (%s): %s", nic.getMetadata().getName(), reason, message);
                events.warning(nic, reason, message);
            }
        }
        // Look again when the heartbeat would go stale, so a dead agent turns the node NotReady.
        Instant heartbeat = liveness.lastReport(nic);
        Duration recheck = heartbeat == null ? config.heartbeatStaleAfter()
                : Duration.between(now, heartbeat.plus(config.heartbeatStaleAfter())).plusMillis(100);
        return UpdateControl.<HypervisorNic>noUpdate().rescheduleAfter(recheck.isNegative() ? config.heartbeatStaleAfter() : recheck);
    }
}
