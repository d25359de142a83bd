package io.sriovlm.operator.reconciler;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.javaoperatorsdk.operator.api.config.Cloner;
import io.sriovlm.api.v1alpha1.HypervisorNic;

/**
 * What JOSDK copies before it hands a primary to the operator's reconcilers: every kind but {@link HypervisorNic}.
 * JOSDK copies each primary before each reconcile (serialized and read back) so that a reconciler cannot change its
 * cache. The NIC controller reconciles at every NIC report of the fleet, some 57 KiB each at 64 VFs, and only reads
 * the NIC: it writes through {@code HypervisorNicStatusWriter}, which works on its own copy. That copy was 10 % of the
 * operator's CPU at 1,000 nodes. {@code HypervisorNicReadOnlySandboxTest} checks that the cached NICs stay as the
 * API server has them.
 */
public final class PrimaryCloner implements Cloner {
    private final KubernetesSerialization serialization;

    public PrimaryCloner(KubernetesSerialization serialization) {
        this.serialization = serialization;
    }

    @Override
    public <R extends HasMetadata> R clone(R object) {
        return object instanceof HypervisorNic ? object : serialization.clone(object);
    }
}
