package io.sriovlm.agent.reconciler;

import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.inbound.SimpleInboundEventSource;
import io.sriovlm.agent.AgentConfig;
import io.sriovlm.agent.steps.SourceAgentSteps;
import io.sriovlm.api.v1alpha1.Labels;
import io.sriovlm.api.v1alpha1.MigrationPhase;
import io.sriovlm.api.v1alpha1.SriovMigration;
import io.sriovlm.status.MigrationStatusWriter;

import java.util.List;

/**
 * The agent's source-side migration controller (like KubeVirt's source migration controller in virt-handler). Its
 * informer sees only migrations labelled {@code sriovlm.io/source-node=THIS_NODE}.
 */
public class MigrationSourceReconciler implements Reconciler<SriovMigration>, Cleaner<SriovMigration> {
    private final AgentConfig config;
    private final MigrationStatusWriter writer;
    private volatile io.javaoperatorsdk.operator.processing.event.source.IndexerResourceCache<SriovMigration> cache;
    /** Wakes a migration whose libvirt job ended, or which waits for the outbound lane of a migration that left. */
    private final SimpleInboundEventSource<SriovMigration> wakeups = new SimpleInboundEventSource<>("source-wakeups");
    private SourceAgentSteps steps;

    public MigrationSourceReconciler(AgentConfig config, MigrationStatusWriter writer) {
        this.config = config;
        this.writer = writer;
    }

    /** Wired after construction: the steps signal job completion through this reconciler's event source. */
    public void useSteps(SourceAgentSteps steps) {
        this.steps = steps;
    }

    /**
     * Whether the migration with this UID still holds an outbound lane of this node, as this agent knows it (its own
     * writes included). Unknown here, it has ended and gone; before the informer runs, the answer is yes.
     */
    public boolean laneHeldBy(String uid) {
        return cached().map(all -> all.filter(o -> uid.equals(o.getMetadata().getUid())).findFirst()
                .map(o -> o.getStatus() != null && o.getStatus().phase != null && o.getStatus().phase.holdsOutboundLane())
                .orElse(false)).orElse(true);
    }

    /** This node's migrations on this side as the informer holds them; empty unless the controller runs. */
    public java.util.Optional<java.util.stream.Stream<SriovMigration>> cached() {
        // A stopping agent's emptied cache would say nothing is in flight here: then the caller asks the API.
        return io.sriovlm.common.InformerCaches.listIfRunning(cache).map(l -> writer.freshest(l.stream()));
    }

    public String labelSelector() {
        return Labels.SOURCE_NODE + "=" + config.nodeName();
    }

    @Override
    public List<EventSource<?, SriovMigration>> prepareEventSources(EventSourceContext<SriovMigration> context) {
        cache = context.getPrimaryCache();
        return List.of(wakeups);
    }

    @Override
    public UpdateControl<SriovMigration> reconcile(SriovMigration cached, Context<SriovMigration> context) {
        SriovMigration m = writer.freshest(cached);
        if (m.getStatus() == null || !config.nodeName().equals(m.getStatus().sourceNode)) {
            return UpdateControl.noUpdate();
        }
        steps.forgetFinishedJob(m);
        UpdateControl<SriovMigration> control = MigrationStepsReconciler.run(m, writer, steps::step);
        wakeFollowersOf(writer.freshest(m));
        return control;
    }

    /** The libvirt job of {@code m} ended: look at it, and let the one prepared behind it see whether it left. */
    public void onJobDone(SriovMigration m) {
        wakeups.propagateEvent(ResourceID.fromResource(m));
        wakeFollowers(m.getMetadata().getUid());
    }

    /** A migration that left the source (or ended) frees its lane: the one prepared behind it may start now. */
    private void wakeFollowersOf(SriovMigration m) {
        if (m.getStatus() == null || m.getStatus().phase == null || m.getStatus().phase.holdsOutboundLane()) {
            return;
        }
        wakeFollowers(m.getMetadata().getUid());
    }

    private void wakeFollowers(String uid) {
        cached().ifPresent(all -> all.filter(o -> o.getStatus() != null && o.getStatus().phase == MigrationPhase.TargetReady
                && uid.equals(o.getStatus().predecessorUid))
                .forEach(o -> wakeups.propagateEvent(ResourceID.fromResource(o))));
    }

    /** See {@link MigrationStepsReconciler#keepWorkingWhileDeleted}. */
    @Override
    public DeleteControl cleanup(SriovMigration m, Context<SriovMigration> context) {
        return MigrationStepsReconciler.keepWorkingWhileDeleted(reconcile(m, context));
    }
}
