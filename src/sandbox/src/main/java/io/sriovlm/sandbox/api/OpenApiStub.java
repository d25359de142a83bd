package io.sriovlm.sandbox.api;

import java.util.List;

import com.fasterxml.jackson.databind.node.ObjectNode;

import io.fabric8.mockwebserver.http.MockResponse;

/**
 * A minimal OpenAPI v3 surface. {@code kubectl apply} (default {@code --validate=strict}) reads it only to learn
 * whether the server accepts the {@code fieldValidation} query parameter for a kind; when it does, kubectl leaves
 * validation to the server, which is what we want: the schemas are checked by {@link SchemaValidator}.
 * It is not enough for {@code kubectl explain}.
 */
final class OpenApiStub {
    private final Discovery discovery;

    OpenApiStub(Discovery discovery) {
        this.discovery = discovery;
    }

    MockResponse handle(String path) {
        if (path.equals("/openapi/v3")) {
            ObjectNode idx = Json.object();
            ObjectNode paths = idx.putObject("paths");
            paths.putObject("api/v1").put("serverRelativeURL", "/openapi/v3/api/v1");
            discovery.groupVersions().keySet().forEach(gv -> paths.putObject("apis/" + gv)
                    .put("serverRelativeURL", "/openapi/v3/apis/" + gv));
            return Json.ok(idx);
        }
        String gv = path.startsWith("/openapi/v3/api/") ? "/" + path.substring("/openapi/v3/api/".length())
                : path.startsWith("/openapi/v3/apis/") ? path.substring("/openapi/v3/apis/".length()) : null;
        if (gv == null) {
            return null;
        }
        ObjectNode doc = Json.object().put("openapi", "3.0.0");
        doc.putObject("info").put("title", "Kubernetes").put("version", Discovery.GIT_VERSION);
        ObjectNode paths = doc.putObject("paths");
        for (String[] k : discovery.kinds()) {
            if (!(k[0] + "/" + k[1]).equals(gv)) {
                continue;
            }
            String prefix = k[0].isEmpty() ? "/api/" + k[1] : "/apis/" + k[0] + "/" + k[1];
            String p = prefix + (Boolean.parseBoolean(k[4]) ? "/namespaces/{namespace}/" : "/") + k[2] + "/{name}";
            ObjectNode op = paths.putObject(p).putObject("patch");
            op.putObject("x-kubernetes-group-version-kind").put("group", k[0]).put("version", k[1]).put("kind", k[3]);
            for (String q : List.of("dryRun", "fieldManager", "fieldValidation", "force")) {
                op.withArray("parameters").addObject().put("name", q).put("in", "query").putObject("schema")
                        .put("type", "string");
            }
            op.putObject("responses").putObject("200").put("description", "OK");
        }
        doc.putObject("components").putObject("schemas");
        return Json.ok(doc);
    }
}
