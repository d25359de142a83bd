package io.sriovlm.sandbox;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.sriovlm.agent.libvirt.TeamingXml;
import io.sriovlm.api.v1alpha1.ConditionTypes;
import io.sriovlm.api.v1alpha1.MigrationPhase;
import io.sriovlm.api.v1alpha1.Reasons;
import io.sriovlm.api.v1alpha1.SriovMigration;
import io.sriovlm.common.Conditions;
import io.sriovlm.testing.host.FakeNicNames;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;

import static io.sriovlm.sandbox.SandboxFixture.awaitTerminal;
import static io.sriovlm.sandbox.SandboxFixture.create;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Sandbox tier: a VM whose CPU requires a feature the target's hypervisor lacks is reported by a dry run
 * (PreflightCpu, asked by the source agent of the target's libvirt) and refused by a real migration before its VF
 * leaves. The real-hypervisor tier shows libvirt's own verdict (LibvirtHypervisorIT).
 */
@Tag("sandbox")
class CpuPreflightSandboxTest {
    @RegisterExtension
    final SandboxExtension world = SandboxExtension.perTest(Duration.ofMillis(200));

    @Test
    void aCpuTheTargetCannotRunIsReportedByADryRunAndRefusedBeforeTheVfLeaves() throws Exception {
        Sandbox sandbox = world.sandbox();
        KubernetesClient client = world.client();
        String vf = FakeNicNames.pciAddressOfVf(Sandbox.PF_PCI, 3);
        sandbox.host("hv1").define(Sandbox.teamedDomain("vm-04", 3, vf).replace(Sandbox.DEFAULT_CPU,
                "<cpu mode='custom' match='exact'><model fallback='forbid'>Skylake-Server</model>"
                        + "<feature policy='require' name='avx512f'/></cpu>"), true);
        sandbox.host("hv2").setCpuFeaturesMissing("avx512f");
        await().atMost(Duration.ofSeconds(15)).until(() -> Inventories.vms(client, "hv1-" + Sandbox.PF).stream().anyMatch(v -> "vm-04".equals(v.name)));

        create(client, "dry-04", "vm-04", "hv2", spec -> spec.dryRun = true);
        SriovMigration dry = awaitTerminal(client, "dry-04", Duration.ofSeconds(20));
        assertThat(dry.getStatus().phase).isEqualTo(MigrationPhase.Failed);
        assertThat(Conditions.find(dry.getStatus().conditions, ConditionTypes.PREFLIGHT_CPU)).hasValueSatisfying(c -> {
            assertThat(c.getStatus()).isEqualTo(Conditions.FALSE);
            assertThat(c.getReason()).isEqualTo(Reasons.CPU_INCOMPATIBLE);
            assertThat(c.getMessage()).contains("cannot run the CPU of vm-04").contains("avx512f");
        });
        assertThat(Conditions.find(dry.getStatus().conditions, ConditionTypes.PREFLIGHT_LIBVIRT))
                .hasValueSatisfying(c -> assertThat(c.getStatus()).isEqualTo(Conditions.TRUE));

        create(client, "m-04", "vm-04", "hv2");
        SriovMigration refused = awaitTerminal(client, "m-04", Duration.ofSeconds(20));
        assertThat(refused.getStatus().phase).isEqualTo(MigrationPhase.Failed);
        assertThat(refused.getStatus().failureReason).isEqualTo(Reasons.CPU_INCOMPATIBLE);
        assertThat(refused.getStatus().message).contains("avx512f").contains("nothing was changed");
        assertThat(TeamingXml.inspect(sandbox.host("hv1").domain("vm-04").orElseThrow().xml()).primaryPciAddress())
                .as("the VF never left").isEqualTo(vf);

        sandbox.host("hv2").setCpuFeaturesMissing();
        create(client, "m-04b", "vm-04", "hv2");
        assertThat(awaitTerminal(client, "m-04b", Duration.ofSeconds(30)).getStatus().phase)
                .isEqualTo(MigrationPhase.Succeeded);
    }
}
