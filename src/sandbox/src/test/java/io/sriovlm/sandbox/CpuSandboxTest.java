package io.sriovlm.sandbox;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.sriovlm.agent.libvirt.TeamingXml;
import io.sriovlm.api.v1alpha1.ConditionTypes;
import io.sriovlm.api.v1alpha1.HypervisorNic;
import io.sriovlm.api.v1alpha1.HypervisorNicStatus.HostCpu;
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
 * Sandbox tier: a VM whose CPU model the target's libvirt cannot run is refused before anything is touched
 * (PreflightCpu), and goes once the target can run it.
 */
@Tag("sandbox")
class CpuSandboxTest {
    @RegisterExtension
    final SandboxExtension world = SandboxExtension.perTest(Duration.ofMillis(200));

    static HostCpu runs(String... models) {
        HostCpu cpu = new HostCpu();
        cpu.virtType = "kvm";
        cpu.arch = "x86_64";
        cpu.hostModel = models[0];
        cpu.usableModels = List.of(models);
        return cpu;
    }

    @Test
    void aCpuModelTheTargetCannotRunIsRefusedNamingWhatItCanRun() throws Exception {
        Sandbox sandbox = world.sandbox();
        KubernetesClient client = world.client();
        sandbox.host("hv2").setHostCpus(runs("Haswell", "qemu64"));
        sandbox.host("hv1").define(Sandbox.teamedDomain("vm-04", 3, FakeNicNames.pciAddressOfVf(Sandbox.PF_PCI, 3))
                .replace("<devices>", "<cpu mode='custom' match='exact'><model>Icelake-Server</model></cpu><devices>"),
                true);
        await().atMost(Duration.ofSeconds(15)).until(() -> reported(client, "hv1", "vm-04")
                && client.resources(HypervisorNic.class).withName("hv2-" + Sandbox.PF).get().getStatus().cpus != null);

        create(client, "dry-04", "vm-04", "hv2", spec -> spec.dryRun = true);
        SriovMigration dry = awaitTerminal(client, "dry-04", Duration.ofSeconds(20));
        assertThat(Conditions.find(dry.getStatus().conditions, ConditionTypes.PREFLIGHT_CPU)).hasValueSatisfying(c -> {
            assertThat(c.getStatus()).isEqualTo(Conditions.FALSE);
            assertThat(c.getReason()).isEqualTo(Reasons.CPU_INCOMPATIBLE);
        });
        create(client, "m-04", "vm-04", "hv2");
        SriovMigration refused = awaitTerminal(client, "m-04", Duration.ofSeconds(20));
        assertThat(refused.getStatus().phase).isEqualTo(MigrationPhase.Failed);
        assertThat(refused.getStatus().failureReason).isEqualTo(Reasons.CPU_INCOMPATIBLE);
        assertThat(refused.getStatus().message).contains("CPU model Icelake-Server of vm-04 is not usable on hv2 (its"
                + " libvirt, virt type kvm, can run Haswell, qemu64)");
        assertThat(sandbox.host("hv1").migrationRequests()).isEmpty();
        assertThat(TeamingXml.inspect(sandbox.host("hv1").domain("vm-04").orElseThrow().xml()).primaryAttached()).isTrue();

        sandbox.host("hv2").setHostCpus(runs("Icelake-Server", "Haswell", "qemu64"));
        await().atMost(Duration.ofSeconds(15)).until(() -> client.resources(HypervisorNic.class)
                .withName("hv2-" + Sandbox.PF).get().getStatus().cpus.get(0).usableModels.contains("Icelake-Server"));
        create(client, "m-04-again", "vm-04", "hv2");
        SriovMigration moved = awaitTerminal(client, "m-04-again", Duration.ofSeconds(30));
        assertThat(moved.getStatus().phase).as(moved.getStatus().message).isEqualTo(MigrationPhase.Succeeded);
    }

    private static boolean reported(KubernetesClient client, String node, String vm) {
        HypervisorNic nic = client.resources(HypervisorNic.class).withName(node + "-" + Sandbox.PF).get();
        return nic != null && nic.getStatus() != null && nic.getStatus().vms.stream()
                .anyMatch(v -> vm.equals(v.name) && v.cpu != null && "Icelake-Server".equals(v.cpu.model));
    }
}
