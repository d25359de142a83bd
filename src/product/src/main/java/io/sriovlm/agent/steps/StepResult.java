package io.sriovlm.agent.steps;

import io.sriovlm.statemachine.Transition;

import java.time.Duration;
import java.util.Optional;

/** What a host step achieved: a status change to write, and/or when to look again. */
public record StepResult(Optional<Transition> transition, Optional<Duration> recheckAfter) {
    public static StepResult done(Transition transition) {
        return new StepResult(Optional.of(transition), Optional.empty());
    }

    public static StepResult again(Duration after) {
        return new StepResult(Optional.empty(), Optional.of(after));
    }

    public static StepResult update(Transition transition, Duration after) {
        return new StepResult(Optional.of(transition), Optional.of(after));
    }

    public static StepResult idle() {
        return new StepResult(Optional.empty(), Optional.empty());
    }
}
