package io.sriovlm.operator.phases;

import io.sriovlm.api.v1alpha1.HypervisorNic;
import io.sriovlm.api.v1alpha1.VmInventory;
import io.sriovlm.operator.OperatorConfig;
import io.sriovlm.operator.placement.AgentLiveness;
import io.sriovlm.operator.placement.ReportedVms;
import io.sriovlm.operator.placement.TeamingMacs;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.sriovlm.testing.Objects;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static io.sriovlm.testing.Objects.NOW;
import static io.sriovlm.testing.Objects.nic;
import static io.sriovlm.testing.Objects.node;
import static org.assertj.core.api.Assertions.assertThat;

class ClusterViewTest {
    private final Map<String, HypervisorNic> nics = Map.of(
            "hv1", nic("hv1", Map.of("vm-01", 0)),
            "hv2", nic("hv2", Map.of("vm-02", 1)),
            "hv3", nic("hv3", Map.of("vm-03", 2)));

    private ClusterView viewWith(ReportedVms index) {
        Map<String, VmInventory> inventories = Objects.inventories(nics);
        ClusterView indexed = Objects.view(nics, Map.of("hv1", node("hv1"), "hv2", node("hv2"), "hv3", node("hv3")),
                List.of(Objects.pool("pool-a")), List.of(), List.of(), OperatorConfig.defaults());
        return new ClusterView(nics, inventories, indexed.nodes(), indexed.pools(), indexed.ledger(), List.of(),
                indexed.config(), NOW, AgentLiveness.Renewals.NONE, index);
    }

    /**
     * An index as the informer's may be a moment after the snapshot: {@code vm} (with its teaming MAC) has moved from
     * {@code from} to {@code to}, which only the index's newer inventory of {@code to} shows.
     */
    private ReportedVms movedTo(String from, String to, String vm) {
        VmInventory newer = Serialization.clone(Objects.running(nics.get(to)));
        newer.getStatus().vms.add(Objects.running(nics.get(from)).getStatus().vms.stream()
                .filter(v -> v.name.equals(vm)).findFirst().orElseThrow());
        return ReportedVms.of(List.of(newer));
    }

    @Test
    void aVmIsFoundWhereTheIndexAndTheSnapshotBothReportIt() {
        ClusterView view = viewWith(ReportedVms.of(Objects.inventories(nics).values()));
        assertThat(view.nodesReporting("vm-02")).containsExactly("hv2");
        assertThat(view.nodesReporting("vm-99")).isEmpty();
        String mac = Objects.teaming(1).mac.toUpperCase();
        assertThat(view.inventoriesUsingMac(mac)).containsOnlyKeys("hv2");
        assertThat(view.inventoriesUsingMac(null)).isEmpty();
    }

    @Test
    void aVmTheIndexPlacesOnlyWhereTheSnapshotLacksItIsLookedForInTheSnapshot() {
        // Not seeing the VM anywhere would end its migration with VmNotFound, so the snapshot is walked.
        ClusterView view = viewWith(movedTo("hv1", "hv3", "vm-01"));
        assertThat(view.nodesReporting("vm-01")).containsExactly("hv1");
    }

    @Test
    void aMacIsLookedUpInTheSnapshotsInventoriesOfTheNodesTheIndexNames() {
        String mac = Objects.teaming(0).mac;
        ClusterView view = viewWith(movedTo("hv1", "hv3", "vm-01"));
        assertThat(view.inventoriesUsingMac(mac)).containsOnlyKeys("hv3");
        assertThat(view.inventoriesUsingMac(mac).get("hv3")).isSameAs(view.inventoriesByNode().get("hv3"));
        assertThat(TeamingMacs.sharing("vm-02", mac, view.inventoriesUsingMac(mac)))
                .as("the snapshot's hv3 does not run vm-01 yet").isEmpty();
    }

    @Test
    void theIndexesListWhatAnInventoryReports() {
        VmInventory inventory = Objects.running(nic("hv4", Map.of("vm-07", 3, "vm-08", 1)));
        assertThat(ReportedVms.INDEXERS.get(ReportedVms.BY_VM).apply(inventory))
                .containsExactlyInAnyOrder("vm-07", "vm-08");
        assertThat(ReportedVms.INDEXERS.get(ReportedVms.BY_TEAMING_MAC).apply(inventory))
                .containsExactlyInAnyOrder(Objects.teaming(3).mac.toLowerCase(), Objects.teaming(1).mac.toLowerCase());
        inventory.setStatus(null);
        assertThat(ReportedVms.vmNames(inventory)).isEmpty();
        assertThat(ReportedVms.teamingMacs(inventory)).isEmpty();
    }
}
