package io.sriovlm.sandbox.api;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.fabric8.mockwebserver.http.MockResponse;

/**
 * {@code /version} and legacy (non-aggregated) discovery. kubectl asks for aggregated discovery first; answering plain
 * {@code application/json} makes client-go fall back to these documents, which is all it needs.
 */
final class Discovery {
    /** kubectl's dispatcher build picks its own minor version from ours: keep it at 1.32. */
    static final String GIT_VERSION = "v1.32.4";

    /** Built-in kinds the store can hold: plural, singular, kind, namespaced, short names, has /status. */
    private record Builtin(String group, String version, String plural, String kind, boolean namespaced,
            List<String> shortNames, boolean status) {
    }

    private static final List<Builtin> BUILTINS = List.of(
            new Builtin("", "v1", "nodes", "Node", false, List.of("no"), true),
            new Builtin("", "v1", "namespaces", "Namespace", false, List.of("ns"), true),
            new Builtin("", "v1", "pods", "Pod", true, List.of("po"), true),
            new Builtin("", "v1", "services", "Service", true, List.of("svc"), true),
            new Builtin("", "v1", "configmaps", "ConfigMap", true, List.of("cm"), false),
            new Builtin("", "v1", "secrets", "Secret", true, List.of(), false),
            new Builtin("", "v1", "events", "Event", true, List.of("ev"), false),
            new Builtin("", "v1", "serviceaccounts", "ServiceAccount", true, List.of("sa"), false),
            new Builtin("", "v1", "endpoints", "Endpoints", true, List.of("ep"), false),
            new Builtin("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", true, List.of("pvc"), true),
            new Builtin("apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition", false,
                    List.of("crd", "crds"), true),
            new Builtin("coordination.k8s.io", "v1", "leases", "Lease", true, List.of(), false),
            new Builtin("apps", "v1", "deployments", "Deployment", true, List.of("deploy"), true),
            new Builtin("apps", "v1", "daemonsets", "DaemonSet", true, List.of("ds"), true),
            new Builtin("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", true, List.of("pdb"), true));

    private static final List<String> VERBS = List.of("create", "delete", "deletecollection", "get", "list", "patch",
            "update", "watch");

    private final CrdRegistry crds;

    Discovery(CrdRegistry crds) {
        this.crds = crds;
    }

    /** @return the answer for a discovery or version path, or null when {@code path} is not one. */
    MockResponse handle(String path) {
        if (path.equals("/version")) {
            ObjectNode v = Json.object();
            v.put("major", "1").put("minor", "32").put("gitVersion", GIT_VERSION)
                    .put("gitCommit", "sandbox").put("gitTreeState", "clean").put("buildDate", "2025-04-22T00:00:00Z")
                    .put("goVersion", "go1.23.8").put("compiler", "gc").put("platform", "linux/amd64");
            return Json.ok(v);
        }
        if (path.equals("/api")) {
            ObjectNode v = Json.object().put("kind", "APIVersions");
            v.putArray("versions").add("v1");
            v.putArray("serverAddressByClientCIDRs").addObject().put("clientCIDR", "0.0.0.0/0")
                    .put("serverAddress", "127.0.0.1");
            return Json.ok(v);
        }
        if (path.equals("/apis")) {
            return Json.ok(groupList());
        }
        if (path.equals("/api/v1")) {
            return Json.ok(resourceList("", "v1"));
        }
        String[] s = path.split("/");
        if (s.length == 4 && s[1].equals("apis") && groupVersions().containsKey(s[2] + "/" + s[3])) {
            return Json.ok(resourceList(s[2], s[3]));
        }
        return null;
    }

    /** group/version → preferred order of appearance. */
    Map<String, Boolean> groupVersions() {
        Map<String, Boolean> gv = new LinkedHashMap<>();
        BUILTINS.stream().filter(b -> !b.group().isEmpty()).forEach(b -> gv.put(b.group() + "/" + b.version(), true));
        crds.all().forEach(c -> gv.put(c.group() + "/" + c.version(), true));
        return gv;
    }

    private ObjectNode groupList() {
        ObjectNode list = Json.object().put("kind", "APIGroupList").put("apiVersion", "v1");
        ArrayNode groups = list.putArray("groups");
        Map<String, List<String>> byGroup = new LinkedHashMap<>();
        groupVersions().keySet().forEach(gv -> {
            String[] p = gv.split("/");
            byGroup.computeIfAbsent(p[0], k -> new ArrayList<>()).add(p[1]);
        });
        byGroup.forEach((g, versions) -> {
            ObjectNode group = groups.addObject().put("name", g);
            ArrayNode vs = group.putArray("versions");
            versions.forEach(v -> vs.addObject().put("groupVersion", g + "/" + v).put("version", v));
            group.putObject("preferredVersion").put("groupVersion", g + "/" + versions.get(0))
                    .put("version", versions.get(0));
        });
        return list;
    }

    private ObjectNode resourceList(String group, String version) {
        ObjectNode list = Json.object().put("kind", "APIResourceList").put("apiVersion", "v1")
                .put("groupVersion", group.isEmpty() ? version : group + "/" + version);
        ArrayNode rs = list.putArray("resources");
        for (Builtin b : BUILTINS) {
            if (b.group().equals(group) && b.version().equals(version)) {
                add(rs, b.plural(), b.kind().toLowerCase(), b.kind(), b.namespaced(), b.shortNames(), List.of(),
                        b.status());
            }
        }
        for (CrdRegistry.Crd c : crds.all()) {
            if (c.group().equals(group) && c.version().equals(version)) {
                add(rs, c.plural(), c.singular(), c.kind(), c.namespaced(), c.shortNames(), c.categories(),
                        c.statusSubresource());
            }
        }
        return list;
    }

    private static void add(ArrayNode rs, String plural, String singular, String kind, boolean namespaced,
            List<String> shortNames, List<String> categories, boolean status) {
        ObjectNode r = rs.addObject().put("name", plural).put("singularName", singular).put("namespaced", namespaced)
                .put("kind", kind);
        VERBS.forEach(r.putArray("verbs")::add);
        if (!shortNames.isEmpty()) {
            shortNames.forEach(r.putArray("shortNames")::add);
        }
        if (!categories.isEmpty()) {
            categories.forEach(r.putArray("categories")::add);
        }
        if (status) {
            ObjectNode st = rs.addObject().put("name", plural + "/status").put("singularName", "")
                    .put("namespaced", namespaced).put("kind", kind);
            List.of("get", "patch", "update").forEach(st.putArray("verbs")::add);
        }
    }

    /** The kind served at group/version/plural, or null. */
    String kindOf(String group, String version, String plural) {
        for (String[] k : kinds()) {
            if (k[0].equals(group) && k[1].equals(version) && k[2].equals(plural)) {
                return k[3];
            }
        }
        return null;
    }

    /** For the OpenAPI stub: every (group, version, plural, kind, namespaced) served. */
    List<String[]> kinds() {
        List<String[]> l = new ArrayList<>();
        BUILTINS.forEach(b -> l.add(new String[] { b.group(), b.version(), b.plural(), b.kind(),
                String.valueOf(b.namespaced()) }));
        crds.all().forEach(c -> l.add(new String[] { c.group(), c.version(), c.plural(), c.kind(),
                String.valueOf(c.namespaced()) }));
        return l;
    }
}
