package io.sriovlm.agent.reconciler;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.sriovlm.api.v1alpha1.HeartbeatLeases;
import io.sriovlm.api.v1alpha1.Labels;
import org.jboss.logging.Logger;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;

/**
 * This node's heartbeat Lease. Its renewTime is the time the agent last looked at its host and found its
 * HypervisorNic and VmInventory statuses current, so the operator takes the later of it and the statuses'
 * heartbeatTimes as "the agent vouched for this host at" (docs/decisions/023-heartbeat-leases.md). It names the
 * statuses it found current by their heartbeatTimes ({@link HeartbeatLeases#VOUCHES_FOR},
 * {@link HeartbeatLeases#VOUCHES_FOR_INVENTORY}), because the operator may see the Lease before it sees them. Written with optimistic concurrency (a PUT carrying the resourceVersion last seen), created
 * when missing.
 */
final class HeartbeatLease {
    private static final Logger LOG = Logger.getLogger(HeartbeatLease.class);

    private final KubernetesClient client;
    private final String namespace;
    private final String name;
    private final String node;
    /** The Lease as this agent last wrote or read it; null: read it first. */
    private Lease last;
    /** The last renewal error logged, so that a lasting one is logged once rather than at every heartbeat. */
    private String lastError;

    HeartbeatLease(KubernetesClient client, String namespace, String node) {
        this.client = client;
        this.namespace = namespace;
        this.name = HeartbeatLeases.nameFor(node);
        this.node = node;
    }

    /**
     * @param observedAt         when the agent found its statuses current
     * @param statusHeartbeat    the HypervisorNic status's heartbeatTime
     * @param inventoryHeartbeat the VmInventory status's heartbeatTime
     * @return whether the Lease now says {@code observedAt}
     */
    synchronized boolean renew(Instant observedAt, String statusHeartbeat, String inventoryHeartbeat) {
        ZonedDateTime renewTime = ZonedDateTime.ofInstant(observedAt, ZoneOffset.UTC);
        for (int attempt = 1; attempt <= 2; attempt++) {
            try {
                Lease base = last != null ? last : client.leases().inNamespace(namespace).withName(name).get();
                if (base == null) {
                    last = client.leases().inNamespace(namespace).resource(new LeaseBuilder()
                            .withNewMetadata().withName(name).withNamespace(namespace)
                            .addToLabels(Labels.NODE, node)
                            .addToAnnotations(HeartbeatLeases.VOUCHES_FOR, statusHeartbeat)
                            .addToAnnotations(HeartbeatLeases.VOUCHES_FOR_INVENTORY, inventoryHeartbeat).endMetadata()
                            .withNewSpec().withHolderIdentity(node).withRenewTime(renewTime).endSpec().build())
                            .create();
                } else {
                    last = client.resource(new LeaseBuilder(base).editMetadata().addToLabels(Labels.NODE, node)
                            .addToAnnotations(HeartbeatLeases.VOUCHES_FOR, statusHeartbeat)
                            .addToAnnotations(HeartbeatLeases.VOUCHES_FOR_INVENTORY, inventoryHeartbeat).endMetadata()
                            .editOrNewSpec().withHolderIdentity(node).withRenewTime(renewTime).endSpec()
                            .build()).update();
                }
                lastError = null;
                return true;
            } catch (KubernetesClientException e) {
                last = null; // someone else wrote it (409), or it is gone or already there: read it again
                if (attempt == 2 || (e.getCode() != 409 && e.getCode() != 404)) {
                    if (!String.valueOf(e.getMessage()).equals(lastError)) {
                        LOG.warnf("heartbeat Lease %s/%s not renewed, the HypervisorNic status carries the heartbeat"
                                + " instead: %s", namespace, name, e.getMessage());
                    }
                    lastError = String.valueOf(e.getMessage());
                    return false;
                }
            }
        }
        return false;
    }
}
