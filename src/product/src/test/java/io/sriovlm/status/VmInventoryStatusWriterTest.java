package io.sriovlm.status;

import io.sriovlm.api.v1alpha1.VmInventory;
import io.sriovlm.api.v1alpha1.VmInventoryStatus;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class VmInventoryStatusWriterTest {

    @Test
    void aVfAttachedOrDetachedSinceTheStoredReportIsAChangeAndTheHeartbeatAloneIsNot() {
        VmInventory stored = new VmInventory();
        stored.setStatus(report("2026-12-05T10:00:00Z", "vm-01"));

        assertThat(VmInventoryStatusWriter.changesNothing(stored, report("2026-12-05T10:00:10Z", null))).isFalse();
        assertThat(VmInventoryStatusWriter.changesNothing(stored, report("2026-12-05T10:00:10Z", "vm-02"))).isFalse();
        assertThat(VmInventoryStatusWriter.changesNothing(stored, report("2026-12-05T10:00:10Z", "vm-01"))).isTrue();
    }

    @Test
    void anInventoryWithoutAStatusYetIsAlwaysWritten() {
        VmInventory created = new VmInventory();
        created.setStatus(null);

        assertThat(VmInventoryStatusWriter.changesNothing(created, report("2026-12-05T10:00:10Z", null))).isFalse();
    }

    private static VmInventoryStatus report(String heartbeat, String vfAttachedTo) {
        VmInventoryStatus status = new VmInventoryStatus();
        status.heartbeatTime = heartbeat;
        VmInventoryStatus.VfStatus vf = new VmInventoryStatus.VfStatus();
        vf.index = 1;
        vf.pciAddress = "0000:06:00.1";
        vf.attachedTo = vfAttachedTo;
        status.vfs.add(vf);
        return status;
    }
}
