package io.sriovlm.operator.reconciler;

import io.fabric8.kubernetes.client.utils.Serialization;
import io.sriovlm.api.v1alpha1.HypervisorNic;
import io.sriovlm.common.Timestamps;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static io.sriovlm.testing.Objects.NOW;
import static io.sriovlm.testing.Objects.nic;
import static org.assertj.core.api.Assertions.assertThat;

class ClusterCachesTest {

    @Test
    void aReportThatOnlyMovesTheHeartbeatIsNoEventButAnyOtherChangeIs() {
        HypervisorNic before = nic("hv1", Map.of("vm-01", 0));
        HypervisorNic heartbeat = Serialization.clone(before);
        heartbeat.getStatus().heartbeatTime = Timestamps.format(NOW.plusSeconds(10));
        assertThat(ClusterCaches.onlyTheHeartbeatChanged(heartbeat, before)).isTrue();

        HypervisorNic detached = Serialization.clone(heartbeat);
        detached.getStatus().vfs.get(0).attachedTo = null;
        assertThat(ClusterCaches.onlyTheHeartbeatChanged(detached, before)).isFalse();

        HypervisorNic vmGone = Serialization.clone(heartbeat);
        vmGone.getStatus().vms.clear();
        assertThat(ClusterCaches.onlyTheHeartbeatChanged(vmGone, before)).isFalse();

        HypervisorNic relabelled = Serialization.clone(heartbeat);
        relabelled.getMetadata().setLabels(Map.of("sriovlm.io/node", "hv9"));
        assertThat(ClusterCaches.onlyTheHeartbeatChanged(relabelled, before)).isFalse();
        assertThat(ClusterCaches.onlyTheHeartbeatChanged(heartbeat, null)).isFalse();
    }
}
