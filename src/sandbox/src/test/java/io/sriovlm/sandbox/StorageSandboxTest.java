package io.sriovlm.sandbox;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.sriovlm.agent.libvirt.Hypervisor;
import io.sriovlm.agent.libvirt.TeamingXml;
import io.sriovlm.api.v1alpha1.ConditionTypes;
import io.sriovlm.api.v1alpha1.CopyStorage;
import io.sriovlm.api.v1alpha1.HypervisorNic;
import io.sriovlm.api.v1alpha1.MigrationOptions;
import io.sriovlm.api.v1alpha1.MigrationPhase;
import io.sriovlm.api.v1alpha1.Reasons;
import io.sriovlm.api.v1alpha1.SriovMigration;
import io.sriovlm.common.Conditions;
import io.sriovlm.testing.host.FakeNicNames;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.List;

import static io.sriovlm.sandbox.SandboxFixture.awaitTerminal;
import static io.sriovlm.sandbox.SandboxFixture.create;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Sandbox tier: a VM with a local disk goes only to a target whose libvirt has that storage as a pool, or with
 * {@code spec.options.copyStorage}, which reaches libvirt as the migration's non-shared-disk flag.
 */
@Tag("sandbox")
class StorageSandboxTest {
    @RegisterExtension
    final SandboxExtension world = SandboxExtension.perTest(Duration.ofMillis(200));

    static final String DISK = "<disk type='file' device='disk'><source file='/var/lib/libvirt/images/vm-04.qcow2'/>"
            + "<target dev='vda' bus='virtio'/></disk>";

    @Test
    void aLocalDiskNeedsTheTargetToSeeItsStorageOrACopy() throws Exception {
        Sandbox sandbox = world.sandbox();
        KubernetesClient client = world.client();
        sandbox.host("hv1").define(Sandbox.teamedDomain("vm-04", 3, FakeNicNames.pciAddressOfVf(Sandbox.PF_PCI, 3))
                .replace("<devices>", "<devices>" + DISK), true);
        await().atMost(Duration.ofSeconds(15)).until(() -> Inventories.vms(client, "hv1-" + Sandbox.PF).stream()
                .anyMatch(v -> "vm-04".equals(v.name) && v.disks != null && v.disks.size() == 1));

        // hv2's libvirt has no pool: refused before anything is touched, and a dry run says why.
        create(client, "dry-04", "vm-04", "hv2", spec -> spec.dryRun = true);
        SriovMigration dry = awaitTerminal(client, "dry-04", Duration.ofSeconds(20));
        assertThat(Conditions.find(dry.getStatus().conditions, ConditionTypes.PREFLIGHT_STORAGE)).hasValueSatisfying(c -> {
            assertThat(c.getStatus()).isEqualTo(Conditions.FALSE);
            assertThat(c.getReason()).isEqualTo(Reasons.STORAGE_NOT_SHARED);
        });
        create(client, "m-04", "vm-04", "hv2");
        SriovMigration refused = awaitTerminal(client, "m-04", Duration.ofSeconds(20));
        assertThat(refused.getStatus().failureReason).isEqualTo(Reasons.STORAGE_NOT_SHARED);
        assertThat(refused.getStatus().message).contains("disk vda of vm-04 (/var/lib/libvirt/images/vm-04.qcow2) is on"
                + " no storage pool of hv2's libvirt (it has none)").contains("copyStorage: all");
        assertThat(TeamingXml.inspect(sandbox.host("hv1").domain("vm-04").orElseThrow().xml()).primaryAttached()).isTrue();

        // hv2 has the images pool: it goes, nothing copied.
        sandbox.host("hv2").setStoragePools(new Hypervisor.StoragePool("images", "netfs", "/var/lib/libvirt/images"));
        await().atMost(Duration.ofSeconds(15)).until(() -> client.resources(HypervisorNic.class)
                .withName("hv2-" + Sandbox.PF).get().getStatus().storagePools.size() == 1);
        create(client, "m-04-shared", "vm-04", "hv2");
        assertThat(awaitTerminal(client, "m-04-shared", Duration.ofSeconds(30)).getStatus().phase)
                .isEqualTo(MigrationPhase.Succeeded);
        assertThat(last(sandbox.host("hv1").migrationRequests()).copyStorage()).isEqualTo(CopyStorage.none);

        // Back to hv1, whose libvirt has no pool: only with the disks copied.
        create(client, "m-04-back", "vm-04", "hv1", spec -> {
            spec.options = new MigrationOptions();
            spec.options.copyStorage = CopyStorage.all;
        });
        assertThat(awaitTerminal(client, "m-04-back", Duration.ofSeconds(30)).getStatus().phase)
                .isEqualTo(MigrationPhase.Succeeded);
        assertThat(last(sandbox.host("hv2").migrationRequests()).copyStorage()).isEqualTo(CopyStorage.all);
    }

    private static <T> T last(List<T> list) {
        return list.get(list.size() - 1);
    }
}
