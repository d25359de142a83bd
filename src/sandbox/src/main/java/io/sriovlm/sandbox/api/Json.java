package io.sriovlm.sandbox.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.http.MockResponse;

/** JSON helpers and the API server's response shapes. */
final class Json {
    static final ObjectMapper MAPPER = Serialization.jsonMapper();

    private Json() {
    }

    static JsonNode read(String s) {
        try {
            return MAPPER.readTree(s);
        } catch (Exception e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    static ObjectNode object() {
        return MAPPER.createObjectNode();
    }

    static String write(JsonNode n) {
        try {
            return MAPPER.writeValueAsString(n);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static MockResponse ok(JsonNode body) {
        return response(200, body);
    }

    static MockResponse response(int code, JsonNode body) {
        return new MockResponse().setResponseCode(code).setHeader("Content-Type", "application/json").setBody(write(body));
    }

    /** A {@code meta/v1 Status} failure as the API server writes it. */
    static MockResponse status(int code, String reason, String message, ObjectNode details) {
        return response(code, statusBody(code, reason, message, details));
    }

    /** A {@code Status} object as a kube-apiserver answers an error with. */
    static ObjectNode statusBody(int code, String reason, String message, ObjectNode details) {
        ObjectNode s = object();
        s.put("kind", "Status").put("apiVersion", "v1");
        s.putObject("metadata");
        s.put("status", "Failure").put("message", message).put("reason", reason);
        if (details != null) {
            s.set("details", details);
        }
        s.put("code", code);
        return s;
    }

    static ObjectNode details(String name, String group, String kind) {
        ObjectNode d = object();
        d.put("name", name).put("group", group).put("kind", kind);
        return d;
    }

    static String text(JsonNode n, String... path) {
        JsonNode c = n;
        for (String p : path) {
            c = c == null ? null : c.get(p);
        }
        return c == null || c.isNull() ? null : c.asText();
    }
}
