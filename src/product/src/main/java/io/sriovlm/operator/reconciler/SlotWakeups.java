package io.sriovlm.operator.reconciler;

import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.inbound.SimpleInboundEventSource;
import io.sriovlm.api.v1alpha1.ConditionTypes;
import io.sriovlm.api.v1alpha1.MigrationPhase;
import io.sriovlm.api.v1alpha1.Reasons;
import io.sriovlm.api.v1alpha1.SriovMigration;
import io.sriovlm.common.Conditions;
import io.sriovlm.operator.phases.ClusterView;

import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * Wakes migrations waiting in Pending for a concurrency slot when a slot frees, instead of leaving them to their
 * recheck period (5 s). A slot frees with a migration's own phase change: RestoringFastPath frees an outbound slot of
 * its source, an end frees a cluster slot (and an inbound one, which the pool's VF release announces as well).
 */
final class SlotWakeups {
    /**
     * Only the oldest few: one slot freed, so waking every waiting migration (an evacuation has dozens) made them queue
     * on the admission lock, holding the controller's threads, for one of them to win it. The ones not woken keep
     * their recheck and are woken by the next freed slot.
     */
    private static final int WAKE_AT_ONCE = 3;

    private final SimpleInboundEventSource<SriovMigration> events = new SimpleInboundEventSource<>("slot-freed");
    /** Per migration UID, the phase in which it last woke the waiting ones (once per phase, not per reconcile). */
    private final Map<String, MigrationPhase> wokeIn = new ConcurrentHashMap<>();

    SimpleInboundEventSource<SriovMigration> eventSource() {
        return events;
    }

    /**
     * @param m       a migration as just reconciled
     * @param waiting every migration, as fresh as this operator knows them
     */
    void wakeIfSlotFreedBy(SriovMigration m, Stream<SriovMigration> waiting) {
        MigrationPhase phase = m.getStatus() == null ? null : m.getStatus().phase;
        String source = m.getStatus() == null ? null : m.getStatus().sourceNode;
        if (phase == null || source == null || ClusterView.holdsOutboundSlot(m)
                || wokeIn.put(m.getMetadata().getUid(), phase) == phase) {
            return;
        }
        boolean anySource = phase.isTerminal();
        waiting.filter(o -> o.getStatus() != null && o.getStatus().phase == MigrationPhase.Pending && waitsForSlot(o))
                .filter(o -> anySource || o.getSpec().sourceNode == null || source.equals(o.getSpec().sourceNode))
                .sorted(Comparator.comparing((SriovMigration o) -> String.valueOf(
                        o.getMetadata().getCreationTimestamp())).thenComparing(o -> o.getMetadata().getName()))
                .limit(WAKE_AT_ONCE)
                .forEach(o -> events.propagateEvent(ResourceID.fromResource(o)));
    }

    void forget(SriovMigration m) {
        wokeIn.remove(m.getMetadata().getUid());
    }

    /** A Pending migration whose last word is that it waits for a concurrency slot. */
    static boolean waitsForSlot(SriovMigration m) {
        return m.getStatus() != null && Conditions.find(m.getStatus().conditions, ConditionTypes.SCHEDULED)
                .map(c -> Reasons.WAITING_FOR_SLOT.equals(c.getReason()) && Conditions.FALSE.equals(c.getStatus()))
                .orElse(false);
    }
}
