package io.sriovlm.sandbox.api;

import java.nio.charset.StandardCharsets;

import com.fasterxml.jackson.databind.JsonNode;

import io.fabric8.mockwebserver.dsl.HttpMethod;
import io.fabric8.mockwebserver.http.Buffer;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.Headers;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;

/** The fabric8 CRUD dispatcher seen as the object store: every layer above talks to it through here. */
final class Store {
    private final Dispatcher crud;

    Store(Dispatcher crud) {
        this.crud = crud;
    }

    MockResponse send(HttpMethod method, String path, Headers headers, String body) {
        Buffer b = new Buffer();
        if (body != null) {
            b.write(body.getBytes(StandardCharsets.UTF_8));
        }
        return crud.dispatch(new RecordedRequest("HTTP/1.1", method, path,
                headers == null ? Headers.builder().build() : headers, b));
    }

    MockResponse send(RecordedRequest req) {
        return crud.dispatch(req);
    }

    /** @return the stored object at {@code path}, or null when there is none */
    JsonNode get(String path) {
        MockResponse r = send(HttpMethod.GET, path, null, null);
        return r.code() == 200 ? Json.read(body(r)) : null;
    }

    static String body(MockResponse r) {
        return r.getBody() == null ? "" : new String(r.getBody().getBytes(), StandardCharsets.UTF_8);
    }

    static Headers json() {
        return Headers.builder().add("Content-Type", "application/json").build();
    }
}
