package io.sriovlm.agent.reconciler;

import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.sriovlm.agent.AgentConfig;
import io.sriovlm.agent.steps.TargetAgentSteps;
import io.sriovlm.api.v1alpha1.Labels;
import io.sriovlm.api.v1alpha1.SriovMigration;
import io.sriovlm.status.MigrationStatusWriter;

/**
 * The agent's target-side migration controller. Its informer sees only migrations labelled
 * {@code sriovlm.io/target-node=THIS_NODE}.
 */
public class MigrationTargetReconciler implements Reconciler<SriovMigration>, Cleaner<SriovMigration> {
    private final AgentConfig config;
    private final MigrationStatusWriter writer;
    private volatile io.javaoperatorsdk.operator.processing.event.source.IndexerResourceCache<SriovMigration> cache;
    private final TargetAgentSteps steps;

    public MigrationTargetReconciler(AgentConfig config, MigrationStatusWriter writer, TargetAgentSteps steps) {
        this.config = config;
        this.writer = writer;
        this.steps = steps;
    }

    /** This node's migrations on this side as the informer holds them; empty unless the controller runs. */
    public java.util.Optional<java.util.stream.Stream<SriovMigration>> cached() {
        // A stopping agent's emptied cache would say nothing is in flight here: then the caller asks the API.
        return io.sriovlm.common.InformerCaches.listIfRunning(cache).map(l -> writer.freshest(l.stream()));
    }

    public String labelSelector() {
        return Labels.TARGET_NODE + "=" + config.nodeName();
    }

    @Override
    public java.util.List<io.javaoperatorsdk.operator.processing.event.source.EventSource<?, SriovMigration>> prepareEventSources(
            io.javaoperatorsdk.operator.api.reconciler.EventSourceContext<SriovMigration> context) {
        cache = context.getPrimaryCache();
        return java.util.List.of();
    }

    @Override
    public UpdateControl<SriovMigration> reconcile(SriovMigration cached, Context<SriovMigration> context) {
        SriovMigration m = writer.freshest(cached);
        if (m.getStatus() == null || !config.nodeName().equals(m.getStatus().targetNode)) {
            return UpdateControl.noUpdate();
        }
        steps.forgetUnlessRestoring(m);
        return MigrationStepsReconciler.run(m, writer, steps::step);
    }

    /** See {@link MigrationStepsReconciler#keepWorkingWhileDeleted}. */
    @Override
    public DeleteControl cleanup(SriovMigration m, Context<SriovMigration> context) {
        return MigrationStepsReconciler.keepWorkingWhileDeleted(reconcile(m, context));
    }
}
