package io.sriovlm.operator.reconciler;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.sriovlm.api.v1alpha1.VfPool;
import io.sriovlm.api.v1alpha1.VfPoolStatus;
import io.sriovlm.status.StatusWriter;

import java.util.Optional;

/** The one writer of VfPool status (counts and conditions): the pool controller's. */
public final class VfPoolStatusWriter extends StatusWriter<VfPool> {

    public VfPoolStatusWriter(KubernetesClient client) {
        super(client, LOST_WRITE_HOLD);
    }

    /** @return the written pool, or empty when the pool changed since {@code base} was read */
    public Optional<VfPool> write(VfPool base, VfPoolStatus next) {
        VfPool desired = Serialization.clone(base);
        desired.setStatus(next);
        return write(desired);
    }
}
