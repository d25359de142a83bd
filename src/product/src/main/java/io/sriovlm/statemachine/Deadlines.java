package io.sriovlm.statemachine;

import io.sriovlm.api.v1alpha1.MigrationOptions;
import io.sriovlm.api.v1alpha1.MigrationPhase;
import io.sriovlm.api.v1alpha1.SriovMigrationSpec;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * How long each phase may take. Operator-owned phases wait without a deadline (for a VF, a slot, a Ready target);
 * agent-owned phases have one, and past it the operator stops the migration (docs/architecture.md, "The state machine").
 */
public final class Deadlines {
    private Deadlines() {
    }

    public static Optional<Duration> limitFor(MigrationPhase phase, SriovMigrationSpec spec) {
        MigrationOptions options = spec == null ? new MigrationOptions() : spec.optionsOrDefaults();
        return switch (phase) {
            case Migrating -> Optional.of(Duration.ofSeconds(options.migrationTimeoutSeconds()));
            // Waiting for the predecessor to leave the source: at most its switch to standby and its copy, whose own
            // deadlines end it (or hand it to RollingBack, which leaves the lane when the VM is back on its VF).
            case TargetReady -> Optional.of(Duration.ofSeconds(options.migrationTimeoutSeconds()
                    + 2L * options.stepTimeoutSecondsOrDefault()));
            case Preparing, SwitchingToStandby, RestoringFastPath, RollingBack ->
                Optional.of(Duration.ofSeconds(options.stepTimeoutSecondsOrDefault()));
            default -> Optional.empty();
        };
    }

    public static Optional<Instant> deadlineFor(MigrationPhase phase, SriovMigrationSpec spec, Instant enteredAt) {
        return limitFor(phase, spec).map(enteredAt::plus);
    }
}
