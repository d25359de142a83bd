package io.sriovlm.sandbox.api;

import java.util.Iterator;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.fabric8.zjsonpatch.JsonPatch;

/** Computes the object a PATCH would produce, so it can be validated before it is stored. */
final class Patches {
    static final String MERGE = "application/merge-patch+json";
    static final String JSON = "application/json-patch+json";
    static final String STRATEGIC = "application/strategic-merge-patch+json";

    private Patches() {
    }

    /** @return the patched copy of {@code target}; throws IllegalArgumentException for an unsupported type or a bad patch. */
    static JsonNode apply(JsonNode target, String contentType, String body) {
        String type = contentType == null ? JSON : contentType.split(";")[0].trim();
        JsonNode patch = Json.read(body);
        switch (type) {
            case MERGE:
                return mergePatch(target.deepCopy(), patch);
            case JSON:
                return JsonPatch.apply(patch, target);
            default:
                throw new UnsupportedOperationException(type);
        }
    }

    /** RFC 7386 JSON merge patch. */
    static JsonNode mergePatch(JsonNode target, JsonNode patch) {
        if (!patch.isObject()) {
            return patch.deepCopy();
        }
        ObjectNode result = target != null && target.isObject() ? (ObjectNode) target : Json.object();
        for (Iterator<Map.Entry<String, JsonNode>> it = patch.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getValue().isNull()) {
                result.remove(e.getKey());
            } else {
                result.set(e.getKey(), mergePatch(result.get(e.getKey()), e.getValue()));
            }
        }
        return result;
    }
}
