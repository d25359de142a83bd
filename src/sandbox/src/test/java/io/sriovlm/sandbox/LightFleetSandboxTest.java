package io.sriovlm.sandbox;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.sriovlm.api.v1alpha1.HypervisorNic;
import io.sriovlm.api.v1alpha1.MigrationPhase;
import io.sriovlm.api.v1alpha1.SriovMigration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;

import static io.sriovlm.sandbox.SandboxFixture.awaitTerminal;
import static io.sriovlm.sandbox.SandboxFixture.create;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Sandbox tier: the fleet benchmark's light fleet (agents sharing event loops, threads and the JSON mapper) still
 * runs the agents' work, and one agent's stop leaves the threads the others share running.
 */
@Tag("sandbox")
class LightFleetSandboxTest {
    @RegisterExtension
    static final SandboxExtension world = SandboxExtension.perClass(Duration.ofMillis(200))
            .withOptions(Sandbox.Options::withLightFleet).checkingInvariantsAfterEach();

    @Test
    void migrationsSucceedAndAnAgentRestartLeavesTheOthersRunning() {
        Sandbox sandbox = world.sandbox();
        KubernetesClient client = world.client();
        create(client, "light-vm-01", "vm-01", "hv2");
        SriovMigration first = awaitTerminal(client, "light-vm-01", Duration.ofSeconds(30));
        assertThat(first.getStatus().phase).as(first.getStatus().message).isEqualTo(MigrationPhase.Succeeded);
        assertThat(first.getStatus().phaseTimestamps).extracting(p -> p.phase)
                .containsExactlyElementsOf(SandboxFixture.EVERY_PHASE);
        assertThat(sandbox.host("hv2").domain("vm-01")).isPresent();

        // Stopping hv1's agent shuts its reconcile executor down; hv2's runs on the same shared threads.
        sandbox.restartAgent("hv1");
        create(client, "light-vm-03", "vm-03", "hv1");
        SriovMigration second = awaitTerminal(client, "light-vm-03", Duration.ofSeconds(30));
        assertThat(second.getStatus().phase).as(second.getStatus().message).isEqualTo(MigrationPhase.Succeeded);
        assertThat(sandbox.host("hv1").domain("vm-03")).isPresent();

        HypervisorNic hv1 = client.resources(HypervisorNic.class).withName("hv1-" + Sandbox.PF).get();
        assertThat(hv1.getStatus().heartbeatTime).isNotNull();
        assertThat(Inventories.vms(client, "hv1-" + Sandbox.PF)).extracting(vm -> vm.name).contains("vm-02", "vm-03");
        assertThat(sandbox.commands("hv1")).as("host commands are not recorded in a light fleet").isNull();
    }
}
