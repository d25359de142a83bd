package io.sriovlm.roles;

import io.sriovlm.operator.EvacuationConfig;

import io.sriovlm.operator.OperatorConfig;

import io.sriovlm.api.v1alpha1.Finalizers;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.micrometer.core.instrument.MeterRegistry;
import io.fabric8.kubernetes.api.model.Node;
import io.sriovlm.api.v1alpha1.HypervisorNic;
import io.sriovlm.api.v1alpha1.SriovMigration;
import io.sriovlm.api.v1alpha1.VfPool;
import io.sriovlm.common.EventRecorder;
import io.sriovlm.common.InterningItemStore;
import io.sriovlm.metrics.MigrationMetrics;
import io.sriovlm.status.MigrationStatusWriter;
import io.sriovlm.operator.reconciler.ApiTrouble;
import io.sriovlm.operator.reconciler.EvacuationReconciler;
import io.sriovlm.operator.reconciler.HypervisorNicReconciler;
import io.sriovlm.operator.reconciler.MigrationHistory;
import io.sriovlm.operator.reconciler.SharedInformers;
import io.sriovlm.operator.reconciler.SriovMigrationReconciler;
import io.sriovlm.operator.reconciler.VfClaims;
import io.sriovlm.operator.reconciler.VfPoolStatusWriter;
import io.sriovlm.operator.reconciler.VfPoolReconciler;

import io.javaoperatorsdk.operator.processing.event.rate.LinearRateLimiter;

import java.time.Clock;
import java.util.function.Consumer;

/**
 * Builds the operator role: the four cluster-wide controllers (migrations, pools, NICs, node evacuation) on one JOSDK
 * Operator. It never touches a host. They read the kinds they share (NICs, Nodes, pools, claims, agent Leases)
 * through one informer per kind ({@link SharedInformers}), and informers of one kind share one object per version
 * ({@link InterningItemStore}).
 */
public final class OperatorRole {
    public static final String COMPONENT = "sriovlm-operator";

    private OperatorRole() {
    }

    public static Operator create(KubernetesClient client, OperatorConfig config, EvacuationConfig evacuation,
            MeterRegistry meters, Clock clock,
            Consumer<io.javaoperatorsdk.operator.api.config.ConfigurationServiceOverrider> extra) {
        Operator operator = new Operator(o -> {
            o.withKubernetesClient(client)
                    .withCloseClientOnStop(false)
                    // Status is written by our own PUTs with resourceVersion (io.sriovlm.status), never by SSA.
                    .withUseSSAToPatchPrimaryResource(false)
                    .withStopOnInformerErrorDuringStartup(true);
            extra.accept(o);
        });
        EventRecorder events = new EventRecorder(client, COMPONENT, clock);
        MigrationStatusWriter writer = MigrationStatusWriter.forOperator(client, events, clock);
        VfClaims claims = new VfClaims(client, clock);
        MigrationMetrics metrics = new MigrationMetrics(meters);
        SharedInformers informers = new SharedInformers(config.agentLeaseNamespace());
        operator.register(new SriovMigrationReconciler(config, informers, writer, claims,
                new MigrationHistory(client, config.history(), metrics), metrics, new ApiTrouble(client, clock), clock),
                o -> o.withName("sriovmigration").withFinalizer(Finalizers.ROLLBACK).withGenerationAware(false)
                        .withItemStore(InterningItemStore.of(SriovMigration.class)).watchingAllNamespaces());
        operator.register(new VfPoolReconciler(client, informers, new VfPoolStatusWriter(client), claims, events,
                clock),
                o -> o.withName("vfpool").withGenerationAware(false).withItemStore(InterningItemStore.of(VfPool.class))
                        .withRateLimiter(new LinearRateLimiter(VfPoolReconciler.AT_MOST_EVERY, 1)));
        operator.register(new HypervisorNicReconciler(client, informers, config, events, clock),
                o -> o.withName("hypervisornic").withGenerationAware(false)
                        .withItemStore(InterningItemStore.of(HypervisorNic.class)));
        operator.register(new EvacuationReconciler(client, informers, evacuation, events, clock),
                o -> o.withName("evacuation").withGenerationAware(false).withItemStore(InterningItemStore.of(Node.class)));
        return operator;
    }
}
