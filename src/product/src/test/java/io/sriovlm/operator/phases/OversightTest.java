package io.sriovlm.operator.phases;

import io.sriovlm.api.v1alpha1.MigrationPhase;
import io.sriovlm.api.v1alpha1.SriovMigration;
import io.sriovlm.common.Timestamps;
import io.sriovlm.api.v1alpha1.Reasons;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static io.sriovlm.testing.Objects.NOW;
import static io.sriovlm.testing.Objects.migration;
import static org.assertj.core.api.Assertions.assertThat;

class OversightTest {

    private static SriovMigration cancelled(MigrationPhase phase) {
        SriovMigration m = migration("m", "vm-01", phase);
        m.getSpec().cancel = true;
        return m;
    }

    @ParameterizedTest
    @EnumSource(value = MigrationPhase.class, names = { "Pending", "Scheduling", "Preparing", "TargetReady" })
    void cancelBeforeTheSourceIsTouchedEndsCancelled(MigrationPhase phase) {
        var t = Oversight.decide(cancelled(phase), false, NOW, null).transition().orElseThrow();
        assertThat(t.to()).isEqualTo(MigrationPhase.Cancelled);
        assertThat(t.reason()).isEqualTo(Reasons.CANCELLED);
    }

    @ParameterizedTest
    @EnumSource(value = MigrationPhase.class, names = { "SwitchingToStandby", "Migrating" })
    void cancelOrDeletionAfterTheSourceIsTouchedRollsBack(MigrationPhase phase) {
        assertThat(Oversight.decide(cancelled(phase), false, NOW, null).transition().orElseThrow().to())
                .isEqualTo(MigrationPhase.RollingBack);
        var deleted = Oversight.decide(migration("m", "vm-01", phase), true, NOW, null).transition().orElseThrow();
        assertThat(deleted.to()).isEqualTo(MigrationPhase.RollingBack);
        assertThat(deleted.reason()).isEqualTo(Reasons.DELETED);
    }

    @Test
    void cancelWhileRestoringTheFastPathIsTooLateAndSaidOnce() {
        SriovMigration m = cancelled(MigrationPhase.RestoringFastPath);
        var t = Oversight.decide(m, false, NOW, null).transition().orElseThrow();
        assertThat(t.to()).isEqualTo(MigrationPhase.RestoringFastPath);
        assertThat(t.reason()).isEqualTo(Reasons.CANCEL_TOO_LATE);
        var after = t.applyTo(m, NOW);
        assertThat(Oversight.decide(after, false, NOW, null).transition()).isEmpty();
    }

    @Test
    void aMigrationWaitingBehindAnotherWhosePredecessorNeverLeavesRollsBackAtItsDeadline() {
        SriovMigration m = migration("m", "vm-01", MigrationPhase.TargetReady);
        assertThat(io.sriovlm.statemachine.Deadlines.limitFor(MigrationPhase.TargetReady, m.getSpec()).orElseThrow())
                .as("its predecessor's switch and copy, with their own deadlines, fit in it")
                .isEqualTo(java.time.Duration.ofSeconds(m.getSpec().optionsOrDefaults().migrationTimeoutSeconds()
                        + 2L * m.getSpec().optionsOrDefaults().stepTimeoutSecondsOrDefault()));
        m.getStatus().phaseDeadline = Timestamps.format(NOW.minusMillis(1));
        var t = Oversight.decide(m, false, NOW, null).transition().orElseThrow();
        assertThat(t.to()).as("the source agent makes sure the VM is on its VF").isEqualTo(MigrationPhase.RollingBack);
        assertThat(t.reason()).isEqualTo(Reasons.DEADLINE_EXCEEDED);
    }

