package io.sriovlm.statemachine;

import java.time.Duration;
import java.util.Optional;

/**
 * What an actor decided for one migration, operator phase handler or agent step alike: a status change to write,
 * and/or when to look again if nothing else happens (a slot, a VF, a job's progress, a deadline).
 */
public record Outcome(Optional<Transition> transition, Optional<Duration> recheckAfter) {

    public static Outcome write(Transition transition) {
        return new Outcome(Optional.of(transition), Optional.empty());
    }

    /** Writes a status update (usually a condition while waiting) and looks again after {@code after}. */
    public static Outcome writeAndRecheck(Transition transition, Duration after) {
        return new Outcome(Optional.of(transition), Optional.of(after));
    }

    public static Outcome recheckAfter(Duration after) {
        return new Outcome(Optional.empty(), Optional.of(after));
    }

    public static Outcome nothing() {
        return new Outcome(Optional.empty(), Optional.empty());
    }
}
