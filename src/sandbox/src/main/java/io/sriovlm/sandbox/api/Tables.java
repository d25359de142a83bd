package io.sriovlm.sandbox.api;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Server-side printing ({@code Accept: ...;as=Table}): custom resources get the CRD's
 * {@code additionalPrinterColumns}, nodes get Name/Status/Roles/Age/Version, anything else Name/Age. Cells of type
 * {@code date} are turned into an age here, as the API server does (kubectl prints cells as they come). Priority columns are sent with their priority
 * and kubectl shows them only with {@code -o wide}.
 */
final class Tables {
    private record Column(String name, String type, String format, int priority, String jsonPath) {
    }

    private Tables() {
    }

    static boolean wanted(String accept) {
        return accept != null && accept.contains("as=Table");
    }

    /** @param body a List (or a single object) as the store answered it */
    static ObjectNode table(JsonNode body, ApiPath p, CrdRegistry.Crd crd) {
        List<Column> cols = columns(p, crd);
        ObjectNode t = Json.object().put("kind", "Table").put("apiVersion", "meta.k8s.io/v1");
        ObjectNode meta = t.putObject("metadata");
        if (body.path("metadata").has("resourceVersion") && body.has("items")) {
            meta.put("resourceVersion", body.path("metadata").path("resourceVersion").asText());
        }
        ArrayNode defs = t.putArray("columnDefinitions");
        for (Column c : cols) {
            defs.addObject().put("name", c.name()).put("type", c.type()).put("format", c.format())
                    .put("description", "").put("priority", c.priority());
        }
        ArrayNode rows = t.putArray("rows");
        List<JsonNode> items = new ArrayList<>();
        if (body.has("items")) {
            body.get("items").forEach(items::add);
        } else {
            items.add(body);
        }
        for (JsonNode item : items) {
            ObjectNode row = rows.addObject();
            ArrayNode cells = row.putArray("cells");
            for (Column c : cols) {
                cells.add(cell(item, c, p));
            }
            ObjectNode obj = row.putObject("object").put("kind", "PartialObjectMetadata")
                    .put("apiVersion", "meta.k8s.io/v1");
            obj.set("metadata", item.path("metadata").deepCopy());
        }
        return t;
    }

    private static List<Column> columns(ApiPath p, CrdRegistry.Crd crd) {
        List<Column> cols = new ArrayList<>();
        cols.add(new Column("Name", "string", "name", 0, ".metadata.name"));
        if (crd != null && crd.printerColumns().size() > 0) {
            for (JsonNode c : crd.printerColumns()) {
                cols.add(new Column(c.path("name").asText(), c.path("type").asText("string"),
                        c.path("format").asText(""), c.path("priority").asInt(0), c.path("jsonPath").asText()));
            }
        } else if (p.isCore() && p.plural().equals("nodes")) {
            cols.add(new Column("Status", "string", "", 0, null));
            cols.add(new Column("Roles", "string", "", 0, null));
            cols.add(new Column("Age", "date", "", 0, ".metadata.creationTimestamp"));
            cols.add(new Column("Version", "string", "", 0, ".status.nodeInfo.kubeletVersion"));
        } else {
            cols.add(new Column("Age", "date", "", 0, ".metadata.creationTimestamp"));
        }
        return cols;
    }

    private static JsonNode cell(JsonNode item, Column c, ApiPath p) {
        if (c.jsonPath() == null && c.name().equals("Status")) {
            return Json.MAPPER.getNodeFactory().textNode(nodeStatus(item));
        }
        if (c.jsonPath() == null && c.name().equals("Roles")) {
            List<String> roles = new ArrayList<>();
            item.path("metadata").path("labels").fieldNames().forEachRemaining(l -> {
                if (l.startsWith("node-role.kubernetes.io/")) {
                    roles.add(l.substring("node-role.kubernetes.io/".length()));
                }
            });
            return Json.MAPPER.getNodeFactory().textNode(roles.isEmpty() ? "<none>" : String.join(",", roles));
        }
        JsonNode v = JsonPathLite.eval(item, c.jsonPath());
        if (v == null) {
            return Json.MAPPER.getNodeFactory().nullNode();
        }
        if (c.type().equals("date")) {
            return Json.MAPPER.getNodeFactory().textNode(age(v.asText()));
        }
        return v.isContainerNode() ? Json.MAPPER.getNodeFactory().textNode(Json.write(v)) : v;
    }

    /** Like the API server's table convertor: a date cell becomes a human age ({@code 5m3s}, {@code 2d4h}). */
    static String age(String timestamp) {
        java.time.Instant t;
        try {
            t = java.time.Instant.parse(timestamp);
        } catch (RuntimeException e) {
            return "<unknown>";
        }
        return humanDuration(java.time.Duration.between(t, java.time.Instant.now()));
    }

    /** k8s.io/apimachinery's duration.HumanDuration. */
    static String humanDuration(java.time.Duration d) {
        long seconds = d.getSeconds();
        if (seconds < -1) {
            return "<invalid>";
        }
        if (seconds < 0) {
            return "0s";
        }
        if (seconds < 120) {
            return seconds + "s";
        }
        long minutes = seconds / 60;
        if (minutes < 10) {
            return seconds % 60 == 0 ? minutes + "m" : minutes + "m" + seconds % 60 + "s";
        }
        if (minutes < 180) {
            return minutes + "m";
        }
        long hours = minutes / 60;
        if (hours < 8) {
            return minutes % 60 == 0 ? hours + "h" : hours + "h" + minutes % 60 + "m";
        }
        if (hours < 48) {
            return hours + "h";
        }
        if (hours < 24 * 8) {
            return hours % 24 == 0 ? hours / 24 + "d" : hours / 24 + "d" + hours % 24 + "h";
        }
        if (hours < 24 * 365 * 2) {
            return hours / 24 + "d";
        }
        if (hours < 24 * 365 * 8) {
            long dy = (hours / 24) % 365;
            return dy == 0 ? hours / 24 / 365 + "y" : hours / 24 / 365 + "y" + dy + "d";
        }
        return hours / 24 / 365 + "y";
    }

    private static String nodeStatus(JsonNode node) {
        JsonNode ready = JsonPathLite.eval(node, ".status.conditions[?(@.type==\"Ready\")].status");
        String s = ready == null ? "Unknown" : "True".equals(ready.asText()) ? "Ready" : "NotReady";
        return node.path("spec").path("unschedulable").asBoolean(false) ? s + ",SchedulingDisabled" : s;
    }
}
