package io.sriovlm.status;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.sriovlm.api.v1alpha1.ConditionTypes;
import io.sriovlm.api.v1alpha1.HypervisorNic;
import io.sriovlm.api.v1alpha1.HypervisorNicStatus;
import io.sriovlm.common.Conditions;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The one writer of HypervisorNic status. Two actors share the object, each owning its fields: the node's agent
 * reports its host (everything but the operator's conditions), the operator judges readiness ({@code Ready}). Both
 * write with optimistic concurrency, so neither overwrites the other: a conflict means decide again on the newer
 * version.
 */
public final class HypervisorNicStatusWriter extends StatusWriter<HypervisorNic> {
    private static final String HEARTBEAT_FIELD = "heartbeatTime";
    /** The conditions the operator owns; an agent's report keeps them as they are. */
    public static final Set<String> OPERATOR_CONDITIONS = Set.of(ConditionTypes.READY);

    public HypervisorNicStatusWriter(KubernetesClient client) {
        super(client, LOST_WRITE_HOLD);
    }

    /**
     * The agent's report: {@code report} replaces every field the agent owns. The operator's conditions stay as in
     * {@code base}; an agent condition the report leaves out stays too, and one whose status did not change keeps its
     * lastTransitionTime.
     *
     * @return the written object, or empty when someone wrote since {@code base} was read
     */
    public Optional<HypervisorNic> report(HypervisorNic base, HypervisorNicStatus report) {
        HypervisorNic desired = Serialization.clone(base);
        desired.setStatus(merged(base, report));
        return write(desired);
    }

    /**
     * Whether writing {@code report} on {@code base} would change nothing but the heartbeat time: then the agent
     * renews its heartbeat Lease instead of rewriting the node's whole status. {@code report} is left as it is.
     */
    public static boolean changesNothing(HypervisorNic base, HypervisorNicStatus report) {
        return base.getStatus() != null
                && sameApartFromHeartbeat(base.getStatus(), merged(base, Serialization.clone(report)));
    }

    /** Whether two statuses differ in nothing but {@code heartbeatTime}. */
    public static boolean sameApartFromHeartbeat(HypervisorNicStatus a, HypervisorNicStatus b) {
        return sameApartFrom(a, b, HEARTBEAT_FIELD);
    }

    /** {@code report} with the conditions merged as {@link #report} writes them; {@code report} is changed. */
    private static HypervisorNicStatus merged(HypervisorNic base, HypervisorNicStatus report) {
        List<Condition> previous = base.getStatus() == null ? List.of() : base.getStatus().conditions;
        List<Condition> conditions = new ArrayList<>(report.conditions.stream()
                .filter(c -> !OPERATOR_CONDITIONS.contains(c.getType())).toList());
        previous.stream().filter(c -> conditions.stream().noneMatch(o -> o.getType().equals(c.getType())))
                .forEach(conditions::add);
        for (Condition now : conditions) {
            Conditions.find(previous, now.getType()).ifPresent(old -> {
                if (old != now && old.getStatus().equals(now.getStatus()) && old.getLastTransitionTime() != null) {
                    now.setLastTransitionTime(old.getLastTransitionTime());
                }
            });
        }
        report.conditions = conditions;
        return report;
    }

    /**
     * The operator's judgement of the NIC's readiness: the {@code Ready} condition, nothing else.
     *
     * @return the written object, or empty when someone (the agent's heartbeat) wrote since {@code base} was read
     */
    public Optional<HypervisorNic> setReady(HypervisorNic base, boolean ready, String reason, String message,
            Instant now) {
        HypervisorNic desired = Serialization.clone(base);
        if (desired.getStatus() == null) {
            desired.setStatus(new HypervisorNicStatus());
        }
        Conditions.set(desired.getStatus().conditions, ConditionTypes.READY, ready, reason, message,
                base.getMetadata().getGeneration(), now);
        return write(desired);
    }
}
