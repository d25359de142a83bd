package io.sriovlm.common;

import io.fabric8.kubernetes.api.model.Condition;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** Kubernetes-shaped conditions: one per type, lastTransitionTime moves only when the status flips. */
public final class Conditions {
    public static final String TRUE = "True";
    public static final String FALSE = "False";
    public static final String UNKNOWN = "Unknown";

    private Conditions() {
    }

    public static void set(List<Condition> conditions, String type, boolean status, String reason, String message,
            Long observedGeneration, Instant now) {
        set(conditions, type, status ? TRUE : FALSE, reason, message, observedGeneration, now);
    }

    public static void set(List<Condition> conditions, String type, String status, String reason, String message,
            Long observedGeneration, Instant now) {
        Optional<Condition> existing = find(conditions, type);
        Condition condition = existing.orElseGet(Condition::new);
        if (existing.isEmpty() || !status.equals(condition.getStatus())) {
            condition.setLastTransitionTime(Timestamps.format(now));
        }
        condition.setType(type);
        condition.setStatus(status);
        condition.setReason(reason);
        condition.setMessage(message);
        condition.setObservedGeneration(observedGeneration);
        if (existing.isEmpty()) {
            conditions.add(condition);
        }
    }

    public static Optional<Condition> find(List<Condition> conditions, String type) {
        return conditions == null ? Optional.empty()
                : conditions.stream().filter(c -> type.equals(c.getType())).findFirst();
    }

    public static boolean isTrue(List<Condition> conditions, String type) {
        return find(conditions, type).map(c -> TRUE.equals(c.getStatus())).orElse(false);
    }
}
