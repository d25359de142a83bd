package io.sriovlm.sandbox;

import io.sriovlm.operator.placement.VfLedger;
import io.fabric8.kubernetes.api.model.Event;
import io.sriovlm.agent.libvirt.TeamingXml;
import io.sriovlm.api.v1alpha1.MigrationOptions;
import io.sriovlm.api.v1alpha1.MigrationPhase;
import io.sriovlm.api.v1alpha1.SriovMigration;
import io.sriovlm.api.v1alpha1.Reasons;
import io.sriovlm.sandbox.api.ApiFaults;
import io.sriovlm.sandbox.faults.PhaseTrigger;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import static io.sriovlm.sandbox.SandboxFixture.awaitPhase;
import static io.sriovlm.sandbox.SandboxFixture.awaitTerminal;
import static io.sriovlm.sandbox.SandboxFixture.create;
import static io.sriovlm.sandbox.SandboxFixture.get;
import static io.sriovlm.sandbox.SandboxFixture.pool;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Sandbox tier: what happens when the migration cannot finish. Each test ends with the invariants the design
 * promises: the VM runs on exactly one node, it has a working path, and the target's reservation is released.
 */
@Tag("sandbox")
class FaultSandboxTest {
    @RegisterExtension
    final SandboxExtension world = SandboxExtension.perTest(Duration.ofMillis(200)).checkingInvariantsAfterEach();

