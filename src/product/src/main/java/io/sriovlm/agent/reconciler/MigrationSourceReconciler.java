package io.sriovlm.agent.reconciler;

import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.inbound.SimpleInboundEventSource;
import io.sriovlm.agent.AgentConfig;
import io.sriovlm.agent.steps.SourceAgentSteps;
import io.sriovlm.api.v1alpha1.Labels;
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
    private final SimpleInboundEventSource<SriovMigration> jobEvents = new SimpleInboundEventSource<>("migration-jobs");
    private SourceAgentSteps steps;

    public MigrationSourceReconciler(AgentConfig config, MigrationStatusWriter writer) {
        this.config = config;
        this.writer = writer;
    }

    /** Wired after construction: the steps signal job completion through this reconciler's event source. */
    public void useSteps(SourceAgentSteps steps) {
        this.steps = steps;
    }

    public SimpleInboundEventSource<SriovMigration> jobEvents() {
        return jobEvents;
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
        return List.of(jobEvents);
    }

    @Override
    public UpdateControl<SriovMigration> reconcile(SriovMigration cached, Context<SriovMigration> context) {
        SriovMigration m = writer.freshest(cached);
        if (m.getStatus() == null || !config.nodeName().equals(m.getStatus().sourceNode)) {
            return UpdateControl.noUpdate();
        }
        steps.forgetFinishedJob(m);
        return MigrationStepsReconciler.run(m, writer, steps::step);
    }

    /** See {@link MigrationStepsReconciler#keepWorkingWhileDeleted}. */
    @Override
    public DeleteControl cleanup(SriovMigration m, Context<SriovMigration> context) {
        return MigrationStepsReconciler.keepWorkingWhileDeleted(reconcile(m, context));
    }
}
