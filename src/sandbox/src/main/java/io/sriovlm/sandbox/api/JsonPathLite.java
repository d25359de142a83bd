package io.sriovlm.sandbox.api;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The JSONPath subset printer columns and field selectors use: {@code .a.b}, {@code .a[0]} and
 * {@code .a[?(@.type=="X")].b} (first match).
 */
final class JsonPathLite {
    private static final Pattern SEGMENT = Pattern.compile("\\.?([^.\\[]+)|\\[(\\d+)]|\\[\\?\\(@\\.([\\w.-]+)\\s*==\\s*[\"']([^\"']*)[\"']\\)]");

    private JsonPathLite() {
    }

    static JsonNode eval(JsonNode root, String path) {
        JsonNode cur = root;
        String expr = path.trim().replaceAll("^\\{|}$", "");
        Matcher m = SEGMENT.matcher(expr);
        int pos = 0;
        while (cur != null && m.find(pos) && m.start() == pos) {
            if (m.group(1) != null) {
                cur = cur.get(m.group(1));
            } else if (m.group(2) != null) {
                cur = cur.get(Integer.parseInt(m.group(2)));
            } else {
                JsonNode found = null;
                for (JsonNode item : cur) {
                    JsonNode key = eval(item, "." + m.group(3));
                    if (key != null && key.isValueNode() && key.asText().equals(m.group(4))) {
                        found = item;
                        break;
                    }
                }
                cur = found;
            }
            pos = m.end();
        }
        return cur == null || cur.isNull() || pos < expr.length() ? null : cur;
    }
}
