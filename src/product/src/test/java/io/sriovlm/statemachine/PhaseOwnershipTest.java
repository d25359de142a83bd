package io.sriovlm.statemachine;

import io.sriovlm.api.v1alpha1.MigrationPhase;
import io.sriovlm.api.v1alpha1.MigrationPhase.PhaseOwner;
import org.junit.jupiter.api.Test;

import static io.sriovlm.api.v1alpha1.MigrationPhase.Cancelled;
import static io.sriovlm.api.v1alpha1.MigrationPhase.Failed;
import static io.sriovlm.api.v1alpha1.MigrationPhase.Migrating;
import static io.sriovlm.api.v1alpha1.MigrationPhase.Pending;
import static io.sriovlm.api.v1alpha1.MigrationPhase.Preparing;
import static io.sriovlm.api.v1alpha1.MigrationPhase.RestoringFastPath;
import static io.sriovlm.api.v1alpha1.MigrationPhase.RolledBack;
import static io.sriovlm.api.v1alpha1.MigrationPhase.RollingBack;
import static io.sriovlm.api.v1alpha1.MigrationPhase.Scheduling;
import static io.sriovlm.api.v1alpha1.MigrationPhase.Succeeded;
import static io.sriovlm.api.v1alpha1.MigrationPhase.SwitchingToStandby;
import static io.sriovlm.api.v1alpha1.MigrationPhase.TargetReady;
import static io.sriovlm.api.v1alpha1.MigrationPhase.PhaseOwner.OPERATOR;
import static io.sriovlm.api.v1alpha1.MigrationPhase.PhaseOwner.SOURCE_AGENT;
import static io.sriovlm.api.v1alpha1.MigrationPhase.PhaseOwner.TARGET_AGENT;
import static org.assertj.core.api.Assertions.assertThat;

/** Unit tier: who may write a migration's status in which phase. */
class PhaseOwnershipTest {

    static boolean may(PhaseOwner actor, MigrationPhase from, MigrationPhase to) {
        return PhaseOwnership.refusal(actor, from, to, false).isEmpty();
    }

    @Test
    void eachPhaseIsMovedOnByItsOwner() {
        assertThat(may(OPERATOR, null, Pending)).isTrue();
        assertThat(may(OPERATOR, Pending, Scheduling)).isTrue();
        assertThat(may(OPERATOR, Scheduling, Preparing)).isTrue();
        assertThat(may(TARGET_AGENT, Preparing, SwitchingToStandby)).isTrue();
        assertThat(may(TARGET_AGENT, Preparing, TargetReady)).as("prepared behind another migration").isTrue();
        assertThat(may(SOURCE_AGENT, TargetReady, SwitchingToStandby)).as("its lane is free").isTrue();
        assertThat(may(SOURCE_AGENT, SwitchingToStandby, Migrating)).isTrue();
        assertThat(may(SOURCE_AGENT, Migrating, RestoringFastPath)).isTrue();
        assertThat(may(TARGET_AGENT, RestoringFastPath, Succeeded)).isTrue();
        assertThat(may(SOURCE_AGENT, RollingBack, RolledBack)).isTrue();
    }

    @Test
    void noActorMovesAnotherActorsPhaseOn() {
        assertThat(may(SOURCE_AGENT, null, Pending)).isFalse();
        assertThat(may(SOURCE_AGENT, Pending, Scheduling)).isFalse();
        assertThat(may(SOURCE_AGENT, Preparing, SwitchingToStandby)).isFalse();
        assertThat(may(TARGET_AGENT, TargetReady, SwitchingToStandby)).isFalse();
        assertThat(may(TARGET_AGENT, SwitchingToStandby, Migrating)).isFalse();
        assertThat(may(TARGET_AGENT, Migrating, RestoringFastPath)).isFalse();
        assertThat(may(SOURCE_AGENT, RestoringFastPath, Succeeded)).isFalse();
        assertThat(PhaseOwnership.refusal(TARGET_AGENT, Migrating, RestoringFastPath, false))
                .hasValueSatisfying(why -> assertThat(why).contains("Migrating belongs to the source agent"));
    }

    @Test
    void theOperatorStopsAnAgentsPhaseOnlyThroughThePhaseThatUndoesIt() {
        assertThat(may(OPERATOR, Preparing, Cancelled)).isTrue();
        assertThat(may(OPERATOR, Preparing, Failed)).as("VM vanished").isTrue();
        assertThat(may(OPERATOR, Preparing, RollingBack)).as("deadline").isTrue();
        assertThat(may(OPERATOR, TargetReady, Cancelled)).isTrue();
        assertThat(may(OPERATOR, TargetReady, RollingBack)).as("deadline").isTrue();
        assertThat(may(OPERATOR, TargetReady, SwitchingToStandby)).as("the source agent's to start").isFalse();
        assertThat(may(OPERATOR, SwitchingToStandby, RollingBack)).isTrue();
        assertThat(may(OPERATOR, Migrating, RollingBack)).isTrue();
        assertThat(may(OPERATOR, RestoringFastPath, Failed)).as("fast path not restored in time").isTrue();
        assertThat(may(OPERATOR, RestoringFastPath, RestoringFastPath)).as("CancelTooLate condition").isTrue();

        assertThat(may(OPERATOR, SwitchingToStandby, Cancelled)).as("the VM may be off its VF").isFalse();
        assertThat(may(OPERATOR, Migrating, Failed)).isFalse();
        assertThat(may(OPERATOR, RestoringFastPath, RollingBack)).as("the VM already left the source").isFalse();
        assertThat(may(OPERATOR, RollingBack, RolledBack)).as("only the rollback ends a rollback").isFalse();
        assertThat(may(OPERATOR, SwitchingToStandby, Migrating)).isFalse();
    }

    @Test
    void theSourceAgentAnswersADryRunInPendingWithoutMovingIt() {
        assertThat(PhaseOwnership.refusal(SOURCE_AGENT, Pending, Pending, true)).isEmpty();
        assertThat(PhaseOwnership.refusal(SOURCE_AGENT, Pending, Pending, false)).isPresent();
        assertThat(PhaseOwnership.refusal(SOURCE_AGENT, Pending, Succeeded, true)).isPresent();
        assertThat(PhaseOwnership.refusal(TARGET_AGENT, Pending, Pending, true)).isPresent();
    }

    @Test
    void nobodyWritesAFinishedMigration() {
        for (MigrationPhase end : new MigrationPhase[] {Succeeded, RolledBack, Failed, Cancelled}) {
            for (PhaseOwner actor : new PhaseOwner[] {OPERATOR, SOURCE_AGENT, TARGET_AGENT}) {
                assertThat(may(actor, end, end)).as(actor + " in " + end).isFalse();
            }
        }
    }
}