    /** vm-01 is back on hv1 with its VF and bond0 on the VF representor; hv2's VF is free again. */
    private void assertRolledBackToHv1(SriovMigration m) {
        assertThat(m.getStatus().phase).as(m.getStatus().message).isEqualTo(MigrationPhase.RolledBack);
        assertThat(world.sandbox().host("hv2").domain("vm-01")).isEmpty();
        var domain = world.sandbox().host("hv1").domain("vm-01").orElseThrow();
        assertThat(domain.isRunning()).isTrue();
        assertThat(TeamingXml.inspect(domain.xml()).primaryPciAddress()).isEqualTo(m.getStatus().sourceVf);
        assertThat(world.sandbox().sysfs("hv1").activeSlave("bond0")).isEqualTo("ens2_0");
        assertThat(m.getStatus().standbyWindowMs).isNotNull();
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(
                Ledgers.find(world.client(), "hv2", m.getStatus().targetVf).orElseThrow().state()).isEqualTo(VfLedger.State.Free));
    }

    private boolean hasEvent(SriovMigration m, String reason) {
        return world.client().v1().events().inNamespace("default").list().getItems().stream()
                .filter((Event e) -> m.getMetadata().getName().equals(e.getInvolvedObject().getName()))
                .anyMatch(e -> reason.equals(e.getReason()));
    }

    @Test
    void aFailedLibvirtMigrationRollsBackToTheSource() {
        world.sandbox().host("hv1").faults().failNextMigrations(1, "injected: unable to connect to hv2");
        create(world.client(), "m", "vm-01", "hv2");
        SriovMigration m = awaitTerminal(world.client(), "m", Duration.ofSeconds(30));
        assertRolledBackToHv1(m);
        assertThat(m.getStatus().failureReason).isEqualTo(Reasons.MIGRATION_FAILED);
        assertThat(m.getStatus().conditions).anySatisfy(c -> assertThat(c.getMessage()).contains("injected"));
        assertThat(m.getStatus().phaseTimestamps).extracting(p -> p.phase).contains(MigrationPhase.RollingBack);
        await().atMost(Duration.ofSeconds(5)).until(() -> hasEvent(m, Reasons.MIGRATION_FAILED));
    }

    @Test
    void cancelDuringMigratingAbortsTheJobAndRollsBack() {
        world.sandbox().host("hv1").setCopyTime(Duration.ofSeconds(20));
        create(world.client(), "m", "vm-01", "hv2");
        awaitPhase(world.client(), "m", p -> p == MigrationPhase.Migrating, Duration.ofSeconds(15));
        // As `kubectl patch sm m --type merge -p '{"spec":{"cancel":true}}'` does: no resourceVersion.
        world.client().resources(SriovMigration.class).inNamespace("default").withName("m").patch(
                io.fabric8.kubernetes.client.dsl.base.PatchContext.of(io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE),
                "{\"spec\":{\"cancel\":true}}");
        SriovMigration m = awaitTerminal(world.client(), "m", Duration.ofSeconds(15));
        assertRolledBackToHv1(m);
        assertThat(m.getStatus().failureReason).isEqualTo(Reasons.CANCELLED);
    }

    @Test
    void anExpiredMigratingDeadlineAbortsAndRollsBack() {
        world.sandbox().host("hv1").setCopyTime(Duration.ofSeconds(30));
        SriovMigration created = create(world.client(), "m", "vm-01", "hv2", spec -> {
            spec.options = new MigrationOptions();
            spec.options.timeoutSeconds = 1;
        });
        SriovMigration m = awaitTerminal(world.client(), "m", Duration.ofSeconds(20));
        assertRolledBackToHv1(m);
        assertThat(m.getStatus().failureReason).isEqualTo(Reasons.DEADLINE_EXCEEDED);
        await().atMost(Duration.ofSeconds(5)).until(() -> hasEvent(m, Reasons.DEADLINE_EXCEEDED));
        assertThat(created.getMetadata().getUid()).isEqualTo(m.getMetadata().getUid());
    }

    @Test
    void deletingARunningMigrationRollsBackBeforeTheObjectGoes() {
        world.sandbox().host("hv1").setCopyTime(Duration.ofSeconds(20));
        create(world.client(), "m", "vm-01", "hv2");
        SriovMigration migrating = awaitPhase(world.client(), "m", p -> p == MigrationPhase.Migrating, Duration.ofSeconds(15));
        world.client().resource(migrating).delete();
        await().atMost(Duration.ofSeconds(15)).until(() -> get(world.client(), "m") == null);
        var domain = world.sandbox().host("hv1").domain("vm-01").orElseThrow();
        assertThat(TeamingXml.inspect(domain.xml()).primaryPciAddress()).isEqualTo("0000:06:00.1");
        assertThat(world.sandbox().host("hv2").domain("vm-01")).isEmpty();
        assertThat(world.sandbox().sysfs("hv1").activeSlave("bond0")).isEqualTo("ens2_0");
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(Ledgers.reservations(world.client())).isEmpty());
    }

    @Test
    void aGuestThatNeverReleasesTheVfHitsTheDeadlineAndKeepsItsVf() {
        world.sandbox().host("hv1").faults().dropNextDeviceRemovedEvent();
        create(world.client(), "m", "vm-01", "hv2", spec -> {
            spec.options = new MigrationOptions();
            spec.options.stepTimeoutSeconds = 2;
        });
        SriovMigration m = awaitTerminal(world.client(), "m", Duration.ofSeconds(20));
        assertThat(m.getStatus().failureReason).isEqualTo(Reasons.DEADLINE_EXCEEDED);
        assertThat(m.getStatus().phase).isEqualTo(MigrationPhase.RolledBack);
        assertThat(world.sandbox().host("hv1").domain("vm-01")).isPresent();
        assertThat(world.sandbox().sysfs("hv1").activeSlave("bond0")).isIn("ens2_0", "en6s0f0pf0sf0");
    }

    @Test
    void aVfAttachedDuringAnApiOutageIsNotReportedLostByTheDeadline() throws Exception {
        // From the write into RestoringFastPath the API server answers every request with 503 for 5 s, past the 2 s
        // step deadline. hv2's agent attaches the VF meanwhile and cannot say so, then stays silent 4 s more (as an
        // agent whose requests time out after 10 s would). The operator's own writes fail too: that tells it of the
        // outage, and it holds the deadline until the agents could report. Failing instead would call a VM on its VF
        // "on its standby path" and release a VF it holds.
        ApiFaults.Rule outage = ApiFaults.Rule.probability(null, null, null, 503, 1.0);
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
        try (PhaseTrigger trigger = PhaseTrigger.on(world.sandbox(), "default", "m", MigrationPhase.RestoringFastPath,
                () -> {
                    world.sandbox().api().faults().add(outage);
                    timer.schedule(() -> world.sandbox().stopAgent("hv2"), 1, TimeUnit.SECONDS);
                    timer.schedule(() -> world.sandbox().api().faults().remove(outage), 5, TimeUnit.SECONDS);
                    timer.schedule(() -> world.sandbox().resumeAgent("hv2"), 9, TimeUnit.SECONDS);
                })) {
            create(world.client(), "m", "vm-01", "hv2", spec -> {
                spec.options = new MigrationOptions();
                spec.options.stepTimeoutSeconds = 2;
            });
            assertThat(trigger.awaitFired(30, TimeUnit.SECONDS)).isTrue();
            SriovMigration m = awaitTerminal(world.client(), "m", Duration.ofSeconds(40));
            assertThat(m.getStatus().phase).as(m.getStatus().message).isEqualTo(MigrationPhase.Succeeded);
            assertThat(world.sandbox().api().faults().injected()).as("the outage answered requests").isPositive();
            var domain = world.sandbox().host("hv2").domain("vm-01").orElseThrow();
            assertThat(TeamingXml.inspect(domain.xml()).primaryPciAddress()).isEqualTo(m.getStatus().targetVf);
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                var entry = Ledgers.find(world.client(), "hv2", m.getStatus().targetVf).orElseThrow();
                assertThat(entry.state()).isEqualTo(VfLedger.State.Allocated);
                assertThat(entry.vm()).isEqualTo("vm-01");
            });
        } finally {
            timer.shutdownNow();
            world.sandbox().api().faults().remove(outage);
            world.sandbox().resumeAgent("hv2");
        }
    }

    @Test
    void anAgentRestartDuringMigratingFindsTheJobAndFinishes() throws Exception {
        world.sandbox().host("hv1").setCopyTime(Duration.ofSeconds(2));
        create(world.client(), "m", "vm-01", "hv2");
        awaitPhase(world.client(), "m", p -> p == MigrationPhase.Migrating, Duration.ofSeconds(15));
        world.sandbox().restartAgent("hv1");
        SriovMigration m = awaitTerminal(world.client(), "m", Duration.ofSeconds(30));
        assertThat(m.getStatus().phase).as(m.getStatus().message).isEqualTo(MigrationPhase.Succeeded);
        assertThat(world.sandbox().host("hv1").domain("vm-01")).isEmpty();
        assertThat(world.sandbox().host("hv2").domain("vm-01")).isPresent();
    }

    @Test
    void anOperatorRestartMidwayKeepsTheReservationAndFinishes() {
        world.sandbox().host("hv1").setCopyTime(Duration.ofSeconds(2));
        create(world.client(), "m", "vm-01", "hv2");
        awaitPhase(world.client(), "m", p -> p == MigrationPhase.Migrating, Duration.ofSeconds(15));
        world.sandbox().restartOperator();
        SriovMigration m = awaitTerminal(world.client(), "m", Duration.ofSeconds(30));
        assertThat(m.getStatus().phase).as(m.getStatus().message).isEqualTo(MigrationPhase.Succeeded);
        // The operator hands the reservation to the VM when its informer shows Succeeded, just after we saw it.
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            var entry = Ledgers.find(world.client(), "hv2", m.getStatus().targetVf).orElseThrow();
            assertThat(entry.state()).isEqualTo(VfLedger.State.Allocated);
            assertThat(entry.vm()).isEqualTo("vm-01");
        });
    }
}
