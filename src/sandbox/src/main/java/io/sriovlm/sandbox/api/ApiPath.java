package io.sriovlm.sandbox.api;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A resource request path, split the way the API server reads it:
 * {@code /api/v1[/namespaces/NS]/PLURAL[/NAME[/SUB]]} or {@code /apis/GROUP/VERSION[/namespaces/NS]/PLURAL[/NAME[/SUB]]}.
 * The group is "" for the core API.
 */
public record ApiPath(String group, String version, String namespace, String plural, String name, String subresource,
        String rawPath, Map<String, String> query) {

    /** Parses {@code pathAndQuery}; null when it is not a resource path (discovery, openapi, anything else). */
    public static ApiPath parse(String pathAndQuery) {
        String path = stripQuery(pathAndQuery);
        Map<String, String> query = query(pathAndQuery);
        String[] s = path.replaceAll("^/+|/+$", "").split("/");
        int i;
        String group;
        String version;
        if (s.length >= 3 && s[0].equals("api")) {
            group = "";
            version = s[1];
            i = 2;
        } else if (s.length >= 4 && s[0].equals("apis")) {
            group = s[1];
            version = s[2];
            i = 3;
        } else {
            return null;
        }
        String ns = null;
        if (s[i].equals("namespaces") && s.length - i >= 3) {
            ns = s[i + 1];
            i += 2;
        }
        int rest = s.length - i;
        if (rest < 1 || rest > 3) {
            return null;
        }
        return new ApiPath(group, version, ns, s[i], rest > 1 ? s[i + 1] : null, rest > 2 ? s[i + 2] : null, path, query);
    }

    static String stripQuery(String pathAndQuery) {
        int q = pathAndQuery.indexOf('?');
        return q < 0 ? pathAndQuery : pathAndQuery.substring(0, q);
    }

    static Map<String, String> query(String pathAndQuery) {
        Map<String, String> m = new LinkedHashMap<>();
        int q = pathAndQuery.indexOf('?');
        if (q < 0) {
            return m;
        }
        for (String kv : pathAndQuery.substring(q + 1).split("&")) {
            if (kv.isEmpty()) {
                continue;
            }
            int e = kv.indexOf('=');
            String k = URLDecoder.decode(e < 0 ? kv : kv.substring(0, e), StandardCharsets.UTF_8);
            String v = e < 0 ? "" : URLDecoder.decode(kv.substring(e + 1), StandardCharsets.UTF_8);
            m.put(k, v);
        }
        return m;
    }

    boolean isCore() {
        return group.isEmpty();
    }

    boolean isStatus() {
        return "status".equals(subresource);
    }

    /** The path of the main resource (no subresource, no query). */
    String objectPath() {
        return isStatus() ? rawPath.substring(0, rawPath.length() - "/status".length()) : rawPath;
    }
}
