package io.sriovlm.operator.reconciler;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.sriovlm.api.v1alpha1.Labels;
import io.sriovlm.api.v1alpha1.SriovMigration;
import io.sriovlm.metrics.MigrationMetrics;
import io.sriovlm.operator.HistoryConfig;
import io.sriovlm.operator.history.HistoryRetention;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Deletes the finished SriovMigrations that {@link HistoryRetention} lets go. Runs when a migration of the VM is
 * reconciled in a terminal phase, so the newest finished one prunes its elders, and each kept one looks again when its
 * TTL runs out. Deleting one releases nothing by itself: its VF reservation was released when it finished, and the
 * cleanup that removes the finalizer releases again (idempotent).
 */
public final class MigrationHistory {
    private static final Logger LOG = Logger.getLogger(MigrationHistory.class);
    private static final Duration CONFLICT_RETRY = Duration.ofSeconds(1);

    private final KubernetesClient client;
    private final HistoryConfig config;
    private final MigrationMetrics metrics;

    public MigrationHistory(KubernetesClient client, HistoryConfig config, MigrationMetrics metrics) {
        this.client = client;
        this.config = config;
        this.metrics = metrics;
    }

    /**
     * Deletes what retention lets go among {@code ofOneVm}.
     *
     * @return when to look at the VM's history again
     */
    Optional<Duration> prune(List<SriovMigration> ofOneVm, Map<String, Node> nodes, Instant now) {
        HistoryRetention.Plan plan = HistoryRetention.plan(ofOneVm, m -> heldByEvacuation(m, nodes), config, now);
        Optional<Duration> lookAgainIn = plan.lookAgainIn();
        for (HistoryRetention.Deletion deletion : plan.deletions()) {
            SriovMigration m = deletion.migration();
            try {
                // On the version judged: one recreated under the same name, or changed since, is judged again.
                client.resource(m).lockResourceVersion(m.getMetadata().getResourceVersion()).delete();
                metrics.recordDeleted(deletion.cause().name());
                LOG.infof("deleted finished SriovMigration %s/%s of VM %s (%s)", m.getMetadata().getNamespace(),
                        m.getMetadata().getName(), m.getSpec().vmName, deletion.cause());
            } catch (KubernetesClientException e) {
                if (e.getCode() == 409) {
                    lookAgainIn = Optional.of(CONFLICT_RETRY);
                } else if (e.getCode() != 404) {
                    throw e;
                }
            }
        }
        return lookAgainIn;
    }

    /** A migration of a node evacuation that is still under way: the evacuation reads it to know its VM moved. */
    private static boolean heldByEvacuation(SriovMigration m, Map<String, Node> nodes) {
        String node = m.getMetadata().getLabels() == null ? null : m.getMetadata().getLabels().get(Labels.EVACUATION);
        return node != null && nodes.containsKey(node) && EvacuationReconciler.underWay(nodes.get(node));
    }
}
