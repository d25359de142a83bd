package io.sriovlm.sandbox.api;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Server-side printing ({@code Accept: ...;as=Table}): custom resources get the CRD's
 * {@code additionalPrinterColumns}, nodes get Name/Status/Roles/Age/Version, anything else Name/Age. Cells of type
 * {@code date} carry the raw timestamp; kubectl turns them into an age. Priority columns are sent with their priority
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
        return v.isContainerNode() ? Json.MAPPER.getNodeFactory().textNode(Json.write(v)) : v;
    }

    private static String nodeStatus(JsonNode node) {
        JsonNode ready = JsonPathLite.eval(node, ".status.conditions[?(@.type==\"Ready\")].status");
        String s = ready == null ? "Unknown" : "True".equals(ready.asText()) ? "Ready" : "NotReady";
        return node.path("spec").path("unschedulable").asBoolean(false) ? s + ",SchedulingDisabled" : s;
    }
}
