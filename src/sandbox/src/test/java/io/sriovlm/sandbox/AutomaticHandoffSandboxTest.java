package io.sriovlm.sandbox;

import io.sriovlm.operator.placement.VfLedger;
import io.sriovlm.agent.libvirt.TeamingXml;
import io.sriovlm.api.v1alpha1.MigrationOptions;
import io.sriovlm.api.v1alpha1.MigrationPhase;
import io.sriovlm.api.v1alpha1.SriovMigration;
import io.sriovlm.api.v1alpha1.VfHandoff;
import io.sriovlm.api.v1alpha1.Reasons;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;

import static io.sriovlm.sandbox.SandboxFixture.awaitTerminal;
import static io.sriovlm.sandbox.SandboxFixture.create;
import static io.sriovlm.sandbox.SandboxFixture.pool;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Sandbox tier: spec.vfHandoff Automatic, QEMU unplugging and plugging the VF around the migration. */
@Tag("sandbox")
class AutomaticHandoffSandboxTest {
    @RegisterExtension
    final SandboxExtension world = SandboxExtension.perTest(Duration.ofMillis(200));

    @Test
    void qemuHandsTheReservedVfOverAndTheBondsFollow() {
        create(world.client(), "auto-vm-01", "vm-01", "hv2", spec -> spec.vfHandoff = VfHandoff.Automatic);
        SriovMigration done = awaitTerminal(world.client(), "auto-vm-01", Duration.ofSeconds(30));
        var s = done.getStatus();
        assertThat(s.phase).as(s.message).isEqualTo(MigrationPhase.Succeeded);
        assertThat(world.sandbox().host("hv1").domain("vm-01")).isEmpty();
        var moved = world.sandbox().host("hv2").domain("vm-01").orElseThrow();
        assertThat(TeamingXml.inspect(moved.xml()).primaryPciAddress()).isEqualTo(s.targetVf).isEqualTo("0000:06:00.1");
        assertThat(world.sandbox().sysfs("hv2").activeSlave("bond0")).isEqualTo("ens2_0");
        assertThat(world.sandbox().sysfs("hv1").activeSlave("bond0")).isEqualTo("en6s0f0pf0sf0");
        assertThat(s.standbyStartedAt).as("the device-removed event of QEMU's unplug").isNotNull();
        assertThat(s.bondSwitchLagMs).isNotNull();
        // The operator hands the reservation to the VM right after the phase change it reacts to.
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(targetVfEntry().state())
                .isEqualTo(io.sriovlm.operator.placement.VfLedger.State.Allocated));
    }

    private io.sriovlm.operator.placement.VfLedger.Entry targetVfEntry() {
        return Ledgers.find(world.client(), "hv2", "0000:06:00.1").orElseThrow();
    }

    @Test
    void aGuestThatNeverUnplugsIsAbortedByTheDeadlineAndKeepsItsVf() {
        world.sandbox().host("hv1").faults().dropNextDeviceRemovedEvent();
        create(world.client(), "auto-stuck", "vm-01", "hv2", spec -> {
            spec.vfHandoff = VfHandoff.Automatic;
            spec.options = new MigrationOptions();
            spec.options.timeoutSeconds = 2;
        });
        SriovMigration m = awaitTerminal(world.client(), "auto-stuck", Duration.ofSeconds(30));
        assertThat(m.getStatus().phase).as(m.getStatus().message).isEqualTo(MigrationPhase.RolledBack);
        assertThat(m.getStatus().failureReason).isEqualTo(Reasons.DEADLINE_EXCEEDED);
        var domain = world.sandbox().host("hv1").domain("vm-01").orElseThrow();
        assertThat(TeamingXml.inspect(domain.xml()).primaryPciAddress()).isEqualTo("0000:06:00.1");
        assertThat(world.sandbox().host("hv2").domain("vm-01")).isEmpty();
        assertThat(world.sandbox().sysfs("hv1").activeSlave("bond0")).isEqualTo("ens2_0");
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(Ledgers.reservations(world.client())).isEmpty());
    }
}
