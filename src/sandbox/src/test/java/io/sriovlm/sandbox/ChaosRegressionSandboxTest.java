package io.sriovlm.sandbox;

import io.sriovlm.sandbox.chaos.ChaosRun;
import io.sriovlm.api.v1alpha1.MigrationPhase;
import io.sriovlm.api.v1alpha1.SriovMigration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;

import static io.sriovlm.sandbox.SandboxFixture.awaitPhase;
import static io.sriovlm.sandbox.SandboxFixture.awaitTerminal;
import static io.sriovlm.sandbox.SandboxFixture.create;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Sandbox tier: one deterministic test per bug a chaos run ({@code hack/chaos.sh}, {@link ChaosRun}) found, named
 * after the seed that found it, so the bug cannot come back unnoticed. Each replays the few events that mattered.
 */
@Tag("sandbox")
class ChaosRegressionSandboxTest {
    @RegisterExtension
    final SandboxExtension world = SandboxExtension.perTest(Duration.ofMillis(200)).checkingInvariantsAfterEach();

    /**
     * Seed 20261124: the source agent asked for the unplug, then ran the step again before the guest had finished it
     * (here: it restarted; in the run: the guest took longer than one wait). QEMU refuses the second device_del
     * ("already in the process of unplug") and the agent took that as a failed detach and rolled back a migration
     * that was going well. The repeat must wait for the unplug under way instead.
     */
    @Test
    void seed20261124_aStepRerunWhileTheUnplugIsPendingKeepsWaitingForIt() throws InterruptedException {
        world.sandbox().host("hv1").setDetachDelay(Duration.ofSeconds(3));
        create(world.client(), "m", "vm-01", "hv2");
        awaitPhase(world.client(), "m", p -> p == MigrationPhase.SwitchingToStandby, Duration.ofSeconds(15));
        Thread.sleep(300); // the unplug is requested; the guest takes 3 s to finish it
        world.sandbox().restartAgent("hv1");

        SriovMigration m = awaitTerminal(world.client(), "m", Duration.ofSeconds(30));
        assertThat(m.getStatus().phase).as(m.getStatus().failureReason + " " + m.getStatus().conditions)
                .isEqualTo(MigrationPhase.Succeeded);
        assertThat(world.sandbox().fabric().hostsRunning("vm-01")).containsExactly("hv2");
        assertThat(m.getStatus().standbyWindowMs).isNotNull();
    }

    /**
     * Seed 20261124, the same bug without a restart: a guest that takes longer to release the VF than one blocking
     * wait of the agent (5 s in the sandbox) made the step's next run ask QEMU again, and the refusal rolled back.
     */
    @Test
    void seed20261124_aGuestSlowerThanOneWaitIsWaitedForUntilTheDeadline() {
        world.sandbox().host("hv1").setDetachDelay(Duration.ofSeconds(7));
        create(world.client(), "m", "vm-01", "hv2");

        SriovMigration m = awaitTerminal(world.client(), "m", Duration.ofSeconds(40));
        assertThat(m.getStatus().phase).as(m.getStatus().failureReason + " " + m.getStatus().message)
                .isEqualTo(MigrationPhase.Succeeded);
        assertThat(m.getStatus().standbyWindowMs).isNotNull();
    }

    /**
     * Seed 20261124: an agent stopped (a rollout's SIGTERM) while it waited for the guest wrote the interrupted wait
     * as a failed detach, and rolled back. A stop must write nothing: the agent that comes back finishes the step.
     */
    @Test
    void seed20261124_anAgentStoppedWhileWaitingForTheGuestLeavesTheStepToItsSuccessor() throws InterruptedException {
        world.sandbox().host("hv1").setDetachDelay(Duration.ofSeconds(2));
        create(world.client(), "m", "vm-01", "hv2");
        awaitPhase(world.client(), "m", p -> p == MigrationPhase.SwitchingToStandby, Duration.ofSeconds(15));
        Thread.sleep(300);
        world.sandbox().stopAgent("hv1");
        Thread.sleep(2500); // the guest finishes the unplug while no agent runs
        assertThat(SandboxFixture.get(world.client(), "m").getStatus().phase).isEqualTo(MigrationPhase.SwitchingToStandby);
        world.sandbox().resumeAgent("hv1");

        SriovMigration m = awaitTerminal(world.client(), "m", Duration.ofSeconds(30));
        assertThat(m.getStatus().phase).as(m.getStatus().failureReason + " " + m.getStatus().message)
                .isEqualTo(MigrationPhase.Succeeded);
    }

    /**
     * Found with the chaos run's late-unplug fault (seed 20261124): a guest finished an unplug seconds after the
     * step's deadline, when the migration had already rolled back and promised the VM its VF. The VF left a VM no
     * step was watching, with its bond still on the VF representor: no working path. The agent now puts the bond on
     * the standby path, plugs the VF back and returns the bond to it, and says so in an Event.
     */
    @Test
    void seed20261124_aVfReleasedAfterTheRollbackIsPluggedBackAndTheBondFollows() throws InterruptedException {
        world.sandbox().host("hv1").faults().delayNextDeviceRemovedEvent(Duration.ofSeconds(5));
        java.time.Instant asked = java.time.Instant.now();
        create(world.client(), "m", "vm-01", "hv2", spec -> {
            spec.options = new io.sriovlm.api.v1alpha1.MigrationOptions();
            spec.options.stepTimeoutSeconds = 2;
        });
        SriovMigration m = awaitTerminal(world.client(), "m", Duration.ofSeconds(30));
        assertThat(m.getStatus().phase).isEqualTo(MigrationPhase.RolledBack);

        Thread.sleep(Math.max(0, Duration.between(java.time.Instant.now(), asked.plusSeconds(6)).toMillis()));
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
            var domain = world.sandbox().host("hv1").domain("vm-01").orElseThrow();
            assertThat(io.sriovlm.agent.libvirt.TeamingXml.inspect(domain.xml()).primaryPciAddress())
                    .isEqualTo(m.getStatus().sourceVf);
            assertThat(world.sandbox().sysfs("hv1").activeSlave("bond0")).isEqualTo("ens2_0");
        });
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(
                world.client().v1().events().inNamespace("default").list().getItems()).anySatisfy(e -> {
                    assertThat(e.getReason()).isEqualTo("FastPathRepaired");
                    assertThat(e.getMessage()).contains("re-attached to vm-01");
                }));
    }
}
