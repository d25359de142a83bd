package io.sriovlm.operator.phases;

import io.sriovlm.operator.placement.TargetSelector.Choice;
import io.sriovlm.statemachine.Outcome;
import io.sriovlm.statemachine.Transition;

import java.util.Optional;

/**
 * What an admission handler (Pending, Scheduling) decided: the {@link Outcome}, and a VF to reserve in the pool ledger
 * before its transition is written.
 */
public record Decision(Outcome outcome, Optional<Choice> reservation) {

    public static Decision of(Outcome outcome) {
        return new Decision(outcome, Optional.empty());
    }

    public static Decision reserveAndMove(Choice choice, Transition transition) {
        return new Decision(Outcome.write(transition), Optional.of(choice));
    }
}
