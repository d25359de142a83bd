package io.sriovlm.operator.phases;

import io.sriovlm.statemachine.Transition;
import io.sriovlm.operator.placement.TargetSelector.Choice;

import java.time.Duration;
import java.util.Optional;

/**
 * What an operator phase handler decided.
 *
 * @param transition   the status change to write (a new phase, or the same phase with updated conditions)
 * @param reservation  a VF to reserve in the pool ledger before the transition is written
 * @param recheckAfter when to look again if nothing else happens (waiting for a slot, a VF, a deadline)
 */
public record Decision(Optional<Transition> transition, Optional<Choice> reservation, Optional<Duration> recheckAfter) {

    public static Decision move(Transition transition) {
        return new Decision(Optional.of(transition), Optional.empty(), Optional.empty());
    }

    public static Decision reserveAndMove(Choice choice, Transition transition) {
        return new Decision(Optional.of(transition), Optional.of(choice), Optional.empty());
    }

    public static Decision waitFor(Transition conditionUpdate, Duration recheckAfter) {
        return new Decision(Optional.of(conditionUpdate), Optional.empty(), Optional.of(recheckAfter));
    }

    public static Decision recheckAfter(Duration after) {
        return new Decision(Optional.empty(), Optional.empty(), Optional.of(after));
    }

    public static Decision nothing() {
        return new Decision(Optional.empty(), Optional.empty(), Optional.empty());
    }
}
