package io.sriovlm.operator.reconciler;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.sriovlm.api.v1alpha1.MigrationPhase;
import io.sriovlm.api.v1alpha1.SriovMigration;
import io.sriovlm.api.v1alpha1.VfPool;
import io.sriovlm.api.v1alpha1.VfPoolStatus;
import io.sriovlm.operator.placement.TargetSelector.Choice;
import io.sriovlm.operator.placement.VfLedger;
import io.sriovlm.status.StatusWriter;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.util.List;
import java.util.Optional;

/**
 * The one writer of VfPool status, the VF ledger, shared by the operator's controllers: the pool controller rebuilds
 * it from the agents' inventories, the migration controller reserves a VF on admission and releases it at the end.
 * The ledger's rules are {@link VfLedger}'s pure functions; every write carries the resourceVersion it was computed
 * on, so two reservations of one VF cannot both land. One instance per operator, so that each controller reads the
 * other's writes (and its own) before the informer delivers them.
 */
public final class VfPoolLedgerWriter extends StatusWriter<VfPool> {
    private static final Logger LOG = Logger.getLogger(VfPoolLedgerWriter.class);
    private static final int RELEASE_ATTEMPTS = 5;

    private final Clock clock;

    public VfPoolLedgerWriter(KubernetesClient client, Clock clock) {
        super(client);
        this.clock = clock;
    }

    /**
     * Replaces the pool's ledger with one rebuilt from the inventories.
     *
     * @return the written pool, or empty when the pool changed since {@code base} was read
     */
    public Optional<VfPool> rebuild(VfPool base, VfPoolStatus next) {
        VfPool desired = Serialization.clone(base);
        desired.setStatus(next);
        return write(desired);
    }

    /**
     * Reserves the chosen VF for the migration, on the freshest of {@code pools} this operator knows.
     *
     * @return false when the VF is no longer free or the pool changed meanwhile (decide again)
     */
    public boolean reserve(List<VfPool> pools, SriovMigration m, Choice choice) {
        VfPool pool = pools.stream().filter(p -> p.getMetadata().getName().equals(choice.pool())).findFirst()
                .map(this::freshest).orElse(null);
        if (pool == null || pool.getStatus() == null) {
            return false;
        }
        VfPool desired = Serialization.clone(pool);
        try {
            VfLedger.reserve(desired.getStatus(), choice.node(), choice.vfPciAddress(), new VfLedger.Holder(
                    m.getSpec().vmName, m.getMetadata().getNamespace() + "/" + m.getMetadata().getName(),
                    m.getMetadata().getUid()), clock.instant());
        } catch (IllegalStateException e) {
            LOG.debugf("reservation for %s lost: %s", m.getMetadata().getName(), e.getMessage());
            return false;
        }
        return write(desired).isPresent();
    }

    /**
     * Drops the migration's reservation from every pool that holds one; idempotent. After a success the VF is handed
     * to the VM rather than freed ({@link VfLedger#release}). A conflict reads the pool again: the release must land,
     * or the VF would stay reserved until the pool controller rebuilds the ledger.
     */
    public void release(List<VfPool> pools, SriovMigration m) {
        String uid = m.getMetadata().getUid();
        boolean handToVm = m.getStatus() != null && m.getStatus().phase == MigrationPhase.Succeeded;
        for (VfPool cached : pools) {
            VfPool pool = freshest(cached);
            for (int attempt = 0; attempt < RELEASE_ATTEMPTS && pool != null && pool.getStatus() != null
                    && VfLedger.reservationOf(pool.getStatus(), uid).isPresent(); attempt++) {
                VfPool desired = Serialization.clone(pool);
                VfLedger.release(desired.getStatus(), uid, handToVm, clock.instant());
                if (write(desired).isPresent()) {
                    break;
                }
                pool = client().resource(pool).get();
            }
        }
    }
}
