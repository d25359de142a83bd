package io.sriovlm.operator.phases;

import io.sriovlm.api.v1alpha1.MigrationPhase;
import io.sriovlm.api.v1alpha1.SriovMigration;
import io.sriovlm.common.Conditions;
import io.sriovlm.common.Timestamps;
import io.sriovlm.api.v1alpha1.ConditionTypes;
import io.sriovlm.api.v1alpha1.Reasons;
import io.sriovlm.statemachine.Outcome;
import io.sriovlm.statemachine.Transition;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * The operator's watch over the agent-owned phases: cancellation (spec.cancel or deletion) and deadlines. It never
 * touches a host; it moves the migration to the phase whose owner undoes the work (RollingBack, owned by the source
 * agent) or ends it when nothing was touched yet. Pure.
 */
public final class Oversight {
    private Oversight() {
    }

    /**
     * @param deleting           true when the object is being deleted (the finalizer path)
     * @param deadlinesJudgedFrom null, or the instant before which a passed deadline waits: shortly after the operator
     *                           last could not reach the API server, when agents may not have reported yet what they
     *                           did during the outage
     */
    public static Outcome decide(SriovMigration m, boolean deleting, Instant now, Instant deadlinesJudgedFrom) {
        MigrationPhase phase = m.getStatus().phase;
        boolean stop = deleting || m.getSpec().cancelRequested();
        String stopReason = deleting ? Reasons.DELETED : Reasons.CANCELLED;
        String stopWhy = deleting ? "the SriovMigration is being deleted" : "spec.cancel was set";
        if (stop) {
            switch (phase) {
                case Pending, Scheduling, Preparing, TargetReady:
                    return Outcome.write(Transition.to(MigrationPhase.Cancelled, stopReason,
                            "cancelled before the source was touched: " + stopWhy));
                case SwitchingToStandby, Migrating:
                    return Outcome.write(Transition.failure(MigrationPhase.RollingBack, stopReason,
                            "rolling back because " + stopWhy + "; the VM stays on " + m.getStatus().sourceNode));
                case RestoringFastPath:
                    if (!Conditions.find(m.getStatus().conditions, Reasons.CANCEL_TOO_LATE).isPresent()) {
                        String message = "cancel ignored: " + m.getSpec().vmName + " already runs on "
                                + m.getStatus().targetNode + "; the migration completes there";
                        return Outcome.write(Transition.to(phase, Reasons.CANCEL_TOO_LATE, message).with(s -> Conditions
                                .set(s.conditions, Reasons.CANCEL_TOO_LATE, true, Reasons.CANCEL_TOO_LATE, message,
                                        s.observedGeneration, now)));
                    }
                    break;
                default:
                    break;
            }
        }
        Instant deadline = Timestamps.parse(m.getStatus().phaseDeadline);
        if (deadline == null) {
            return Outcome.nothing();
        }
        if (now.isBefore(deadline)) {
            return Outcome.recheckAfter(Duration.between(now, deadline).plusMillis(50));
        }
        if (deadlinesJudgedFrom != null && now.isBefore(deadlinesJudgedFrom)) {
            return Outcome.recheckAfter(Duration.between(now, deadlinesJudgedFrom).plusMillis(50));
        }
        String late = phase + " did not finish by its deadline " + m.getStatus().phaseDeadline;
        return switch (phase) {
            case Preparing, TargetReady, SwitchingToStandby, Migrating -> Outcome.write(Transition.failure(MigrationPhase.RollingBack,
                    Reasons.DEADLINE_EXCEEDED, late + "; rolling back, the VM stays on " + m.getStatus().sourceNode));
            case RestoringFastPath -> Outcome.write(Transition.failure(MigrationPhase.Failed,
                    Reasons.FAST_PATH_NOT_RESTORED, late + "; " + m.getSpec().vmName + " runs on "
                            + m.getStatus().targetNode + " on its standby path (working, without the VF);"
                            + " see the FastPathRestored condition for the cause").with(s -> Conditions.set(s.conditions,
                                    ConditionTypes.FAST_PATH_RESTORED, false, Reasons.FAST_PATH_NOT_RESTORED, late,
                                    s.observedGeneration, now)));
            default -> Outcome.nothing();
        };
    }

    /** Whether {@code outcome} ends a phase for its deadline (not for a cancel or a deletion). */
    public static boolean judgesADeadline(Outcome outcome) {
        return outcome.transition().map(t -> Reasons.DEADLINE_EXCEEDED.equals(t.reason())
                || Reasons.FAST_PATH_NOT_RESTORED.equals(t.reason())).orElse(false);
    }

    /**
     * Preparing is the target agent's (TargetReady the source agent's), but nothing on the source has changed yet: a VM that no agent reports any
     * more (destroyed or undefined) will not be moved, and its VF claim is released ({@code VfLedger.fateOf}). Ends the migration with VmNotFound rather than waiting for the phase deadline,
     * which a stalled target agent would otherwise make it do. Races the target agent's own write with optimistic
     * concurrency: whichever loses looks again (a migration that reached SwitchingToStandby is failed by the source
     * agent instead).
     */
    public static Optional<Outcome> vmVanished(SriovMigration m, ClusterView view) {
        String vm = m.getSpec().vmName;
        if (!view.nicsByNode().containsKey(m.getStatus().sourceNode)) {
            // No report of the source node in view at all: an operator that just started and has not synced its
            // HypervisorNic informer yet, or a NIC being replaced. Not seeing the VM there is no evidence it is gone.
            return Optional.empty();
        }
        if (!view.nodesReporting(vm).isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(PendingHandler.fail(view, Reasons.VM_NOT_FOUND, "VM " + vm + " is no longer reported on "
                + m.getStatus().sourceNode + " nor on any other node (destroyed?) while " + m.getStatus().phase
                + "; nothing was changed on the source and its VF reservation is released. Create a new"
                + " SriovMigration once it runs again"));
    }

    public static Optional<Instant> deadlineOf(SriovMigration m) {
        return Optional.ofNullable(Timestamps.parse(m.getStatus().phaseDeadline));
    }
}
