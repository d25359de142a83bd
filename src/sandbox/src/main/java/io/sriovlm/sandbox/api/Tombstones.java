package io.sriovlm.sandbox.api;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedDeque;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The objects deleted lately, so that a watch that starts after its list still hears of the deletions in between.
 * <p>
 * An informer lists, then watches from the list's resourceVersion; a real API server replays every event since that
 * version. The fabric8 mock ignores the version and, when the watch opens, sends the objects that exist then as ADDED:
 * a change in the gap arrives that way, a deletion in it never does, and the informer keeps the deleted object for
 * good (seen in the sandbox: a controller starting next to another one that deleted a VfClaim in that gap kept the
 * claim, and with it a VF, for the rest of the run). So a new watch is also sent a DELETED for each object of its
 * resource deleted in the last {@link #KEEP_FOR} that does not exist again: to an informer that never held it, a
 * DELETED changes nothing.
 */
final class Tombstones {
    static final Duration KEEP_FOR = Duration.ofSeconds(60);

    /** An object removed from the store: its resource and its last state. */
    record Tombstone(String group, String plural, String namespace, String path, String json, Instant at) {
    }

    private final ConcurrentLinkedDeque<Tombstone> recent = new ConcurrentLinkedDeque<>();

    /** Records that {@code last}, stored at {@code p}, no longer exists. */
    void record(ApiPath p, JsonNode last, Instant now) {
        recent.addLast(new Tombstone(p.group(), p.plural(), Json.text(last, "metadata", "namespace"), p.objectPath(),
                Json.write(last), now));
        while (!recent.isEmpty() && recent.peekFirst().at().isBefore(now.minus(KEEP_FOR))) {
            recent.pollFirst();
        }
    }

    /** The deletions a watch on {@code p} (all namespaces when it names none) may have missed since its list. */
    List<Tombstone> since(ApiPath p, Instant now) {
        Instant after = now.minus(KEEP_FOR);
        return recent.stream().filter(t -> t.at().isAfter(after) && t.group().equals(p.group())
                && t.plural().equals(p.plural()) && (p.namespace() == null || Objects.equals(p.namespace(), t.namespace())))
                .toList();
    }
}
