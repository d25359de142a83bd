package io.sriovlm.operator.placement;

import io.sriovlm.api.v1alpha1.HypervisorNic;
import io.sriovlm.testing.Objects;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class TeamingMacsTest {

    @Test
    void twoVmsWithOneMacAreDuplicatesWhereverTheyRun() {
        // The helper derives a VM's MAC from its SF index: vm-01 and vm-07 share 52:54:00:00:00:00.
        HypervisorNic hv1 = Objects.nic("hv1", Map.of("vm-01", 0, "vm-02", 1));
        HypervisorNic hv2 = Objects.nic("hv2", Map.of("vm-07", 0));
        var duplicates = TeamingMacs.duplicates(List.of(Objects.running(hv1), Objects.running(hv2)));
        assertThat(duplicates).containsOnlyKeys("52:54:00:00:00:00");
        assertThat(duplicates.get("52:54:00:00:00:00")).containsExactly(new TeamingMacs.Holder("vm-01", "hv1"),
                new TeamingMacs.Holder("vm-07", "hv2"));
        assertThat(TeamingMacs.sharing("vm-01", "52:54:00:00:00:00", Objects.inventories(Map.of("hv1", hv1, "hv2", hv2))))
                .containsExactly(new TeamingMacs.Holder("vm-07", "hv2"));
        assertThat(TeamingMacs.sharing("vm-02", "52:54:00:00:00:01", Objects.inventories(Map.of("hv1", hv1, "hv2", hv2)))).isEmpty();
    }

    @Test
    void oneVmReportedOnTwoNodesDuringItsMigrationIsNoDuplicate() {
        HypervisorNic source = Objects.nic("hv1", Map.of("vm-01", 0));
        HypervisorNic target = Objects.nic("hv2", Map.of("vm-01", 0));
        assertThat(TeamingMacs.duplicates(List.of(Objects.running(source), Objects.running(target)))).isEmpty();
        assertThat(TeamingMacs.sharing("vm-01", "52:54:00:00:00:00", Objects.inventories(Map.of("hv1", source, "hv2", target)))).isEmpty();
    }

    @Test
    void aDuplicateListsEveryHolderSortedAndAMovingVmOnBothItsNodes() {
        HypervisorNic hv1 = Objects.nic("hv1", Map.of("vm-07", 0, "vm-02", 1));
        HypervisorNic hv2 = Objects.nic("hv2", Map.of("vm-01", 0));
        HypervisorNic hv3 = Objects.nic("hv3", Map.of("vm-01", 0));
        var duplicates = TeamingMacs.duplicates(List.of(Objects.running(hv3), Objects.running(hv1),
                Objects.running(hv2)));
        assertThat(duplicates).containsOnlyKeys("52:54:00:00:00:00");
        assertThat(duplicates.get("52:54:00:00:00:00")).containsExactly(new TeamingMacs.Holder("vm-01", "hv2"),
                new TeamingMacs.Holder("vm-01", "hv3"), new TeamingMacs.Holder("vm-07", "hv1"));
    }

    @Test
    void macsCompareWithoutCase() {
        HypervisorNic hv1 = Objects.nic("hv1", Map.of("vm-01", 0));
        HypervisorNic hv2 = Objects.nic("hv2", Map.of("vm-07", 0));
        Objects.running(hv2).getStatus().vms.get(0).teaming.mac = "52:54:00:00:00:00".toUpperCase();
        assertThat(TeamingMacs.duplicates(List.of(Objects.running(hv1), Objects.running(hv2)))).hasSize(1);
    }
}
