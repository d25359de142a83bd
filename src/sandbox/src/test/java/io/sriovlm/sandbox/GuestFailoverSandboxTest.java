package io.sriovlm.sandbox;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.sriovlm.agent.libvirt.TeamingXml;
import io.sriovlm.api.v1alpha1.ConditionTypes;
import io.sriovlm.api.v1alpha1.GuestFailover;
import io.sriovlm.api.v1alpha1.MigrationPhase;
import io.sriovlm.api.v1alpha1.Reasons;
import io.sriovlm.api.v1alpha1.SriovMigration;
import io.sriovlm.common.Conditions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;

import static io.sriovlm.sandbox.SandboxFixture.awaitTerminal;
import static io.sriovlm.sandbox.SandboxFixture.create;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Sandbox tier: the agents report whether each teamed guest accepted VIRTIO_NET_F_STANDBY (the simulated QEMU
 * answers as the real one does on the real-hypervisor tier); a guest without net_failover is refused before anything
 * on a host is touched, and a dry run says why.
 */
@Tag("sandbox")
class GuestFailoverSandboxTest {
    @RegisterExtension
    final SandboxExtension world = SandboxExtension.perTest(Duration.ofMillis(200));

    @Test
    void aGuestWithoutNetFailoverIsNotMovedAndADryRunSaysWhy() throws Exception {
        Sandbox sandbox = world.sandbox();
        KubernetesClient client = world.client();
        await().atMost(Duration.ofSeconds(15)).until(() -> failoverOf(client, "hv1", "vm-01") == GuestFailover.Negotiated);

        sandbox.host("hv1").setGuestWithoutFailover("vm-01", true);
        await().atMost(Duration.ofSeconds(15)).until(() -> failoverOf(client, "hv1", "vm-01") == GuestFailover.NotNegotiated);

        create(client, "dry-01", "vm-01", "hv2", spec -> spec.dryRun = true);
        SriovMigration dry = awaitTerminal(client, "dry-01", Duration.ofSeconds(15));
        assertThat(Conditions.find(dry.getStatus().conditions, ConditionTypes.PREFLIGHT_GUEST_FAILOVER))
                .hasValueSatisfying(c -> {
                    assertThat(c.getStatus()).isEqualTo(Conditions.FALSE);
                    assertThat(c.getReason()).isEqualTo(Reasons.GUEST_FAILOVER_INACTIVE);
                });

        create(client, "m-01", "vm-01", "hv2");
        SriovMigration refused = awaitTerminal(client, "m-01", Duration.ofSeconds(15));
        assertThat(refused.getStatus().phase).isEqualTo(MigrationPhase.Failed);
        assertThat(refused.getStatus().failureReason).isEqualTo(Reasons.GUEST_FAILOVER_INACTIVE);
        assertThat(refused.getStatus().message).contains("net_failover is not active");
        assertThat(TeamingXml.inspect(sandbox.host("hv1").domain("vm-01").orElseThrow().xml()).primaryAttached())
                .as("nothing on the source was touched").isTrue();
    }

    private static GuestFailover failoverOf(KubernetesClient client, String node, String vm) {
        return Inventories.vms(client, node + "-" + Sandbox.PF).stream()
                .filter(v -> vm.equals(v.name)).findFirst().map(v -> v.guestFailover).orElse(null);
    }
}
