package io.sriovlm.roles;

import io.sriovlm.agent.FastPathGuard;
import io.sriovlm.agent.VfHygiene;

import io.sriovlm.agent.HostObservation;

import io.sriovlm.agent.AgentConfig;

import io.sriovlm.api.v1alpha1.Finalizers;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.sriovlm.agent.hostnet.HostNetwork;
import io.sriovlm.agent.hostnet.NicProvisioner;
import io.sriovlm.agent.hostnet.VfAdminSettings;
import io.sriovlm.agent.hostnet.VfStateFacts;
import io.sriovlm.api.v1alpha1.SriovMigration;
import io.sriovlm.agent.libvirt.Hypervisor;
import io.sriovlm.agent.steps.MigrationJobs;
import io.sriovlm.agent.steps.SourceAgentSteps;
import io.sriovlm.agent.steps.TargetAgentSteps;
import io.sriovlm.agent.reconciler.HypervisorNicReporter;
import io.sriovlm.agent.reconciler.MigrationSourceReconciler;
import io.sriovlm.agent.reconciler.MigrationTargetReconciler;
import io.sriovlm.api.v1alpha1.HypervisorNic;
import io.sriovlm.api.v1alpha1.Labels;
import io.sriovlm.common.EventRecorder;
import io.sriovlm.status.MigrationStatusWriter;

import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.ArrayList;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Builds the node agent role for one node: a reporter of the host into its HypervisorNic and the source and target
 * migration controllers, each with an informer that sees only this node's objects (equality label selectors).
 */
public final class AgentRole {
    private AgentRole() {
    }

    /** The agent without host provisioning: it only observes and reports (as before HypervisorNic provisioning). */
    public static Operator create(KubernetesClient client, AgentConfig config, Hypervisor hypervisor,
            HostNetwork network, Clock clock) {
        return create(client, config, hypervisor, network, null, clock);
    }

    /**
     * @param provisioner makes the host match the HypervisorNic spec before each report; null to only observe
     */
    public static Operator create(KubernetesClient client, AgentConfig config, Hypervisor hypervisor,
            HostNetwork network, NicProvisioner provisioner, Clock clock) {
        return create(client, config, hypervisor, network, provisioner, clock, o -> {
        });
    }

    /** @param extra JOSDK settings on top of the agent's own (the sandbox hosts several agents in one process) */
    public static Operator create(KubernetesClient client, AgentConfig config, Hypervisor hypervisor,
            HostNetwork network, NicProvisioner provisioner, Clock clock,
            java.util.function.Consumer<io.javaoperatorsdk.operator.api.config.ConfigurationServiceOverrider> extra) {
        Operator operator = new Operator(o -> {
            o.withKubernetesClient(client)
                    .withCloseClientOnStop(false)
                    .withUseSSAToPatchPrimaryResource(false)
                    .withStopOnInformerErrorDuringStartup(true);
            extra.accept(o);
        });
        EventRecorder events = new EventRecorder(client, "sriovlm-agent/" + config.nodeName(), clock);
        MigrationStatusWriter writer = MigrationStatusWriter.forAgent(client, config.nodeName(), events, clock);
        MigrationSourceReconciler source = new MigrationSourceReconciler(config, writer);
        MigrationTargetReconciler[] targetRef = new MigrationTargetReconciler[1];
        VfAdminSettings vfSettings = provisioner == null ? null : new VfAdminSettings(provisioner.commands());
        HostObservation host = new HostObservation(hypervisor, network, config.primaryDevice(), vfSettings,
                provisioner == null ? null : new VfStateFacts(provisioner.sysfs(), provisioner.commands()));
        HypervisorNicReporter reporter = new HypervisorNicReporter(client, config, host, clock, provisioner,
                () -> migrationsInFlight(client, config.nodeName(), source, targetRef[0]),
                new FastPathGuard(host),
                () -> vmsMoving(client, config.nodeName(), source, targetRef[0]));
        var nicSpec = (java.util.function.Supplier<Optional<io.sriovlm.api.v1alpha1.HypervisorNicSpec>>)
                () -> reporter.currentNic().map(HypervisorNic::getSpec);

        MigrationJobs jobs = new MigrationJobs();
        source.useSteps(new SourceAgentSteps(hypervisor, network, nicSpec, jobs, config, clock,
                source::onJobDone, reporter::reportNow, source::laneHeldBy));
        TargetAgentSteps targetSteps = new TargetAgentSteps(hypervisor, network, nicSpec, config, clock,
                reporter::reportNow);
        MigrationTargetReconciler target = new MigrationTargetReconciler(config, writer, targetSteps);
        targetRef[0] = target;
        if (vfSettings != null) {
            reporter.useHygiene(new VfHygiene(hypervisor, network, vfSettings), () -> vfsHeldByMigrations(source, target));
        }

        // Generation-aware: a spec change (or the heartbeat timer) makes the reporter report; a status write does
        // not, or its own write of the heartbeat would wake it to write again, in a loop as fast as the API answers.
        operator.register(reporter, o -> o.withName("hypervisornic-reporter").withGenerationAware(true)
                .withLabelSelector(reporter.labelSelector()));
        operator.register(source, o -> o.withName("migration-source").withGenerationAware(false).withFinalizer(Finalizers.ROLLBACK)
                .withLabelSelector(source.labelSelector()).watchingAllNamespaces());
        operator.register(target, o -> o.withName("migration-target").withGenerationAware(false).withFinalizer(Finalizers.ROLLBACK)
                .withLabelSelector(target.labelSelector()).watchingAllNamespaces());
        return operator;
    }

