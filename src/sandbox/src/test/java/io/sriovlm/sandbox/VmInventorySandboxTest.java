package io.sriovlm.sandbox;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.sriovlm.api.v1alpha1.ConditionTypes;
import io.sriovlm.api.v1alpha1.HypervisorNic;
import io.sriovlm.api.v1alpha1.MigrationPhase;
import io.sriovlm.api.v1alpha1.Reasons;
import io.sriovlm.api.v1alpha1.SriovMigration;
import io.sriovlm.api.v1alpha1.VmInventory;
import io.sriovlm.sandbox.api.ApiFaults;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

import static io.sriovlm.sandbox.SandboxFixture.awaitTerminal;
import static io.sriovlm.sandbox.SandboxFixture.create;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Sandbox tier: what a migration writes of its two nodes' reports. A VM moving changes what runs on the source and
 * the target, which is their VmInventories; their HypervisorNic statuses (tens of KiB of setup on a 64-VF host) are
 * not rewritten for it (docs/decisions/028-vm-inventory.md).
 */
@Tag("sandbox")
class VmInventorySandboxTest {
    @RegisterExtension
    static final SandboxExtension world = SandboxExtension.perClass(Duration.ofMillis(200)).checkingInvariantsAfterEach();

    @Test
    void aMigrationRewritesItsNodesVmInventoriesAndNotTheirNicStatuses() {
        KubernetesClient client = world.client();
        ApiFaults faults = world.sandbox().api().faults();
        List<ApiFaults.Request> writes = new CopyOnWriteArrayList<>();
        Consumer<ApiFaults.Request> record = r -> {
            if (r.subresource() != null && r.subresource().equals("status")
                    && List.of("hypervisornics", "vminventories").contains(r.resource())) {
                writes.add(r);
            }
        };
        faults.onWrite(record);
        try {
            create(client, "inv-vm-01", "vm-01", "hv2");
            SriovMigration done = awaitTerminal(client, "inv-vm-01", Duration.ofSeconds(30));
            assertThat(done.getStatus().phase).as(done.getStatus().message).isEqualTo(MigrationPhase.Succeeded);
        } finally {
            faults.removeWriteObserver(record);
        }

        assertThat(writes).filteredOn(r -> r.resource().equals("vminventories")).extracting(ApiFaults.Request::name)
                .as("the VM left hv1 and arrived on hv2").contains("hv1-" + Sandbox.PF, "hv2-" + Sandbox.PF);
        assertThat(writes).filteredOn(r -> r.resource().equals("hypervisornics"))
                .as("HypervisorNic status writes during the migration").isEmpty();
        VmInventory source = client.resources(VmInventory.class).withName("hv1-" + Sandbox.PF).get();
        VmInventory target = client.resources(VmInventory.class).withName("hv2-" + Sandbox.PF).get();
        assertThat(source.getStatus().vms).extracting(vm -> vm.name).doesNotContain("vm-01");
        assertThat(source.getStatus().vfs).noneMatch(vf -> "vm-01".equals(vf.attachedTo));
        assertThat(target.getStatus().vms).extracting(vm -> vm.name).contains("vm-01");
        assertThat(target.getStatus().vfs).anyMatch(vf -> "vm-01".equals(vf.attachedTo));
        assertThat(target.getMetadata().getOwnerReferences()).singleElement()
                .satisfies(o -> assertThat(o.getName()).isEqualTo("hv2-" + Sandbox.PF));
    }

    /**
     * An agent whose VmInventory the API server refuses (a Helm upgrade that did not apply crds/, or an older
     * ClusterRole) reports no VMs: it says so in AgentReady, which turns its NIC NotReady, and in a Warning Event,
     * each naming what to apply; allowed again, it reports and the NIC is Ready.
     */
    @Test
    void anAgentRefusedItsVmInventorySaysWhatToApplyAndRecoversOnceAllowed() {
        KubernetesClient client = world.client();
        ApiFaults faults = world.sandbox().api().faults();
        String nic = "hv1-" + Sandbox.PF;
        List<ApiFaults.Rule> forbidden = List.of(ApiFaults.Rule.probability("get", "vminventories", "", 403, 1),
                ApiFaults.Rule.probability("create", "vminventories", "", 403, 1));
        forbidden.forEach(faults::add);
        try {
            // A new agent: it has not read its inventory yet (the old one kept what it last wrote).
            world.sandbox().restartAgent("hv1");
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                var conditions = client.resources(HypervisorNic.class).withName(nic).get().getStatus().conditions;
                assertThat(conditions).anySatisfy(c -> {
                    assertThat(c.getType()).isEqualTo(ConditionTypes.AGENT_READY);
                    assertThat(c.getStatus()).isEqualTo("False");
                    assertThat(c.getReason()).isEqualTo(Reasons.INVENTORY_NOT_WRITABLE);
                    assertThat(c.getMessage()).contains("agent of hv1", "VmInventory " + nic,
                            "crds/vminventories.sriovlm.io.yaml", "update on vminventories/status");
                });
                assertThat(conditions).anySatisfy(c -> {
                    assertThat(c.getType()).isEqualTo(ConditionTypes.READY);
                    assertThat(c.getStatus()).isEqualTo("False");
                    assertThat(c.getMessage()).contains("crds/vminventories.sriovlm.io.yaml");
                });
            });
            assertThat(SandboxFixture.warnings(client, nic, Reasons.INVENTORY_NOT_WRITABLE)).isNotEmpty();
        } finally {
            forbidden.forEach(faults::remove);
        }
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(
                client.resources(HypervisorNic.class).withName(nic).get().getStatus().conditions)
                .anySatisfy(c -> {
                    assertThat(c.getType()).isEqualTo(ConditionTypes.READY);
                    assertThat(c.getStatus()).isEqualTo("True");
                }));
    }

    /** Refused the write of its inventory's status (an older ClusterRole), an agent says so until a write lands. */
    @Test
    void anAgentRefusedTheWriteOfItsVmInventorySaysSoUntilAWriteLands() {
        KubernetesClient client = world.client();
        ApiFaults faults = world.sandbox().api().faults();
        String nic = "hv2-" + Sandbox.PF;
        // The stored inventory misses a VM, so the agent must write it (read fresh at its restart below).
        VmInventory stored = client.resources(VmInventory.class).withName(nic).get();
        stored.getStatus().vms.clear();
        client.resource(stored).updateStatus();
        ApiFaults.Rule forbidden = ApiFaults.Rule.probability("update", "vminventories", "status", 403, 1);
        faults.add(forbidden);
        try {
            world.sandbox().restartAgent("hv2");
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(
                    client.resources(HypervisorNic.class).withName(nic).get().getStatus().conditions)
                    .anySatisfy(c -> {
                        assertThat(c.getType()).isEqualTo(ConditionTypes.AGENT_READY);
                        assertThat(c.getStatus()).isEqualTo("False");
                        assertThat(c.getReason()).isEqualTo(Reasons.INVENTORY_NOT_WRITABLE);
                        assertThat(c.getMessage()).contains("may not write the status of VmInventory " + nic,
                                "update on vminventories/status");
                    }));
        } finally {
            faults.remove(forbidden);
        }
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            assertThat(client.resources(VmInventory.class).withName(nic).get().getStatus().vms).isNotEmpty();
            assertThat(client.resources(HypervisorNic.class).withName(nic).get().getStatus().conditions)
                    .anySatisfy(c -> {
                        assertThat(c.getType()).isEqualTo(ConditionTypes.AGENT_READY);
                        assertThat(c.getStatus()).isEqualTo("True");
                    });
        });
    }
}
