package io.sriovlm.sandbox.api;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The custom resource definitions the server knows, read back from its own store so that CRDs created through the
 * API count as well as those given at start.
 */
final class CrdRegistry {

    /** One served version of one CRD. */
    record Crd(String group, String version, String kind, String plural, String singular, boolean namespaced,
            List<String> shortNames, List<String> categories, boolean statusSubresource, JsonNode schema,
            JsonNode printerColumns) {

        String resource() {
            return plural + "." + group;
        }
    }

    private final Supplier<JsonNode> lister;
    private volatile Map<String, Crd> byGroupVersionPlural = Map.of();

    CrdRegistry(Supplier<JsonNode> lister) {
        this.lister = lister;
    }

    void refresh() {
        Map<String, Crd> m = new ConcurrentHashMap<>();
        JsonNode list = lister.get();
        for (JsonNode crd : list.path("items")) {
            JsonNode spec = crd.path("spec");
            JsonNode names = spec.path("names");
            for (JsonNode v : spec.path("versions")) {
                if (!v.path("served").asBoolean(true)) {
                    continue;
                }
                Crd c = new Crd(spec.path("group").asText(), v.path("name").asText(), names.path("kind").asText(),
                        names.path("plural").asText(),
                        names.path("singular").asText(names.path("kind").asText().toLowerCase()),
                        "Namespaced".equals(spec.path("scope").asText()), strings(names.path("shortNames")),
                        strings(names.path("categories")), v.path("subresources").has("status"),
                        v.path("schema").path("openAPIV3Schema"), v.path("additionalPrinterColumns"));
                m.put(key(c.group(), c.version(), c.plural()), c);
            }
        }
        byGroupVersionPlural = m;
    }

    Crd find(String group, String version, String plural) {
        return byGroupVersionPlural.get(key(group, version, plural));
    }

    List<Crd> all() {
        return new ArrayList<>(byGroupVersionPlural.values());
    }

    private static String key(String g, String v, String p) {
        return g + "/" + v + "/" + p;
    }

    private static List<String> strings(JsonNode array) {
        List<String> l = new ArrayList<>();
        array.forEach(n -> l.add(n.asText()));
        return l;
    }
}
