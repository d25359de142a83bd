package io.sriovlm.agent;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.sriovlm.agent.hostnet.HostNetwork;
import io.sriovlm.agent.libvirt.Hypervisor;
import io.sriovlm.agent.migration.MigrationJobs;
import io.sriovlm.agent.migration.SourceAgentSteps;
import io.sriovlm.agent.migration.TargetAgentSteps;
import io.sriovlm.agent.reconciler.HypervisorNicReporter;
import io.sriovlm.agent.reconciler.MigrationSourceReconciler;
import io.sriovlm.agent.reconciler.MigrationTargetReconciler;
import io.sriovlm.api.v1alpha1.HypervisorNic;
import io.sriovlm.api.v1alpha1.Labels;
import io.sriovlm.common.EventRecorder;
import io.sriovlm.migration.MigrationStatusWriter;

import java.time.Clock;
import java.util.Optional;

/**
 * Builds the node agent role for one node: a reporter of the host into its HypervisorNic and the source and target
 * migration controllers, each with an informer that sees only this node's objects (equality label selectors).
 */
public final class AgentRole {
    private AgentRole() {
    }

    public static Operator create(KubernetesClient client, AgentConfig config, Hypervisor hypervisor,
            HostNetwork network, Clock clock) {
        Operator operator = new Operator(o -> o.withKubernetesClient(client)
                .withCloseClientOnStop(false)
                .withUseSSAToPatchPrimaryResource(false)
                .withStopOnInformerErrorDuringStartup(true));
        EventRecorder events = new EventRecorder(client, "sriovlm-agent/" + config.nodeName(), clock);
        MigrationStatusWriter writer = new MigrationStatusWriter(client, events, clock);
        HypervisorNicReporter reporter = new HypervisorNicReporter(client, config,
                new HostObservation(hypervisor, network, config.primaryDevice()), clock);
        var nicSpec = (java.util.function.Supplier<Optional<io.sriovlm.api.v1alpha1.HypervisorNicSpec>>)
                () -> reporter.currentNic().map(HypervisorNic::getSpec);

        MigrationSourceReconciler source = new MigrationSourceReconciler(config, writer);
        MigrationJobs jobs = new MigrationJobs();
        source.useSteps(new SourceAgentSteps(hypervisor, network, nicSpec, jobs, config, clock,
                m -> source.jobEvents().propagateEvent(ResourceID.fromResource(m)), reporter::reportNow));
        TargetAgentSteps targetSteps = new TargetAgentSteps(hypervisor, network, nicSpec, config, clock,
                reporter::reportNow);
        MigrationTargetReconciler target = new MigrationTargetReconciler(config, writer, targetSteps);

        operator.register(reporter, o -> o.withName("hypervisornic-reporter").withGenerationAware(false)
                .withLabelSelector(reporter.labelSelector()));
        operator.register(source, o -> o.withName("migration-source").withGenerationAware(false).withFinalizer(Labels.FINALIZER)
                .withLabelSelector(source.labelSelector()).watchingAllNamespaces());
        operator.register(target, o -> o.withName("migration-target").withGenerationAware(false).withFinalizer(Labels.FINALIZER)
                .withLabelSelector(target.labelSelector()).watchingAllNamespaces());
        return operator;
    }
}
