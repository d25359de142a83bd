package io.sriovlm.sandbox.api;

import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.JsonNode;

import io.fabric8.mockwebserver.dsl.HttpMethod;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.Headers;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;

/**
 * The front of the embedded API server: routes each request to one concern and hands the rest to the fabric8 CRUD
 * store. Non-resource paths: {@link Discovery} ({@code /version}, {@code /api}, {@code /apis}), {@link OpenApiStub},
 * else 404. Resource reads: field selectors and server-side tables. Resource writes: {@link StrictWrites}.
 */
final class ApiDispatcher extends Dispatcher {
    private final Store store;
    private final Discovery discovery;
    private final OpenApiStub openApi;
    private final StrictWrites writes;
    private final CrdRegistry crds;
    private final MockFaults faults;
    private final Tombstones tombstones = new Tombstones();

    ApiDispatcher(Store store, CrdRegistry crds, ApiFaults faults) {
        this.store = store;
        this.faults = new MockFaults(faults);
        this.crds = crds;
        this.discovery = new Discovery(crds);
        this.openApi = new OpenApiStub(discovery);
        this.writes = new StrictWrites(store, crds, tombstones);
    }

    @Override
    public MockResponse dispatch(RecordedRequest request) {
        try {
            return withJsonType(route(request));
        } catch (RuntimeException e) {
            return Json.status(500, "InternalError", "sandbox API server: " + e, null);
        }
    }

    private MockResponse route(RecordedRequest req) {
        String path = ApiPath.stripQuery(req.getPath());
        MockResponse fixed = discovery.handle(path);
        if (fixed == null && path.startsWith("/openapi/")) {
            fixed = openApi.handle(path);
        }
        if (fixed != null) {
            return fixed;
        }
        ApiPath p = ApiPath.parse(req.getPath());
        if (p == null) {
            return Json.status(404, "NotFound", "the server could not find the requested resource", null);
        }
        if (req.method() == HttpMethod.GET) {
            MockResponse fault = faults.before(req, p, null);
            return fault != null ? fault : read(req, p);
        }
        if (p.query().containsKey("dryRun")) {
            // The mock would carry a dry run out for real (kubectl diff once created the object it diffed).
            return Json.status(400, "BadRequest", "the sandbox's embedded API server has no server-side dry run"
                    + " (kubectl diff, --dry-run=server): run the sandbox on the real control plane for it", null);
        }
        String body = req.getUtf8Body(); // reading consumes the request's buffer: read it once
        MockResponse fault = faults.before(req, p, body);
        if (fault != null) {
            return fault;
        }
        if (req.method() == HttpMethod.POST && "authorization.k8s.io".equals(p.group())
                && p.plural().endsWith("rulesreviews")) {
            return rulesReview(body);
        }
        return writes.handle(rewriteStrategicMerge(req, p, body), body, p);
    }

    /**
     * The sandbox has no authorization: a SelfSubjectRulesReview (JOSDK asks one before leader election) is answered
     * with every verb on every resource.
     */
    private static MockResponse rulesReview(String body) {
        com.fasterxml.jackson.databind.node.ObjectNode review = (com.fasterxml.jackson.databind.node.ObjectNode) Json.read(body);
        com.fasterxml.jackson.databind.node.ObjectNode status = review.putObject("status");
        com.fasterxml.jackson.databind.node.ObjectNode rule = status.putArray("resourceRules").addObject();
        rule.putArray("verbs").add("*");
        rule.putArray("apiGroups").add("*");
        rule.putArray("resources").add("*");
        status.putArray("nonResourceRules");
        status.put("incomplete", false);
        return Json.response(201, review);
    }

    private MockResponse read(RecordedRequest req, ApiPath p) {
        String selector = p.query().get("fieldSelector");
        boolean watch = "true".equals(p.query().get("watch")) || "1".equals(p.query().get("watch"));
        boolean table = Tables.wanted(req.getHeader("Accept"));
        boolean list = p.name() == null;
        if (watch) {
            // Deletions the watch's list may have been taken before (see Tombstones), of objects that are gone still.
            return faults.track(p.plural(), store.send(req), () -> tombstones.since(p, java.time.Instant.now())
                    .stream().filter(t -> store.get(t.path()) == null).map(Tombstones.Tombstone::json).toList());
        }
        if (selector == null && !table && !list) {
            return store.send(req);
        }
        String forwarded = req.getPath();
        boolean filterHere = selector != null && p.name() == null && !selector.matches("metadata\\.name=[^,]*");
        if (filterHere) {
            forwarded = p.rawPath() + query(p, "fieldSelector");
        }
        MockResponse r = store.send(req.method(), forwarded, req.getHeaders(), null);
        if (r.code() != 200) {
            return r;
        }
        JsonNode body = Json.read(Store.body(r));
        if (filterHere) {
            body = FieldSelectors.filter(body, selector);
        }
        String kind = discovery.kindOf(p.group(), p.version(), p.plural());
        if (list && kind != null && "List".equals(body.path("kind").asText()) && body.isObject()) {
            // typed clients (kubectl describe's events) cannot decode a bare "List"
            ((com.fasterxml.jackson.databind.node.ObjectNode) body).put("kind", kind + "List");
        }
        if (table && (body.has("items") || body.has("metadata"))) {
            body = Tables.table(body, p, crds.find(p.group(), p.version(), p.plural()));
        }
        return Json.ok(body);
    }

    /** Core kinds get strategic merge patches from kubectl (cordon, taint): read them as merge patches. */
    private static RecordedRequest rewriteStrategicMerge(RecordedRequest req, ApiPath p, String body) {
        String type = req.getHeader("Content-Type");
        if (req.method() != HttpMethod.PATCH || type == null || !type.startsWith(Patches.STRATEGIC) || !p.isCore()) {
            return req;
        }
        Headers h = req.getHeaders().newBuilder().set("Content-Type", Patches.MERGE).build();
        io.fabric8.mockwebserver.http.Buffer b = new io.fabric8.mockwebserver.http.Buffer();
        b.write(body.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return new RecordedRequest(req.getHttpVersion(), req.method(), req.getPath(), h, b);
    }

    private static String query(ApiPath p, String without) {
        String q = p.query().entrySet().stream().filter(e -> !e.getKey().equals(without))
                .map(e -> e.getKey() + "=" + java.net.URLEncoder.encode(e.getValue(), java.nio.charset.StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
        return q.isEmpty() ? "" : "?" + q;
    }

    private static MockResponse withJsonType(MockResponse r) {
        if (r.getWebSocketListener() == null && r.header("Content-Type") == null) {
            r.setHeader("Content-Type", "application/json");
        }
        return r;
    }
}
