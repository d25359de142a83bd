package io.sriovlm.sandbox.api;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import com.fasterxml.jackson.databind.JsonNode;

import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.types.SimpleType;
import dev.cel.compiler.CelCompiler;
import dev.cel.compiler.CelCompilerFactory;
import dev.cel.parser.CelStandardMacro;
import dev.cel.runtime.CelRuntime;
import dev.cel.runtime.CelRuntimeFactory;

/**
 * Evaluates the {@code x-kubernetes-validations} CEL rules of a schema, at every level where they are declared, with
 * {@code self} the value there and, on update, {@code oldSelf} the stored value at the same place. Rules that mention
 * {@code oldSelf} (transition rules) are skipped on create and where the old object has no value, as the API server
 * does. {@code self} and {@code oldSelf} are declared {@code dyn} (the API server types them from the schema), which
 * accepts the same well-formed rules and evaluates them the same way on maps, lists and scalars.
 */
final class CelRules {
    private static final CelCompiler COMPILER = CelCompilerFactory.standardCelCompilerBuilder()
            .setStandardMacros(CelStandardMacro.STANDARD_MACROS)
            .addVar("self", SimpleType.DYN)
            .addVar("oldSelf", SimpleType.DYN)
            .build();
    private static final CelRuntime RUNTIME = CelRuntimeFactory.standardCelRuntimeBuilder().build();
    private static final Map<String, CelRuntime.Program> PROGRAMS = new ConcurrentHashMap<>();

    private CelRules() {
    }

    /** @param old the stored object, or null on create */
    static List<FieldError> check(JsonNode obj, JsonNode old, JsonNode schema) {
        List<FieldError> errors = new ArrayList<>();
        walk(obj, old, schema, "", errors);
        return errors;
    }

    private static void walk(JsonNode v, JsonNode old, JsonNode s, String path, List<FieldError> errors) {
        if (s == null || s.isMissingNode() || v == null || v.isNull()) {
            return;
        }
        for (JsonNode rule : s.path("x-kubernetes-validations")) {
            evaluate(rule, v, old, path, errors);
        }
        if (v.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = s.path("properties").fields(); it.hasNext();) {
                Map.Entry<String, JsonNode> p = it.next();
                if (v.has(p.getKey())) {
                    walk(v.get(p.getKey()), old == null ? null : old.get(p.getKey()), p.getValue(),
                            path.isEmpty() ? p.getKey() : path + "." + p.getKey(), errors);
                }
            }
        } else if (v.isArray() && s.has("items")) {
            // Old list items correlate only for map-type lists; treat items as new (transition rules skipped).
            for (int i = 0; i < v.size(); i++) {
                walk(v.get(i), null, s.get("items"), path + "[" + i + "]", errors);
            }
        }
    }

    private static void evaluate(JsonNode rule, JsonNode v, JsonNode old, String path, List<FieldError> errors) {
        String expr = rule.path("rule").asText();
        boolean transition = expr.contains("oldSelf");
        if (transition && (old == null || old.isNull())) {
            return;
        }
        String field = path + rule.path("fieldPath").asText("");
        if (field.startsWith(".")) {
            field = field.substring(1);
        }
        if (field.isEmpty()) {
            field = "<nil>";
        }
        Object result;
        try {
            Map<String, Object> vars = new LinkedHashMap<>();
            vars.put("self", toCel(v));
            if (transition) {
                vars.put("oldSelf", toCel(old));
            }
            result = program(expr).eval(vars);
        } catch (Exception e) {
            errors.add(new FieldError(field, "FieldValueInvalid",
                    "Invalid value: " + kindOf(v) + ": rule evaluation error: " + e.getMessage()));
            return;
        }
        if (Boolean.TRUE.equals(result)) {
            return;
        }
        String message = rule.has("message") ? rule.get("message").asText() : "failed rule: " + expr;
        String reason = rule.path("reason").asText("FieldValueInvalid");
        String detail;
        switch (reason) {
            case "FieldValueForbidden":
                detail = "Forbidden: " + message;
                break;
            case "FieldValueRequired":
                detail = "Required value: " + message;
                break;
            case "FieldValueDuplicate":
                detail = "Duplicate value: " + kindOf(v);
                break;
            default:
                detail = "Invalid value: " + kindOf(v) + ": " + message;
        }
        errors.add(new FieldError(field, reason, detail));
    }

    private static String kindOf(JsonNode v) {
        return v.isObject() ? "\"object\"" : v.isArray() ? "\"array\"" : FieldError.render(v);
    }

    private static CelRuntime.Program program(String expr) {
        return PROGRAMS.computeIfAbsent(expr, e -> {
            try {
                CelAbstractSyntaxTree ast = COMPILER.compile(e).getAst();
                return RUNTIME.createProgram(ast);
            } catch (Exception ex) {
                throw new IllegalArgumentException("invalid CEL rule " + e + ": " + ex.getMessage(), ex);
            }
        });
    }

    /** JSON → the Java values CEL's runtime understands (maps, lists, Long, Double, String, Boolean). */
    static Object toCel(JsonNode n) {
        if (n.isObject()) {
            Map<String, Object> m = new LinkedHashMap<>();
            n.fields().forEachRemaining(e -> {
                if (!e.getValue().isNull()) {
                    m.put(e.getKey(), toCel(e.getValue()));
                }
            });
            return m;
        }
        if (n.isArray()) {
            List<Object> l = new ArrayList<>();
            n.forEach(i -> l.add(toCel(i)));
            return l;
        }
        if (n.isIntegralNumber()) {
            return n.asLong();
        }
        if (n.isNumber()) {
            return n.asDouble();
        }
        if (n.isBoolean()) {
            return n.asBoolean();
        }
        return n.asText();
    }
}
