package io.sriovlm.sandbox.api;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.fabric8.mockwebserver.dsl.HttpMethod;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;

/**
 * Writes made as strict as a real API server where the mock is lax:
 * <ul>
 * <li>optimistic concurrency everywhere, {@code /status} included (the mock does not check it there);
 * <li>a custom-resource PUT must carry {@code metadata.resourceVersion};
 * <li>custom resources are pruned, defaulted and validated against their schema and CEL rules on create, update and
 * patch (the patched object is computed here, then stored with a plain PUT).
 * </ul>
 * Check and write happen under one lock, so two writers starting from the same resourceVersion cannot both win.
 */
final class StrictWrites {
    private final ReentrantLock lock = new ReentrantLock();
    private final Store store;
    private final CrdRegistry crds;
    private final Tombstones tombstones;

    StrictWrites(Store store, CrdRegistry crds, Tombstones tombstones) {
        this.store = store;
        this.crds = crds;
        this.tombstones = tombstones;
    }

    /** @param body the request's body, read once by the caller (reading consumes the request's buffer) */
    MockResponse handle(RecordedRequest req, String body, ApiPath p) {
        lock.lock();
        try {
            CrdRegistry.Crd crd = crds.find(p.group(), p.version(), p.plural());
            MockResponse r;
            if (crd != null && req.method() == HttpMethod.POST && p.name() == null) {
                r = create(body, p, crd);
            } else if (req.method() == HttpMethod.PUT || req.method() == HttpMethod.PATCH) {
                r = update(req, body, p, crd);
            } else {
                JsonNode deleted = req.method() == HttpMethod.DELETE && p.name() != null ? store.get(p.objectPath()) : null;
                r = store.send(req.method(), p.rawPath(), req.getHeaders(), body);
                if (deleted != null && r.code() < 300) {
                    recordIfGone(p, deleted);
                }
            }
            if ((req.method() == HttpMethod.PUT || req.method() == HttpMethod.PATCH) && r.code() < 300
                    && Store.body(r).contains("deletionTimestamp")) {
                recordIfGone(p, Json.read(Store.body(r))); // its last finalizer removed: the object is gone
            }
            if ("customresourcedefinitions".equals(p.plural()) && r.code() < 300) {
                crds.refresh();
            }
            return r;
        } finally {
            lock.unlock();
        }
    }

    /** A delete, or the removal of a deleted object's last finalizer, took {@code last} out of the store. */
    private void recordIfGone(ApiPath p, JsonNode last) {
        if (store.get(p.objectPath()) == null) {
            tombstones.record(p, last, java.time.Instant.now());
        }
    }

    private MockResponse create(String body, ApiPath p, CrdRegistry.Crd crd) {
        ObjectNode obj = (ObjectNode) Json.read(body);
        if (crd.statusSubresource()) {
            obj.remove("status");
        }
        String name = Objects.requireNonNullElse(Json.text(obj, "metadata", "name"),
                Objects.requireNonNullElse(Json.text(obj, "metadata", "generateName"), ""));
        MockResponse invalid = validate(obj, null, crd, name, p);
        return invalid != null ? invalid : store.send(HttpMethod.POST, p.rawPath(), Store.json(), Json.write(obj));
    }

    private MockResponse update(RecordedRequest req, String body, ApiPath p, CrdRegistry.Crd crd) {
        JsonNode stored = store.get(p.objectPath());
        if (stored == null) {
            if (crd == null && req.method() == HttpMethod.PUT) {
                return store.send(req.method(), p.rawPath(), req.getHeaders(), body);
            }
            return notFound(p, crd);
        }
        JsonNode incoming;
        try {
            incoming = req.method() == HttpMethod.PUT ? Json.read(body)
                    : Patches.apply(stored, req.getHeader("Content-Type"), body);
        } catch (UnsupportedOperationException e) {
            return Json.status(415, "UnsupportedMediaType", "the body of the request was in an unknown format - "
                    + "accepted media types include: application/json-patch+json, application/merge-patch+json", null);
        } catch (RuntimeException e) {
            return Json.status(422, "Invalid", "the server rejected our request due to an error in our request: "
                    + e.getMessage(), null);
        }
        String storedRv = Json.text(stored, "metadata", "resourceVersion");
        String rv = Json.text(incoming, "metadata", "resourceVersion");
        if (rv == null && crd != null && req.method() == HttpMethod.PUT) {
            return FieldError.invalid(crd, p.name(), List.of(new FieldError("metadata.resourceVersion",
                    "FieldValueInvalid", "Invalid value: 0x0: must be specified for an update")));
        }
        if (rv != null && !rv.equals(storedRv)) {
            return conflict(p, crd);
        }
        if (crd == null) {
            // Built-in kinds are not validated here: forward the original request (query stripped).
            return store.send(req.method(), p.rawPath(), req.getHeaders(), body);
        }
        ObjectNode next;
        if (p.isStatus()) {
            next = stored.deepCopy();
            if (incoming.has("status")) {
                next.set("status", incoming.get("status"));
            } else {
                next.remove("status");
            }
        } else {
            next = (ObjectNode) incoming;
            if (crd.statusSubresource()) {
                if (stored.has("status")) {
                    next.set("status", stored.get("status"));
                } else {
                    next.remove("status");
                }
            }
        }
        ((ObjectNode) next.with("metadata")).put("resourceVersion", storedRv);
        MockResponse invalid = validate(next, stored, crd, p.name(), p);
        if (invalid != null) {
            return invalid;
        }
        MockResponse r = store.send(HttpMethod.PUT, p.rawPath(), Store.json(), Json.write(next));
        // The mock answers 202 to PATCH; a real server answers 200 to both.
        return r.code() == 202 ? r.setResponseCode(200) : r;
    }

    private MockResponse validate(ObjectNode obj, JsonNode old, CrdRegistry.Crd crd, String name, ApiPath p) {
        SchemaValidator.Result r = SchemaValidator.check(obj, crd.schema());
        if (!r.pruned().isEmpty() && "Strict".equalsIgnoreCase(p.query().get("fieldValidation"))) {
            StringBuilder m = new StringBuilder();
            r.pruned().forEach(f -> m.append(m.length() == 0 ? "" : ", ").append("unknown field \"").append(f)
                    .append('"'));
            return Json.status(400, "BadRequest", crd.kind() + " in version \"" + crd.version()
                    + "\" cannot be handled as a " + crd.kind() + ": strict decoding error: " + m, null);
        }
        List<FieldError> errors = r.errors();
        if (errors.isEmpty()) {
            errors.addAll(CelRules.check(obj, old, crd.schema()));
        }
        return errors.isEmpty() ? null : FieldError.invalid(crd, name, errors);
    }

    private static MockResponse conflict(ApiPath p, CrdRegistry.Crd crd) {
        String resource = crd != null ? crd.resource() : p.isCore() ? p.plural() : p.plural() + "." + p.group();
        return Json.status(409, "Conflict", "Operation cannot be fulfilled on " + resource + " \"" + p.name()
                + "\": the object has been modified; please apply your changes to the latest version and try again",
                Json.details(p.name(), p.group(), p.plural()));
    }

    private static MockResponse notFound(ApiPath p, CrdRegistry.Crd crd) {
        String resource = crd != null ? crd.resource() : p.isCore() ? p.plural() : p.plural() + "." + p.group();
        return Json.status(404, "NotFound", resource + " \"" + p.name() + "\" not found",
                Json.details(p.name(), p.group(), p.plural()));
    }
}
