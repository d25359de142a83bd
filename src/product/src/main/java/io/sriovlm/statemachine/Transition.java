package io.sriovlm.statemachine;

import io.sriovlm.api.v1alpha1.MigrationPhase;
import io.sriovlm.api.v1alpha1.SriovMigrationStatus;

import java.util.function.Consumer;

/**
 * A decided status change of a SriovMigration: the next phase (or the same one, for a status-only update), why,
 * and the fields to set. Deciding is pure; {@link MigrationStatusWriter} applies it with optimistic concurrency.
 *
 * @param warning whether the Event for it is a Warning
 */
public record Transition(MigrationPhase to, String reason, String message, boolean warning,
        Consumer<SriovMigrationStatus> changes) {

    public static Transition to(MigrationPhase to, String reason, String message) {
        return new Transition(to, reason, message, false, s -> {
        });
    }

    public static Transition failure(MigrationPhase to, String reason, String message) {
        return new Transition(to, reason, message, true, s -> {
        });
    }

    public Transition with(Consumer<SriovMigrationStatus> more) {
        Consumer<SriovMigrationStatus> first = changes;
        return new Transition(to, reason, message, warning, first.andThen(more));
    }
}
