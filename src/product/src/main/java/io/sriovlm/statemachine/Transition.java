package io.sriovlm.statemachine;

import io.sriovlm.api.v1alpha1.ConditionTypes;
import io.sriovlm.api.v1alpha1.MigrationPhase;
import io.sriovlm.api.v1alpha1.PhaseTimestamp;
import io.sriovlm.api.v1alpha1.SriovMigration;
import io.sriovlm.api.v1alpha1.SriovMigrationStatus;
import io.sriovlm.common.Conditions;
import io.sriovlm.common.Timestamps;

import java.time.Instant;
import java.util.function.Consumer;

/**
 * A decided status change of a SriovMigration: the next phase (or the same one, for a status-only update), why,
 * and the fields to set. Deciding and {@link #applyTo} are pure; the migration's status writer writes the result with optimistic
 * concurrency.
 *
 * @param warning  whether the Event for it is a Warning
 * @param announce whether a status-only update (same phase) gets an Event too, a Warning: a new reason to wait that
 *                 a person may have to act on. A phase change always gets one.
 */
public record Transition(MigrationPhase to, String reason, String message, boolean warning,
        Consumer<SriovMigrationStatus> changes, boolean announce) {

    public static Transition to(MigrationPhase to, String reason, String message) {
        return new Transition(to, reason, message, false, s -> {
        }, false);
    }

    public static Transition failure(MigrationPhase to, String reason, String message) {
        return new Transition(to, reason, message, true, s -> {
        }, false);
    }

    public Transition with(Consumer<SriovMigrationStatus> more) {
        Consumer<SriovMigrationStatus> first = changes;
        return new Transition(to, reason, message, warning, first.andThen(more), announce);
    }

    /** The same, with a Warning Event even when the phase stays. */
    public Transition announced() {
        return new Transition(to, reason, message, warning, changes, true);
    }

    /** What {@code current} becomes: a copy with the phase, its timestamp and deadline, the message and changes. */
    public SriovMigration applyTo(SriovMigration current, Instant now) {
        SriovMigration copy = io.fabric8.kubernetes.client.utils.Serialization.clone(current);
        SriovMigrationStatus status = copy.getStatus() == null ? new SriovMigrationStatus() : copy.getStatus();
        copy.setStatus(status);
        if (status.phase != to) {
            status.phase = to;
            status.phaseTimestamps.add(new PhaseTimestamp(to, Timestamps.format(now)));
            status.phaseDeadline = Deadlines.deadlineFor(to, copy.getSpec(), now).map(Timestamps::format).orElse(null);
        }
        if (message != null) {
            status.message = message;
        }
        if (warning) {
            status.failureReason = reason;
        }
        status.observedGeneration = copy.getMetadata().getGeneration();
        changes.accept(status);
        if (to.isTerminal()) {
            Conditions.set(status.conditions, ConditionTypes.COMPLETE, true, to.name(), message,
                    status.observedGeneration, now);
        }
        return copy;
    }
}
