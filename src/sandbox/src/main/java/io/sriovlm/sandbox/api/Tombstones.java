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
 * good (the shape of a fault-matrix failure after an operator restart: a migration waited on a VF that a claim no
 * longer in the API still held in the operator's view). So a new watch from a resourceVersion is also sent a DELETED for
 * each object it selects that was deleted in the last {@link #KEEP_FOR} and does not exist again: to an informer that
 * never held it, a DELETED changes nothing.
 */
final class Tombstones {
    static final Duration KEEP_FOR = Duration.ofSeconds(60);

    /** An object removed from the store: its resource, its name and labels (what watches select by), its last state. */
    record Tombstone(String group, String plural, String namespace, String name, JsonNode labels, String path,
            String json, Instant at) {
    }

    private final ConcurrentLinkedDeque<Tombstone> recent = new ConcurrentLinkedDeque<>();

    /** Records that {@code last}, stored at {@code p}, no longer exists. */
    void record(ApiPath p, JsonNode last, Instant now) {
        recent.addLast(new Tombstone(p.group(), p.plural(), Json.text(last, "metadata", "namespace"),
                Json.text(last, "metadata", "name"), last.path("metadata").path("labels"), p.objectPath(),
                Json.write(last), now));
        while (!recent.isEmpty() && recent.peekFirst().at().isBefore(now.minus(KEEP_FOR))) {
            recent.pollFirst();
        }
    }

    /**
     * The deletions a watch on {@code p} may have missed since its list: of its resource, in its namespace (all when
     * it names none), of the object it names (by path or {@code metadata.name} field selector) and with the labels
     * its equality-based selector asks for. None for a watch without a resourceVersion, which a real API server
     * starts at the present too.
     */
    List<Tombstone> since(ApiPath p, Instant now) {
        String from = p.query().get("resourceVersion");
        if (from == null || from.isEmpty() || "0".equals(from)) {
            return List.of();
        }
        Instant after = now.minus(KEEP_FOR);
        String named = p.name() != null ? p.name() : namedBy(p.query().get("fieldSelector"));
        List<String> labelTerms = p.query().get("labelSelector") == null ? List.of()
                : List.of(p.query().get("labelSelector").split(","));
        return recent.stream().filter(t -> t.at().isAfter(after) && t.group().equals(p.group())
                && t.plural().equals(p.plural()) && (p.namespace() == null || Objects.equals(p.namespace(), t.namespace()))
                && (named == null || named.equals(t.name()))
                && labelTerms.stream().allMatch(term -> matches(term.trim(), t.labels())))
                .toList();
    }

    private static String namedBy(String fieldSelector) {
        return fieldSelector != null && fieldSelector.matches("metadata\\.name==?[^,]*")
                ? fieldSelector.substring(fieldSelector.indexOf('=')).replaceFirst("^==?", "") : null;
    }

    /** One term of a label selector: k=v, k==v, k!=v, k, !k; a set-based term (in, notin) matches anything. */
    private static boolean matches(String term, JsonNode labels) {
        if (term.isEmpty() || term.contains(" in ") || term.contains(" notin ") || term.contains("(")) {
            return true;
        }
        if (term.startsWith("!")) {
            return !labels.has(term.substring(1));
        }
        int ne = term.indexOf("!=");
        if (ne > 0) {
            return !term.substring(ne + 2).equals(labels.path(term.substring(0, ne)).asText(null));
        }
        int eq = term.indexOf('=');
        if (eq < 0) {
            return labels.has(term);
        }
        String value = term.substring(eq + 1).replaceFirst("^=", "");
        return value.equals(labels.path(term.substring(0, eq)).asText(null));
    }
}
