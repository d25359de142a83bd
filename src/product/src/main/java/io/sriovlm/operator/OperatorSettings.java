package io.sriovlm.operator;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.sriovlm.common.SettingsDefaults;
import io.sriovlm.api.v1alpha1.MigrationOptions;

import java.time.Duration;
import java.util.Optional;

/**
 * The operator role's settings: properties {@code sriovlm.operator.*}, environment variables
 * {@code SRIOVLM_OPERATOR_*} (e.g. SRIOVLM_OPERATOR_MAX_IN_FLIGHT), the chart's {@code operator.settings}. Every
 * default is written here and nowhere else; what runs without Quarkus' configuration (the sandbox, unit tests) reads
 * them through {@link #defaults()}. docs/install.md lists them (generated, checked by SettingsDocTest).
 */
@ConfigMapping(prefix = "sriovlm.operator")
public interface OperatorSettings {
    /** Migrations past Pending at once, cluster-wide (KubeVirt's default: 5). */
    @WithDefault("5")
    int maxInFlight();

    /** Migrations leaving one node at once, from Scheduling until the domain has left it (KubeVirt's default: 2). */
    @WithDefault("2")
    int maxOutboundPerNode();

    /**
     * Admit one more migration behind each busy outbound lane of a node: its target VF is reserved and prepared while
     * the lane's copy runs, and it starts on the source as soon as the lane frees. Off: it waits in Pending.
     */
    @WithDefault("true")
    boolean prepareAhead();

    /** Migrations arriving on one node at once. */
    @WithDefault("2")
    int maxInboundPerNode();

    /** An agent whose last report is older is treated as NotReady. */
    @WithDefault("30s")
    Duration heartbeatStaleAfter();

    /**
     * Finished SriovMigrations kept per VM, newest first; older ones are deleted (KubeVirt keeps 5). A node
     * evacuation's migrations are kept until it is done. Negative: keep every one.
     */
    @WithDefault("5")
    int historyPerVm();

    /**
     * Default of spec.ttlSecondsAfterFinished: a finished SriovMigration older than this is deleted, however few
     * its VM has. Unset: no age limit.
     */
    Optional<Duration> historyTtlAfterFinished();

    /** Namespace of the evacuations' SriovMigrations and drain guards: the operator's own (POD_NAMESPACE). */
    @WithDefault("${POD_NAMESPACE:sriovlm-system}")
    String evacuationNamespace();

    /** Namespace of the agents' heartbeat Leases (sriovlm-agent-NODE): sriovlm's own (POD_NAMESPACE). */
    @WithDefault("${POD_NAMESPACE:sriovlm-system}")
    String agentLeaseNamespace();

    /** Image of the drain guard pod; it only has to exist on the node (a pause image). */
    @WithDefault("registry.k8s.io/pause:3.10")
    String evacuationGuardImage();

    /** spec.options.timeoutSeconds of the migrations an evacuation creates; unset: the CRD's default. */
    Optional<Integer> evacuationTimeoutSeconds();

    /** spec.options.stepTimeoutSeconds of the migrations an evacuation creates; unset: the CRD's default. */
    Optional<Integer> evacuationStepTimeoutSeconds();

    /**
     * Namespace of the leader-election Lease; set in a cluster (the Deployment's POD_NAMESPACE), where the replicas
     * elect a leader. Unset (the operator run outside a cluster): no leader election.
     */
    @WithDefault("${POD_NAMESPACE:}")
    Optional<String> leaseNamespace();

    /** The limits the SriovMigration controller enforces. */
    default OperatorConfig limits() {
        return new OperatorConfig(maxInFlight(), maxOutboundPerNode(), maxInboundPerNode(), heartbeatStaleAfter(),
                history(), prepareAhead(), agentLeaseNamespace());
    }

    /** How long finished migrations are kept. */
    default HistoryConfig history() {
        return new HistoryConfig(historyPerVm(), historyTtlAfterFinished());
    }

    /** Where evacuations keep their objects, and the deadlines of their migrations. */
    default EvacuationConfig evacuation() {
        MigrationOptions options = null;
        if (evacuationTimeoutSeconds().isPresent() || evacuationStepTimeoutSeconds().isPresent()) {
            options = new MigrationOptions();
            options.timeoutSeconds = evacuationTimeoutSeconds().orElse(null);
            options.stepTimeoutSeconds = evacuationStepTimeoutSeconds().orElse(null);
        }
        return new EvacuationConfig(evacuationNamespace(), evacuationGuardImage(), options);
    }

    /** Every setting at its default, no configuration source read (not even the environment). */
    static OperatorSettings defaults() {
        return SettingsDefaults.of(OperatorSettings.class);
    }
}
