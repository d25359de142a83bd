package io.sriovlm.sandbox.api;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import io.fabric8.mockwebserver.http.ByteString;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.fabric8.mockwebserver.http.Response;
import io.fabric8.mockwebserver.http.WebSocket;
import io.fabric8.mockwebserver.http.WebSocketListener;

/** {@link ApiFaults} inside the embedded API server: its answers as mock responses, its watches as WebSockets. */
final class MockFaults implements ApiFaults.Watches {
    private final ApiFaults faults;
    private final Map<String, Set<WebSocket>> watches = new ConcurrentHashMap<>();

    MockFaults(ApiFaults faults) {
        this.faults = faults;
        faults.trackWatches(this);
    }

    /** The injected answer for this request, or null to serve it. Observers of writes run before. */
    MockResponse before(RecordedRequest req, ApiPath p, String body) {
        var r = new ApiFaults.Request(ApiFaults.verbOf(req.method().name(), p.name() != null, p.query()), p.group(),
                p.plural(), p.namespace(), p.name(), p.subresource(), body);
        return faults.intercept(r).map(f -> Json.status(f.code(), f.reason(), f.message(), null)).orElse(null);
    }

    @Override
    public int drop(String resource) {
        int n = 0;
        for (Map.Entry<String, Set<WebSocket>> e : watches.entrySet()) {
            if (resource != null && !resource.equals(e.getKey())) {
                continue;
            }
            for (WebSocket ws : List.copyOf(e.getValue())) {
                e.getValue().remove(ws);
                ws.close(1001, "sandbox: watch dropped");
                n++;
            }
        }
        return n;
    }

    @Override
    public int open(String resource) {
        return watches.getOrDefault(resource, Set.of()).size();
    }

    /**
     * Wraps a watch's WebSocket so that {@link #drop} can close it, and sends it the deletions it may have missed
     * ({@code missed}: the deleted objects, as JSON, that are still gone when the watch opens).
     */
    MockResponse track(String resource, MockResponse r, java.util.function.Supplier<List<String>> missed) {
        WebSocketListener inner = r.getWebSocketListener();
        if (inner == null) {
            return r;
        }
        Set<WebSocket> open = watches.computeIfAbsent(resource, k -> ConcurrentHashMap.newKeySet());
        return r.withWebSocketUpgrade(new WebSocketListener() {
            @Override
            public void onBeforeAccept(WebSocket ws, Response response) {
                inner.onBeforeAccept(ws, response);
            }

            @Override
            public void onOpen(WebSocket ws, Response response) {
                open.add(ws);
                inner.onOpen(ws, response);
                // Checked and sent here, in this order: an object created again after the check is announced
                // (ADDED) after its DELETED.
                missed.get().forEach(json -> ws.send("{\"type\":\"DELETED\",\"object\":" + json + "}"));
            }

            @Override
            public void onMessage(WebSocket ws, String text) {
                inner.onMessage(ws, text);
            }

            @Override
            public void onMessage(WebSocket ws, ByteString bytes) {
                inner.onMessage(ws, bytes);
            }

            @Override
            public void onMessage(WebSocket ws, byte[] bytes) {
                inner.onMessage(ws, bytes);
            }

            @Override
            public void onClosing(WebSocket ws, int code, String reason) {
                open.remove(ws);
                inner.onClosing(ws, code, reason);
            }

            @Override
            public void onClosed(WebSocket ws, int code, String reason) {
                open.remove(ws);
                inner.onClosed(ws, code, reason);
            }

            @Override
            public void onFailure(WebSocket ws, Throwable t, Response response) {
                open.remove(ws);
                inner.onFailure(ws, t, response);
            }
        });
    }
}
