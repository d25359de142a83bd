package io.sriovlm.operator.reconciler;

import io.sriovlm.testing.Objects;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.sriovlm.api.v1alpha1.HeartbeatLeases;
import io.sriovlm.api.v1alpha1.HypervisorNic;
import io.sriovlm.api.v1alpha1.VmInventory;
import io.sriovlm.api.v1alpha1.Labels;
import io.sriovlm.common.Timestamps;
import io.sriovlm.operator.placement.AgentLiveness;
import org.junit.jupiter.api.Test;

import java.time.ZoneOffset;
import java.util.Map;

import static io.sriovlm.testing.Objects.NOW;
import static io.sriovlm.testing.Objects.nic;
import static org.assertj.core.api.Assertions.assertThat;

class ClusterCachesTest {

    @Test
    void anInventoryThatOnlyMovesTheHeartbeatIsNoEventButAVmOrVfThatMovedIs() {
        VmInventory before = Objects.running(nic("hv1", Map.of("vm-01", 0)));
        VmInventory heartbeat = Serialization.clone(before);
        heartbeat.getStatus().heartbeatTime = Timestamps.format(NOW.plusSeconds(10));
        assertThat(ClusterCaches.onlyTheHeartbeatChanged(heartbeat, before)).isTrue();

        VmInventory detached = Serialization.clone(heartbeat);
        detached.getStatus().vfs.get(0).attachedTo = null;
        assertThat(ClusterCaches.onlyTheHeartbeatChanged(detached, before)).isFalse();

        VmInventory vmGone = Serialization.clone(heartbeat);
        vmGone.getStatus().vms.clear();
        assertThat(ClusterCaches.onlyTheHeartbeatChanged(vmGone, before)).isFalse();
        assertThat(ClusterCaches.onlyTheHeartbeatChanged(heartbeat, null)).as("a new inventory").isFalse();
    }

    @Test
    void aReportThatOnlyMovesTheHeartbeatIsNoEventButAnyOtherChangeIs() {
        HypervisorNic before = nic("hv1", Map.of("vm-01", 0));
        HypervisorNic heartbeat = Serialization.clone(before);
        heartbeat.getStatus().heartbeatTime = Timestamps.format(NOW.plusSeconds(10));
        assertThat(ClusterCaches.onlyTheHeartbeatChanged(heartbeat, before)).isTrue();

        HypervisorNic unready = Serialization.clone(heartbeat);
        unready.getStatus().conditions.clear();
        assertThat(ClusterCaches.onlyTheHeartbeatChanged(unready, before)).isFalse();

        HypervisorNic relabelled = Serialization.clone(heartbeat);
        relabelled.getMetadata().setLabels(Map.of("sriovlm.io/node", "hv9"));
        assertThat(ClusterCaches.onlyTheHeartbeatChanged(relabelled, before)).isFalse();
        assertThat(ClusterCaches.onlyTheHeartbeatChanged(heartbeat, null)).isFalse();
    }

    @Test
    void aHeartbeatLeaseSaysWhenAndForWhichStatusAndOtherLeasesSayNothing() {
        assertThat(ClusterCaches.renewalOf(lease("sriovlm-agent-hv1", "hv1", Timestamps.format(NOW))))
                .isEqualTo(new AgentLiveness.Renewal(NOW.plusSeconds(5), NOW, null));
        assertThat(ClusterCaches.renewalOf(lease("sriovlm-agent-hv1", "hv1", null)))
                .as("an agent that predates the annotation").isEqualTo(new AgentLiveness.Renewal(NOW.plusSeconds(5), null, null));
        assertThat(ClusterCaches.renewalOf(lease("sriovlm-agent-hv1", "hv1", "yesterday")))
                .as("not the agent's writing").isNull();
        assertThat(ClusterCaches.renewalOf(lease("sriovlm-agent-hv2", "hv1", Timestamps.format(NOW))))
                .as("a Lease named for another node").isNull();
        Lease unlabelled = lease("sriovlm-agent-hv1", "hv1", null);
        unlabelled.getMetadata().setLabels(null);
        assertThat(ClusterCaches.renewalOf(unlabelled)).isNull();
    }

    private static Lease lease(String name, String node, String vouchesFor) {
        LeaseBuilder lease = new LeaseBuilder().withNewMetadata().withName(name).addToLabels(Labels.NODE, node)
                .endMetadata().withNewSpec().withRenewTime(NOW.plusSeconds(5).atZone(ZoneOffset.UTC)).endSpec();
        if (vouchesFor != null) {
            lease.editMetadata().addToAnnotations(HeartbeatLeases.VOUCHES_FOR, vouchesFor).endMetadata();
        }
        return lease.build();
    }
}
