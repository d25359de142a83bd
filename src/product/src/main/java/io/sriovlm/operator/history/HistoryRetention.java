package io.sriovlm.operator.history;

import io.sriovlm.api.v1alpha1.PhaseTimestamp;
import io.sriovlm.api.v1alpha1.SriovMigration;
import io.sriovlm.common.Timestamps;
import io.sriovlm.operator.HistoryConfig;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Which finished SriovMigrations of one VM to delete (docs/decisions/012-history-retention.md). Pure: the caller
 * deletes. A finished migration goes when its TTL after finishing has passed ({@code spec.ttlSecondsAfterFinished},
 * else the operator's default) or when its VM has {@link HistoryConfig#keepPerVm} newer finished ones; a migration
 * of a node evacuation still under way is kept either way, since the evacuation reads it to know the VM has moved
 * (deleting it would start the VM's migration again).
 */
public final class HistoryRetention {
    /** How soon to look again at a migration an evacuation still holds. */
    public static final Duration HELD_RECHECK = Duration.ofSeconds(30);

    private HistoryRetention() {
    }

    /** Why a finished migration is deleted. */
    public enum Cause {
        /** Its TTL after finishing has passed. */
        Expired,
        /** Its VM has enough newer finished migrations. */
        Superseded
    }

    public record Deletion(SriovMigration migration, Cause cause) {
    }

    /**
     * @param deletions   the migrations to delete now
     * @param lookAgainIn when a kept migration may have to go: its TTL runs out, or an evacuation holds it
     */
    public record Plan(List<Deletion> deletions, Optional<Duration> lookAgainIn) {
    }

    /**
     * @param ofOneVm          the VM's migrations, finished or not (unfinished ones are ignored)
     * @param heldByEvacuation true for a migration a running node evacuation still needs
     */
    public static Plan plan(List<SriovMigration> ofOneVm, Predicate<SriovMigration> heldByEvacuation,
            HistoryConfig config, Instant now) {
        List<SriovMigration> finished = new ArrayList<>(ofOneVm.stream()
                .filter(m -> m.getStatus() != null && m.getStatus().phase != null && m.getStatus().phase.isTerminal())
                .filter(m -> m.getMetadata().getDeletionTimestamp() == null)
                .toList());
        finished.sort(Comparator.comparing(HistoryRetention::finishedAt).reversed()
                .thenComparing(m -> m.getMetadata().getNamespace() + "/" + m.getMetadata().getName()));
        List<Deletion> deletions = new ArrayList<>();
        Optional<Duration> lookAgainIn = Optional.empty();
        for (int i = 0; i < finished.size(); i++) {
            SriovMigration m = finished.get(i);
            Optional<Instant> expiresAt = ttl(m, config).map(finishedAt(m)::plus);
            boolean superseded = config.keepPerVm() >= 0 && i >= config.keepPerVm();
            Optional<Cause> cause = expiresAt.filter(at -> !at.isAfter(now)).map(at -> Cause.Expired)
                    .or(() -> superseded ? Optional.of(Cause.Superseded) : Optional.empty());
            if (cause.isPresent() && heldByEvacuation.test(m)) {
                lookAgainIn = earlier(lookAgainIn, HELD_RECHECK);
            } else if (cause.isPresent()) {
                deletions.add(new Deletion(m, cause.get()));
            } else if (expiresAt.isPresent()) {
                lookAgainIn = earlier(lookAgainIn, Duration.between(now, expiresAt.get()));
            }
        }
        return new Plan(deletions, lookAgainIn);
    }

    /** When the migration reached its terminal phase: its last phase timestamp, else its creation. */
    public static Instant finishedAt(SriovMigration m) {
        List<PhaseTimestamp> stamps = m.getStatus().phaseTimestamps;
        Instant last = stamps.isEmpty() ? null : Timestamps.parse(stamps.get(stamps.size() - 1).at);
        if (last != null) {
            return last;
        }
        Instant created = Timestamps.parse(m.getMetadata().getCreationTimestamp());
        return created != null ? created : Instant.EPOCH;
    }

    private static Optional<Duration> ttl(SriovMigration m, HistoryConfig config) {
        Integer own = m.getSpec() == null ? null : m.getSpec().ttlSecondsAfterFinished;
        return own != null ? Optional.of(Duration.ofSeconds(own)) : config.ttlAfterFinished();
    }

    private static Optional<Duration> earlier(Optional<Duration> current, Duration candidate) {
        return Optional.of(current.filter(c -> c.compareTo(candidate) <= 0).orElse(candidate));
    }
}