    @Test
    void anExpiredDeadlineRollsBackBeforeTheMoveAndFailsToStandbyAfterIt() {
        SriovMigration migrating = migration("m", "vm-01", MigrationPhase.Migrating);
        migrating.getStatus().phaseDeadline = Timestamps.format(NOW.minusMillis(1));
        var t = Oversight.decide(migrating, false, NOW, null).transition().orElseThrow();
        assertThat(t.to()).isEqualTo(MigrationPhase.RollingBack);
        assertThat(t.reason()).isEqualTo(Reasons.DEADLINE_EXCEEDED);

        SriovMigration restoring = migration("m", "vm-01", MigrationPhase.RestoringFastPath);
        restoring.getStatus().phaseDeadline = Timestamps.format(NOW.minusMillis(1));
        restoring.getStatus().targetNode = "hv2";
        var failed = Oversight.decide(restoring, false, NOW, null).transition().orElseThrow();
        assertThat(failed.to()).isEqualTo(MigrationPhase.Failed);
        assertThat(failed.message()).contains("standby path");
    }

    @Test
    void aDeadlinePassedDuringAnApiOutageWaitsUntilTheAgentsCouldReport() {
        // The target agent attached the VF during the outage and could not say so: failing the migration now would
        // report a VM without its VF that has it.
        SriovMigration restoring = migration("m", "vm-01", MigrationPhase.RestoringFastPath);
        restoring.getStatus().phaseDeadline = Timestamps.format(NOW.minusSeconds(20));
        restoring.getStatus().targetNode = "hv2";
        var held = Oversight.decide(restoring, false, NOW, NOW.plusSeconds(25));
        assertThat(held.transition()).isEmpty();
        assertThat(held.recheckAfter().orElseThrow()).isBetween(java.time.Duration.ofSeconds(25),
                java.time.Duration.ofSeconds(26));
        assertThat(Oversight.decide(restoring, false, NOW, NOW).transition().orElseThrow().to())
                .as("once the agents had their time").isEqualTo(MigrationPhase.Failed);
    }

    @Test
    void aCancelIsNotHeldByAnApiOutage() {
        SriovMigration m = cancelled(MigrationPhase.Migrating);
        assertThat(Oversight.decide(m, false, NOW, NOW.plusSeconds(30)).transition().orElseThrow().to())
                .isEqualTo(MigrationPhase.RollingBack);
    }

    @Test
    void beforeTheDeadlineItLooksAgainWhenItExpires() {
        SriovMigration m = migration("m", "vm-01", MigrationPhase.Preparing);
        m.getStatus().phaseDeadline = Timestamps.format(NOW.plusSeconds(10));
        var decision = Oversight.decide(m, false, NOW, null);
        assertThat(decision.transition()).isEmpty();
        assertThat(decision.recheckAfter().orElseThrow()).isBetween(java.time.Duration.ofSeconds(10),
                java.time.Duration.ofSeconds(11));
    }

    @Test
    void aPreparingMigrationWhoseVmNoAgentReportsFailsVmNotFound() {
        var nics = new java.util.HashMap<>(java.util.Map.of("hv1", io.sriovlm.testing.Objects.nic("hv1",
                java.util.Map.of("vm-02", 1)), "hv2", io.sriovlm.testing.Objects.nic("hv2", java.util.Map.of())));
        var nodes = java.util.Map.of("hv1", io.sriovlm.testing.Objects.node("hv1"), "hv2",
                io.sriovlm.testing.Objects.node("hv2"));
        var view = io.sriovlm.testing.Objects.view(nics, nodes, java.util.List.of(), java.util.List.of(),
                java.util.List.of(), io.sriovlm.operator.OperatorConfig.defaults());
        SriovMigration m = migration("m", "vm-01", MigrationPhase.Preparing);
        m.getStatus().sourceNode = "hv1";
        var t = Oversight.vmVanished(m, view).orElseThrow().transition().orElseThrow();
        assertThat(t.to()).isEqualTo(MigrationPhase.Failed);
        assertThat(t.reason()).isEqualTo(Reasons.VM_NOT_FOUND);
        assertThat(t.message()).contains("vm-01").contains("hv1");

        SriovMigration present = migration("m2", "vm-02", MigrationPhase.Preparing);
        present.getStatus().sourceNode = "hv1";
        assertThat(Oversight.vmVanished(present, view)).isEmpty();
    }
}
