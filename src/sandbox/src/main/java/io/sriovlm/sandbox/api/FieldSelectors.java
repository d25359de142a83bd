package io.sriovlm.sandbox.api;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Field selectors on lists ({@code k=v}, {@code k==v}, {@code k!=v}, comma-joined), evaluated here on any dotted field
 * path because the mock only knows {@code metadata.name}. This is what {@code kubectl describe} needs to find an
 * object's Events ({@code involvedObject.name/namespace/kind/uid}).
 */
final class FieldSelectors {
    private record Term(String path, String value, boolean negated) {
    }

    private FieldSelectors() {
    }

    static ObjectNode filter(JsonNode list, String selector) {
        List<Term> terms = new ArrayList<>();
        for (String t : selector.split(",")) {
            if (t.isBlank()) {
                continue;
            }
            boolean neg = t.contains("!=");
            String[] kv = t.split(neg ? "!=" : "==?", 2);
            terms.add(new Term(kv[0].trim(), kv.length > 1 ? kv[1].trim() : "", neg));
        }
        ObjectNode out = list.deepCopy();
        ArrayNode items = out.putArray("items");
        for (JsonNode item : list.path("items")) {
            if (terms.stream().allMatch(t -> matches(item, t))) {
                items.add(item);
            }
        }
        return out;
    }

    private static boolean matches(JsonNode item, Term t) {
        JsonNode v = JsonPathLite.eval(item, "." + t.path());
        String s = v == null ? "" : v.asText();
        return t.negated() != s.equals(t.value());
    }
}
