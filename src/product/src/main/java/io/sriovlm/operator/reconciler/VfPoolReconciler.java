package io.sriovlm.operator.reconciler;

import io.sriovlm.api.v1alpha1.ConditionTypes;
import io.sriovlm.api.v1alpha1.Reasons;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Node;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.sriovlm.api.v1alpha1.MigrationPhase;
import io.sriovlm.api.v1alpha1.SriovMigration;
import io.sriovlm.api.v1alpha1.VfPool;
import io.sriovlm.api.v1alpha1.VfPoolStatus;
import io.sriovlm.common.Conditions;
import io.sriovlm.common.EventRecorder;
import io.sriovlm.operator.phases.ClusterView;
import io.sriovlm.operator.placement.PoolMembership;
import io.sriovlm.operator.placement.VfLedger;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Keeps each VfPool's ledger in step with what the agents report: which VFs exist on the selected nodes, which are
 * attached to a VM, and which are reserved by a live migration. Reservations of finished or deleted migrations are
 * dropped here, so none outlives its migration.
 */
public class VfPoolReconciler implements Reconciler<VfPool> {

    private final VfPoolLedgerWriter ledger;
    private final EventRecorder events;
    private final Clock clock;
    private ClusterCaches<VfPool> caches;
    private InformerEventSource<SriovMigration, VfPool> migrations;

    public VfPoolReconciler(VfPoolLedgerWriter ledger, EventRecorder events, Clock clock) {
        this.ledger = ledger;
        this.events = events;
        this.clock = clock;
    }

    @Override
    public List<EventSource<?, VfPool>> prepareEventSources(EventSourceContext<VfPool> context) {
        var pools = context.getPrimaryCache();
        caches = new ClusterCaches<>(context, (HasMetadata ignored) -> pools.list().map(ResourceID::fromResource)
                .collect(Collectors.toSet()));
        // Only a migration that finishes or disappears changes a ledger; map it to the pool it names in status.
        migrations = new InformerEventSource<>(InformerEventSourceConfiguration.from(SriovMigration.class, VfPool.class)
                .withName("SriovMigration")
                .withSecondaryToPrimaryMapper((SriovMigration m) -> m.getStatus() == null || m.getStatus().vfPool == null
                        ? Set.of() : Set.of(new ResourceID(m.getStatus().vfPool)))
                .build(), context);
        return List.of(caches.nics, caches.nodes, migrations);
    }

    @Override
    public UpdateControl<VfPool> reconcile(VfPool cached, Context<VfPool> context) {
        VfPool pool = ledger.freshest(cached);
        Map<String, Node> nodes = caches.nodesByName();
        List<VfLedger.LiveMigration> live = migrations.list().filter(ClusterView::isActive)
                .map(m -> new VfLedger.LiveMigration(m.getMetadata().getUid(),
                        m.getStatus() == null ? MigrationPhase.Pending : m.getStatus().phase, m.getSpec().vmName,
                        m.getStatus() == null ? null : m.getStatus().sourceNode,
                        m.getStatus() == null ? null : m.getStatus().sourceVf))
                .toList();
        VfPoolStatus next = VfLedger.recompute(pool, caches.nicsByNode(), nodes, live, clock.instant());
        // Shutting down: emptied caches would write an empty ledger. (This controller does not register caches.pools.)
        if (!io.sriovlm.common.InformerCaches.stillRunning(caches.nics, caches.nodes, migrations)) {
            return UpdateControl.noUpdate();
        }
        long selected = nodes.values().stream().filter(n -> PoolMembership.coversNode(pool, n)).count();
        boolean ready = !next.nodes.isEmpty();
        String message = ready ? next.freeVfs + " of " + next.totalVfs + " VFs free on " + next.nodes.size() + " node(s)"
                : selected == 0 ? "spec.nodeSelector " + pool.getSpec().nodeSelector
                        + " matches no Node; fix the selector or label the hypervisor nodes"
                        : "no selected node has a HypervisorNic with VFs in this pool (spec.pfName, spec.vfIndices)";
        String reason = ready ? Reasons.VFS_AVAILABLE : selected == 0 ? Reasons.NO_MATCHING_NODES : Reasons.NO_VFS;
        Conditions.set(next.conditions, ConditionTypes.READY, ready, reason, message, pool.getMetadata().getGeneration(), clock.instant());
        if (sameLedger(pool.getStatus(), next)) {
            return UpdateControl.noUpdate();
        }
        boolean becameUnready = pool.getStatus() == null
                || Conditions.find(pool.getStatus().conditions, ConditionTypes.READY).map(c -> Conditions.TRUE.equals(c.getStatus())).orElse(true);
        if (ledger.rebuild(pool, next).isEmpty()) {
            return UpdateControl.<VfPool>noUpdate().rescheduleAfter(Duration.ofMillis(200));
        }
        if (!ready && becameUnready) {
            events.warning(pool, reason, message);
        }
        return UpdateControl.noUpdate();
    }

    private static boolean sameLedger(VfPoolStatus before, VfPoolStatus after) {
        if (before == null) {
            return false;
        }
        var mapper = io.fabric8.kubernetes.client.utils.Serialization.jsonMapper();
        return Objects.equals(mapper.valueToTree(before.nodes), mapper.valueToTree(after.nodes))
                && Objects.equals(mapper.valueToTree(before.conditions), mapper.valueToTree(after.conditions));
    }
}
