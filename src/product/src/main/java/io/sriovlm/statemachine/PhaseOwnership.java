package io.sriovlm.statemachine;

import io.sriovlm.api.v1alpha1.MigrationPhase;
import io.sriovlm.api.v1alpha1.MigrationPhase.PhaseOwner;

import java.util.Optional;

/**
 * Who may write a migration's status in which phase. Each non-terminal phase has one owner, the only actor that moves
 * the migration on from it. The operator watches the agents' phases and may stop them, but only by handing the
 * migration to the phase whose owner undoes the work (RollingBack once the source was touched), so it can never end
 * a migration while a VM is off its fast path on the source. The source agent answers a dry run's reachability check
 * in Pending, a condition and no phase change. Nobody writes a finished migration. Pure.
 */
public final class PhaseOwnership {
    private PhaseOwnership() {
    }

    /**
     * @param from   the phase the status is in (null before the operator accepted it)
     * @param dryRun whether the migration is a dry run
     * @return why {@code actor} may not write this transition; empty when it may
     */
    public static Optional<String> refusal(PhaseOwner actor, MigrationPhase from, MigrationPhase to, boolean dryRun) {
        if (from == null) {
            return actor == PhaseOwner.OPERATOR ? Optional.empty()
                    : Optional.of(name(actor) + " may not accept a migration; the operator does");
        }
        if (from.isTerminal()) {
            return Optional.of("the migration ended " + from + "; nobody writes its status any more");
        }
        if (actor == from.owner()) {
            return Optional.empty();
        }
        if (actor == PhaseOwner.OPERATOR && (to == from || operatorMayStop(from, to))) {
            return Optional.empty();
        }
        if (actor == PhaseOwner.SOURCE_AGENT && dryRun && from == MigrationPhase.Pending && to == MigrationPhase.Pending) {
            return Optional.empty();
        }
        return Optional.of(name(actor) + " may not move a migration from " + from + " to " + to + "; " + from
                + " belongs to the " + name(from.owner()));
    }

    /** The operator's cancel and deadline decisions in the agents' phases (Oversight). */
    private static boolean operatorMayStop(MigrationPhase from, MigrationPhase to) {
        return switch (from) {
            // Nothing on the source changed yet: end it, or let the source agent make sure (deadline).
            case Preparing, TargetReady -> to == MigrationPhase.Cancelled || to == MigrationPhase.Failed
                    || to == MigrationPhase.RollingBack;
            // The VM may be off its VF on the source: only the source agent's rollback can end this.
            case SwitchingToStandby, Migrating -> to == MigrationPhase.RollingBack;
            // The VM runs on the target, on its standby path: it can only end there.
            case RestoringFastPath -> to == MigrationPhase.Failed;
            default -> false;
        };
    }

    private static String name(PhaseOwner owner) {
        return owner.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ');
    }
}
