package io.sriovlm.sandbox.api;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Structural-schema checks of a custom resource against its CRD's {@code openAPIV3Schema}, in the API server's order:
 * prune unknown fields, apply defaults, then validate type, required, pattern, enum, bounds, lengths and items.
 * <p>
 * Hand-written rather than networknt's json-schema-validator: the API server's behaviour is not plain JSON Schema
 * (it prunes and defaults, reports paths as {@code spec.a[0].b} and words its messages its own way, which kubectl and
 * our docs show verbatim), and the subset of keywords a structural schema may use is small.
 */
final class SchemaValidator {
    private static final Set<String> ROOT_META = Set.of("apiVersion", "kind", "metadata");
    private static final Map<String, Pattern> PATTERNS = new ConcurrentHashMap<>();

    /** What one pass found: errors, and the paths of pruned unknown fields. */
    record Result(List<FieldError> errors, List<String> pruned) {
    }

    /** Prunes, defaults and validates {@code obj} in place. */
    static Result check(ObjectNode obj, JsonNode schema) {
        Result r = new Result(new ArrayList<>(), new ArrayList<>());
        walk(obj, schema, "", r, true);
        return r;
    }

    private static void walk(JsonNode v, JsonNode s, String path, Result r, boolean root) {
        if (s == null || s.isMissingNode()) {
            return;
        }
        if (v.isNull()) {
            if (!s.path("nullable").asBoolean(false)) {
                r.errors().add(new FieldError(path, "FieldValueTypeInvalid", "Invalid value: \"null\": " + path
                        + " in body must be of type " + s.path("type").asText("object") + ": \"null\""));
            }
            return;
        }
        String type = s.path("type").asText("");
        if (!type.isEmpty() && !hasType(v, type)) {
            String actual = typeName(v);
            r.errors().add(new FieldError(path, "FieldValueTypeInvalid", "Invalid value: \"" + actual + "\": " + path
                    + " in body must be of type " + type + ": \"" + actual + "\""));
            return;
        }
        if (s.has("enum")) {
            boolean found = false;
            for (JsonNode e : s.get("enum")) {
                found |= e.equals(v) || (e.isNumber() && v.isNumber() && e.decimalValue().compareTo(v.decimalValue()) == 0);
            }
            if (!found) {
                List<String> allowed = new ArrayList<>();
                s.get("enum").forEach(e -> allowed.add(FieldError.render(e)));
                r.errors().add(new FieldError(path, "FieldValueNotSupported",
                        "Unsupported value: " + FieldError.render(v) + ": supported values: " + String.join(", ", allowed)));
            }
        }
        if (v.isObject()) {
            object((ObjectNode) v, s, path, r, root);
        } else if (v.isArray()) {
            array((ArrayNode) v, s, path, r);
        } else if (v.isTextual()) {
            string(v, s, path, r);
        } else if (v.isNumber()) {
            number(v, s, path, r);
        }
    }