    /** Migrations not yet finished whose source or target is this node, as namespace/name. */
    static List<String> migrationsInFlight(KubernetesClient client, String node, MigrationSourceReconciler source,
            MigrationTargetReconciler target) {
        List<SriovMigration> unfinished = unfinishedHere(client, node, source, target);
        if (unfinished == null) {
            // Not knowing is treated as "some may be": the provisioner then changes nothing this time.
            return List.of("(unknown: cannot list SriovMigrations)");
        }
        return unfinished.stream().map(m -> m.getMetadata().getNamespace() + "/" + m.getMetadata().getName())
                .collect(Collectors.toCollection(TreeSet::new)).stream().toList();
    }

    /** VMs with an unfinished migration from or to this node; null when that cannot be known now. */
    static Set<String> vmsMoving(KubernetesClient client, String node, MigrationSourceReconciler source,
            MigrationTargetReconciler target) {
        List<SriovMigration> unfinished = unfinishedHere(client, node, source, target);
        return unfinished == null ? null
                : unfinished.stream().map(m -> m.getSpec().vmName).collect(Collectors.toSet());
    }

    /**
     * The VFs of this node that its unfinished migrations hold: a source VF kept for a rollback, a target VF. From
     * the two controllers' caches; empty when either does not run.
     */
    static Optional<Set<String>> vfsHeldByMigrations(MigrationSourceReconciler source, MigrationTargetReconciler target) {
        var fromSource = source.cached();
        var fromTarget = target.cached();
        if (fromSource.isEmpty() || fromTarget.isEmpty()) {
            return Optional.empty();
        }
        Set<String> held = new java.util.HashSet<>();
        fromSource.get().filter(m -> m.getStatus() != null && m.getStatus().phase != null
                && m.getStatus().phase.keepsSourceVf() && m.getStatus().sourceVf != null)
                .forEach(m -> held.add(m.getStatus().sourceVf));
        fromTarget.get().filter(m -> m.getStatus() != null && m.getStatus().targetVf != null
                && (m.getStatus().phase == null || !m.getStatus().phase.isTerminal()))
                .forEach(m -> held.add(m.getStatus().targetVf));
        return Optional.of(held);
    }

    /**
     * The unfinished migrations whose source or target is this node, null when they cannot be known now: from the two
     * migration controllers' informers (which select exactly these labels) once both run, else listed from the API.
     * The caches are enough for callers that act on the answer (the fast-path guard leaves a moving VM alone): a
     * migration changes a VM of this node only through a step of these controllers, run on these caches, so one they
     * do not show yet has touched nothing here. The LISTs were costly: the NIC reporter asked at every heartbeat and
     * the guard whenever a VM was off its VF, and each LIST reads every migration the cluster keeps (the API server
     * filters labels after reading), 12 MB at 2,700 kept; at 300 nodes they stalled the API server
     * (docs/benchmarks.md, "The API server's stall").
     */
    static List<SriovMigration> unfinishedHere(KubernetesClient client, String node, MigrationSourceReconciler source,
            MigrationTargetReconciler target) {
        var fromSource = source.cached();
        var fromTarget = target == null ? Optional.<java.util.stream.Stream<SriovMigration>>empty() : target.cached();
        if (fromSource.isPresent() && fromTarget.isPresent()) {
            return java.util.stream.Stream.concat(fromSource.get(), fromTarget.get())
                    .filter(m -> m.getStatus() == null || m.getStatus().phase == null
                            || !m.getStatus().phase.isTerminal())
                    .toList();
        }
        List<SriovMigration> unfinished = new ArrayList<>();
        try {
            for (String label : List.of(Labels.SOURCE_NODE, Labels.TARGET_NODE)) {
                for (SriovMigration m : client.resources(SriovMigration.class).inAnyNamespace()
                        .withLabel(label, node).list().getItems()) {
                    if (m.getStatus() == null || m.getStatus().phase == null || !m.getStatus().phase.isTerminal()) {
                        unfinished.add(m);
                    }
                }
            }
        } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
            return null;
        }
        return unfinished;
    }
}
