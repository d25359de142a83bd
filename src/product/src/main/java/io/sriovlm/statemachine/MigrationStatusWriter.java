package io.sriovlm.statemachine;

import io.sriovlm.api.v1alpha1.ConditionTypes;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.sriovlm.api.v1alpha1.MigrationPhase;
import io.sriovlm.api.v1alpha1.PhaseTimestamp;
import io.sriovlm.api.v1alpha1.SriovMigration;
import io.sriovlm.api.v1alpha1.SriovMigrationStatus;
import io.sriovlm.common.Conditions;
import io.sriovlm.common.EventRecorder;
import io.sriovlm.common.Timestamps;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Applies a {@link Transition} to a SriovMigration's status with optimistic concurrency: the write carries the
 * resourceVersion the decision was made on, so an actor that decided on stale data loses (409) and decides again on
 * the newer version, which its informer delivers. This is what keeps a crashed or duplicated actor from skipping or
 * repeating a step.
 */
public final class MigrationStatusWriter {
    private static final Logger LOG = Logger.getLogger(MigrationStatusWriter.class);

    private final KubernetesClient client;
    private final EventRecorder events;
    private final Clock clock;
    /**
     * Per migration UID, the resourceVersions our successful writes replaced since the informer last delivered a
     * version we had not replaced (see {@link #isKnownStale}); several when an actor writes phases back to back.
     */
    private final Map<String, Set<String>> replaced = new ConcurrentHashMap<>();

    public MigrationStatusWriter(KubernetesClient client, EventRecorder events, Clock clock) {
        this.client = client;
        this.events = events;
        this.clock = clock;
    }

    /**
     * @return the written migration, or empty when another writer changed it since {@code current} was read
     */
    public Optional<SriovMigration> apply(SriovMigration current, Transition transition) {
        SriovMigration updated = applyLocally(current, transition, clock.instant());
        MigrationPhase from = current.getStatus() == null ? null : current.getStatus().phase;
        SriovMigration written;
        try {
            written = client.resource(updated).updateStatus();
        } catch (KubernetesClientException e) {
            if (e.getCode() == 409) {
                LOG.debugf("status of %s changed underneath (%s -> %s lost the race); deciding again",
                        name(current), from, transition.to());
                return Optional.empty();
            }
            throw e;
        }
        replaced.compute(current.getMetadata().getUid(), (uid, versions) -> {
            Set<String> next = versions == null || versions.size() >= 8 ? ConcurrentHashMap.newKeySet() : versions;
            next.add(String.valueOf(current.getMetadata().getResourceVersion()));
            return next;
        });
        if (from != transition.to()) {
            LOG.infof("%s: %s -> %s (%s) %s", name(current), from, transition.to(), transition.reason(),
                    transition.message() == null ? "" : transition.message());
            // Asynchronous: the next phase of the same actor does not wait for the Event's POST.
            events.recordAsync(written, transition.warning() ? EventRecorder.WARNING : EventRecorder.NORMAL,
                    transition.reason(), transition.message() == null ? transition.to().name() : transition.message());
        }
        return Optional.of(written);
    }

    /**
     * True when {@code m} is a version this writer has already replaced with a successful write, i.e. a cached copy
     * that predates our own last write (an informer has not delivered it yet). Deciding on it can only lose the
     * write (409); the informer's delivery of our write wakes the actor again. Forgets the UID once a newer
     * version shows up, so the map holds only migrations with a write in flight.
     */
    public boolean isKnownStale(SriovMigration m) {
        String uid = m.getMetadata().getUid();
        Set<String> old = replaced.get(uid);
        if (old == null) {
            return false;
        }
        if (old.contains(m.getMetadata().getResourceVersion())) {
            return true;
        }
        replaced.remove(uid, old);
        return false;
    }

    /** The pure part: what the status becomes. Exposed for unit tests. */
    public static SriovMigration applyLocally(SriovMigration current, Transition transition, Instant now) {
        SriovMigration copy = io.fabric8.kubernetes.client.utils.Serialization.clone(current);
        SriovMigrationStatus status = copy.getStatus() == null ? new SriovMigrationStatus() : copy.getStatus();
        copy.setStatus(status);
        boolean phaseChange = status.phase != transition.to();
        if (phaseChange) {
            status.phase = transition.to();
            status.phaseTimestamps.add(new PhaseTimestamp(transition.to(), Timestamps.format(now)));
            status.phaseDeadline = Deadlines.deadlineFor(transition.to(), copy.getSpec(), now)
                    .map(Timestamps::format).orElse(null);
        }
        if (transition.message() != null) {
            status.message = transition.message();
        }
        if (transition.warning()) {
            status.failureReason = transition.reason();
        }
        status.observedGeneration = copy.getMetadata().getGeneration();
        transition.changes().accept(status);
        if (transition.to().isTerminal()) {
            Conditions.set(status.conditions, ConditionTypes.COMPLETE, true, transition.to().name(),
                    transition.message(), status.observedGeneration, now);
        }
        return copy;
    }

    private static String name(SriovMigration m) {
        return m.getMetadata().getNamespace() + "/" + m.getMetadata().getName();
    }
}
