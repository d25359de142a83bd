package io.sriovlm.status;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.sriovlm.api.v1alpha1.ConditionTypes;
import io.sriovlm.api.v1alpha1.HypervisorNic;
import io.sriovlm.api.v1alpha1.HypervisorNicStatus;
import io.sriovlm.common.Conditions;
import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/** Unit tier: when an agent's report is only a heartbeat (it renews its Lease) and when it must be written. */
class HypervisorNicStatusWriterTest {
    private static final Instant T0 = Instant.parse("2026-12-05T10:00:00Z");

    @Test
    void aReportThatOnlyMovesTheHeartbeatChangesNothingAndIsLeftAsItWas() {
        HypervisorNic stored = nicWith(report("2026-12-05T10:00:00Z", null));
        // The operator's Ready is on the stored status only: the agent's report never carries it.
        Conditions.set(stored.getStatus().conditions, ConditionTypes.READY, true, "Reporting", "agent reports", 1L, T0);
        HypervisorNicStatus next = report("2026-12-05T10:00:10Z", null);
        String before = Serialization.asJson(next);

        assertThat(HypervisorNicStatusWriter.changesNothing(stored, next)).isTrue();
        assertThat(Serialization.asJson(next)).as("the report the agent writes later is untouched").isEqualTo(before);
    }

    @Test
    void aDriftFoundOrClearedSinceTheStoredReportIsAChange() {
        HypervisorNic stored = nicWith(report("2026-12-05T10:00:00Z", "numVfs is 2, spec says 4"));

        assertThat(HypervisorNicStatusWriter.changesNothing(stored, report("2026-12-05T10:00:10Z", null))).isFalse();
        assertThat(HypervisorNicStatusWriter.changesNothing(stored, report("2026-12-05T10:00:10Z", "numVfs is 3, spec says 4"))).isFalse();
        assertThat(HypervisorNicStatusWriter.changesNothing(stored, report("2026-12-05T10:00:10Z", "numVfs is 2, spec says 4"))).isTrue();
    }

    @Test
    void aNicWithoutAStatusYetIsAlwaysWritten() {
        HypervisorNic fresh = nicWith(null);

        assertThat(HypervisorNicStatusWriter.changesNothing(fresh, report("2026-12-05T10:00:10Z", null))).isFalse();
    }

    private static HypervisorNicStatus report(String heartbeat, String drift) {
        HypervisorNicStatus status = new HypervisorNicStatus();
        status.heartbeatTime = heartbeat;
        if (drift != null) {
            status.drift.add(drift);
        }
        return status;
    }

    private static HypervisorNic nicWith(HypervisorNicStatus status) {
        HypervisorNic nic = new HypervisorNic();
        nic.setMetadata(new ObjectMetaBuilder().withName("hv1").withGeneration(1L).build());
        nic.setStatus(status);
        return nic;
    }
}
