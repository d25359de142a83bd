package io.sriovlm.agent.reconciler;

import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.sriovlm.statemachine.Outcome;
import io.sriovlm.api.v1alpha1.MigrationPhase;
import io.sriovlm.api.v1alpha1.SriovMigration;
import io.sriovlm.status.MigrationStatusWriter;

import java.time.Duration;
import java.util.Optional;
import java.util.function.Function;

/** The thin shell both agent migration controllers share: run the step, write its transition, reschedule. */
final class MigrationStepsReconciler {
    private static final Duration CONFLICT_RETRY = Duration.ofMillis(200);

    private MigrationStepsReconciler() {
    }

    /**
     * @param m the migration as fresh as this agent knows it ({@link MigrationStatusWriter#freshest}): woken (e.g.
     *          by a job's end) on a cached copy older than its own last write, the step would act on old status and
     *          its write would lose
     */
    static UpdateControl<SriovMigration> run(SriovMigration m, MigrationStatusWriter writer,
            Function<SriovMigration, Outcome> step) {
        if (m.getStatus() == null || m.getStatus().phase == null || m.getStatus().phase.isTerminal()) {
            return UpdateControl.noUpdate();
        }
        SriovMigration current = m;
        for (int steps = 1; ; steps++) {
            Outcome result = step.apply(current);
            if (result.transition().isEmpty()) {
                return recheck(result);
            }
            Optional<SriovMigration> written;
            try {
                written = writer.apply(current, result.transition().get());
            } catch (KubernetesClientException e) {
                return UpdateControl.<SriovMigration>noUpdate().rescheduleAfter(Duration.ofSeconds(1));
            }
            if (written.isEmpty()) {
                return UpdateControl.<SriovMigration>noUpdate().rescheduleAfter(CONFLICT_RETRY);
            }
            MigrationPhase from = current.getStatus().phase;
            current = written.get();
            if (current.getStatus().phase == from || current.getStatus().phase.isTerminal() || steps >= MAX_CHAINED) {
                return recheck(result);
            }
            // A new phase: if it is this actor's too (SwitchingToStandby -> Migrating), its step runs now on the
            // version just written (read-your-own-write; its resourceVersion keeps the next write safe) instead of
            // after the informer's round trip. Another actor's phase makes the step idle, ending the loop.
        }
    }

    private static final int MAX_CHAINED = 3;

    private static UpdateControl<SriovMigration> recheck(Outcome result) {
        return result.recheckAfter().map(d -> UpdateControl.<SriovMigration>noUpdate().rescheduleAfter(d))
                .orElseGet(UpdateControl::noUpdate);
    }

    /**
     * A migration being deleted keeps the operator's finalizer until it has rolled back, and that rollback is the
     * agents' work. JOSDK hands deleted objects only to a Cleaner, so the agents share the operator's finalizer name
     * (docs/decisions/004): they never add or remove it, they only keep working while it is there.
     */
    static DeleteControl keepWorkingWhileDeleted(UpdateControl<SriovMigration> step) {
        return DeleteControl.noFinalizerRemoval().rescheduleAfter(step.getScheduleDelay().orElse(500L));
    }
}
