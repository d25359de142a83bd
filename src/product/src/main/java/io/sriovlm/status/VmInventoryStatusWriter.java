package io.sriovlm.status;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.sriovlm.api.v1alpha1.VmInventory;
import io.sriovlm.api.v1alpha1.VmInventoryStatus;

import java.time.Duration;
import java.util.Optional;

/**
 * The one writer of VmInventory: its node's agent creates it (spec only, once) and reports what runs on the host in
 * its status, with optimistic concurrency like every status write. The agent is its only writer, so a conflict means
 * an older agent of the same node, or a write of its own the agent has not seen yet.
 */
public final class VmInventoryStatusWriter extends StatusWriter<VmInventory> {
    private static final String HEARTBEAT_FIELD = "heartbeatTime";

    public VmInventoryStatusWriter(KubernetesClient client) {
        super(client, Duration.ZERO);
    }

    /**
     * Creates {@code inventory} (its status is not kept: the API server drops it on create).
     *
     * @return the created object, or empty when it exists already
     */
    public Optional<VmInventory> create(VmInventory inventory) {
        try {
            return Optional.of(remember(client().resource(inventory).create()));
        } catch (KubernetesClientException e) {
            if (e.getCode() == 409) {
                return Optional.empty();
            }
            throw e;
        }
    }

    /**
     * The agent's report: {@code report} replaces the whole status.
     *
     * @return the written object, or empty when someone wrote since {@code base} was read
     */
    public Optional<VmInventory> report(VmInventory base, VmInventoryStatus report) {
        VmInventory desired = Serialization.clone(base);
        desired.setStatus(report);
        return write(desired);
    }

    /** Whether writing {@code report} on {@code base} would change nothing but the heartbeat time. */
    public static boolean changesNothing(VmInventory base, VmInventoryStatus report) {
        return base.getStatus() != null && sameApartFromHeartbeat(base.getStatus(), report);
    }

    /** Whether two statuses differ in nothing but {@code heartbeatTime}. */
    public static boolean sameApartFromHeartbeat(VmInventoryStatus a, VmInventoryStatus b) {
        return sameApartFrom(a, b, HEARTBEAT_FIELD);
    }
}