    private static void object(ObjectNode v, JsonNode s, String path, Result r, boolean root) {
        JsonNode props = s.path("properties");
        JsonNode additional = s.get("additionalProperties");
        boolean preserve = s.path("x-kubernetes-preserve-unknown-fields").asBoolean(false);
        for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> f = it.next();
            String child = path.isEmpty() ? f.getKey() : path + "." + f.getKey();
            if (root && ROOT_META.contains(f.getKey())) {
                continue;
            }
            if (props.has(f.getKey())) {
                JsonNode ps = props.get(f.getKey());
                if (f.getValue().isNull() && ps.has("default") && !ps.path("nullable").asBoolean(false)) {
                    it.remove(); // null on a defaulted field means "unset": defaulted below
                    continue;
                }
                walk(f.getValue(), ps, child, r, false);
            } else if (additional != null && additional.isObject()) {
                walk(f.getValue(), additional, child, r, false);
            } else if (!preserve && !(additional != null && additional.asBoolean(false))) {
                r.pruned().add(child);
                it.remove();
            }
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = props.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> p = it.next();
            if (!v.has(p.getKey()) && p.getValue().has("default")) {
                v.set(p.getKey(), p.getValue().get("default").deepCopy());
            }
        }
        for (JsonNode req : s.path("required")) {
            if (!v.has(req.asText())) {
                r.errors().add(new FieldError(path.isEmpty() ? req.asText() : path + "." + req.asText(),
                        "FieldValueRequired", "Required value"));
            }
        }
    }

    private static void array(ArrayNode v, JsonNode s, String path, Result r) {
        if (s.has("maxItems") && v.size() > s.get("maxItems").asInt()) {
            r.errors().add(new FieldError(path, "FieldValueTooMany",
                    "Too many: " + v.size() + ": must have at most " + s.get("maxItems").asInt() + " items"));
        }
        if (s.has("minItems") && v.size() < s.get("minItems").asInt()) {
            r.errors().add(FieldError.invalid(path, v, path + " in body should have at least "
                    + s.get("minItems").asInt() + " items"));
        }
        for (int i = 0; i < v.size(); i++) {
            walk(v.get(i), s.get("items"), path + "[" + i + "]", r, false);
        }
    }

    private static void string(JsonNode v, JsonNode s, String path, Result r) {
        String str = v.asText();
        int len = str.codePointCount(0, str.length());
        if (s.has("maxLength") && len > s.get("maxLength").asInt()) {
            r.errors().add(new FieldError(path, "FieldValueTooLong",
                    "Too long: may not be more than " + s.get("maxLength").asInt() + " bytes"));
        }
        if (s.has("minLength") && len < s.get("minLength").asInt()) {
            r.errors().add(FieldError.invalid(path, v, path + " in body should be at least "
                    + s.get("minLength").asInt() + " chars long"));
        }
        if (s.has("pattern")) {
            String p = s.get("pattern").asText();
            if (!PATTERNS.computeIfAbsent(p, SchemaValidator::re2Anchors).matcher(str).find()) {
                r.errors().add(FieldError.invalid(path, v, path + " in body should match '" + p + "'"));
            }
        }
    }

    private static void number(JsonNode v, JsonNode s, String path, Result r) {
        if (s.has("minimum")) {
            int c = v.decimalValue().compareTo(s.get("minimum").decimalValue());
            boolean excl = s.path("exclusiveMinimum").asBoolean(false);
            if (c < 0 || (excl && c == 0)) {
                r.errors().add(FieldError.invalid(path, v, path + " in body should be greater than "
                        + (excl ? "" : "or equal to ") + FieldError.goNumber(s.get("minimum").decimalValue())));
            }
        }
        if (s.has("maximum")) {
            int c = v.decimalValue().compareTo(s.get("maximum").decimalValue());
            boolean excl = s.path("exclusiveMaximum").asBoolean(false);
            if (c > 0 || (excl && c == 0)) {
                r.errors().add(FieldError.invalid(path, v, path + " in body should be less than "
                        + (excl ? "" : "or equal to ") + FieldError.goNumber(s.get("maximum").decimalValue())));
            }
        }
    }

    private static boolean hasType(JsonNode v, String type) {
        switch (type) {
            case "object":
                return v.isObject();
            case "array":
                return v.isArray();
            case "string":
                return v.isTextual();
            case "boolean":
                return v.isBoolean();
            case "integer":
                return v.isIntegralNumber() || (v.isNumber() && v.decimalValue().stripTrailingZeros().scale() <= 0);
            case "number":
                return v.isNumber();
            default:
                return true;
        }
    }

    private static String typeName(JsonNode v) {
        if (v.isObject()) {
            return "object";
        }
        if (v.isArray()) {
            return "array";
        }
        if (v.isTextual()) {
            return "string";
        }
        if (v.isBoolean()) {
            return "boolean";
        }
        return v.isIntegralNumber() ? "integer" : "number";
    }

    /**
     * The pattern with RE2's meaning of {@code $}, as the real API server applies it: the end of the text. In Java,
     * {@code $} also matches before a final line terminator, so {@code "eth0\n"} would pass {@code ^[a-z0-9]+$} here
     * and fail there; every bare {@code $} (not escaped, not in a class) becomes {@code \z}.
     */
    static Pattern re2Anchors(String pattern) {
        StringBuilder b = new StringBuilder(pattern.length() + 4);
        boolean inClass = false;
        for (int i = 0; i < pattern.length(); i++) {
            char c = pattern.charAt(i);
            if (c == '\\' && i + 1 < pattern.length()) {
                b.append(c).append(pattern.charAt(++i));
            } else if (c == '[') {
                inClass = true;
                b.append(c);
            } else if (c == ']') {
                inClass = false;
                b.append(c);
            } else if (c == '$' && !inClass) {
                b.append("\\z");
            } else {
                b.append(c);
            }
        }
        return Pattern.compile(b.toString());
    }
}
