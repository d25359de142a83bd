package io.sriovlm.sandbox.api;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

import io.fabric8.mockwebserver.dsl.HttpMethod;
import io.fabric8.mockwebserver.http.ByteString;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.fabric8.mockwebserver.http.Response;
import io.fabric8.mockwebserver.http.WebSocket;
import io.fabric8.mockwebserver.http.WebSocketListener;

/**
 * The embedded API server's fault injector: answers chosen requests with an error instead of serving them, closes the
 * open watches of a resource (its informers must watch again and catch up), and tells observers about each write
 * before it is applied (the hook a test or a chaos runner uses to act "when a migration enters phase X").
 * <p>
 * A {@link Rule} matches by verb ({@code get list watch create update patch delete}), resource (plural) and
 * subresource, and fires a given number of times or with a probability drawn from a seeded {@link Random}, so a run
 * is replayable from its seed. Discovery and OpenAPI requests are never faulted.
 */
public final class ApiFaults {
    /**
     * One way of failing requests.
     *
     * @param verb        {@code get list watch create update patch delete}, or null for any
     * @param resource    plural, e.g. {@code sriovmigrations}, or null for any
     * @param subresource e.g. {@code status}; "" for the main resource only; null for either
     * @param code        the HTTP status to answer (409, 500, 410, 503...)
     * @param times       how many matching requests to fail; negative: no limit (use with a probability)
     * @param probability the chance a matching request fails, within [0, 1]
     */
    public record Rule(String verb, String resource, String subresource, int code, int times, double probability) {
        public Rule {
            if (code < 400 || code > 599) {
                throw new IllegalArgumentException("a fault answers an error status, not " + code);
            }
            if (probability < 0 || probability > 1) {
                throw new IllegalArgumentException("probability must be within [0, 1]: " + probability);
            }
        }

        /** The next {@code times} matching requests fail with {@code code}. */
        public static Rule times(String verb, String resource, String subresource, int code, int times) {
            return new Rule(verb, resource, subresource, code, times, 1.0);
        }

        /** Every matching request fails with {@code code} with this probability, until removed. */
        public static Rule probability(String verb, String resource, String subresource, int code, double p) {
            return new Rule(verb, resource, subresource, code, -1, p);
        }

        boolean matches(Request r) {
            return (verb == null || verb.equals(r.verb())) && (resource == null || resource.equals(r.resource()))
                    && (subresource == null || subresource.equals(r.subresource() == null ? "" : r.subresource()));
        }
    }

    /** A resource request as the API server reads it, for rules and observers. */
    public record Request(String verb, String group, String resource, String namespace, String name,
            String subresource, String body) {
    }

    private final class Armed {
        final Rule rule;
        int left;

        Armed(Rule rule) {
            this.rule = rule;
            this.left = rule.times();
        }
    }

    private final List<Armed> rules = new ArrayList<>();
    private final List<Consumer<Request>> writeObservers = new CopyOnWriteArrayList<>();
    private final Map<String, Set<WebSocket>> watches = new ConcurrentHashMap<>();
    private Random random = new Random(0);
    private int injected;

    /** Seeds the draws of probability rules. */
    public synchronized void seed(long seed) {
        random = new Random(seed);
    }

    public synchronized void add(Rule rule) {
        rules.add(new Armed(rule));
    }

    /** Removes the rules equal to {@code rule}, fired or not. */
    public synchronized void remove(Rule rule) {
        rules.removeIf(a -> a.rule.equals(rule));
    }

    /** Removes every rule. */
    public synchronized void clear() {
        rules.clear();
    }

    /** How many requests were answered with an injected error so far. */
    public synchronized int injected() {
        return injected;
    }

    /** Called with every create, update, patch and delete of a resource before it is applied. */
    public void onWrite(Consumer<Request> observer) {
        writeObservers.add(observer);
    }

    public void removeWriteObserver(Consumer<Request> observer) {
        writeObservers.remove(observer);
    }

    /**
     * Closes every open watch on {@code resource} (plural; null: on every resource), as an API server restart or a
     * load balancer does; the clients watch again and get the current objects. Returns how many were closed.
     */
    public int dropWatches(String resource) {
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

    /** Open watches on a resource. */
    public int openWatches(String resource) {
        return watches.getOrDefault(resource, Set.of()).size();
    }

    static String verbOf(RecordedRequest req, ApiPath p) {
        HttpMethod m = req.method();
        if (m == HttpMethod.GET) {
            String w = p.query().get("watch");
            if ("true".equals(w) || "1".equals(w)) {
                return "watch";
            }
            return p.name() == null ? "list" : "get";
        }
        return switch (m) {
            case POST -> "create";
            case PUT -> "update";
            case PATCH -> "patch";
            case DELETE -> "delete";
            default -> m.name().toLowerCase(java.util.Locale.ROOT);
        };
    }

    /** The injected answer for this request, or null to serve it. Observers of writes run before. */
    MockResponse before(RecordedRequest req, ApiPath p, String body) {
        Request r = new Request(verbOf(req, p), p.group(), p.plural(), p.namespace(), p.name(), p.subresource(), body);
        MockResponse fault = fault(r);
        if (fault != null) {
            return fault;
        }
        if (!"get".equals(r.verb()) && !"list".equals(r.verb()) && !"watch".equals(r.verb())) {
            for (Consumer<Request> o : writeObservers) {
                o.accept(r);
            }
        }
        return null;
    }

    private synchronized MockResponse fault(Request r) {
        for (Armed a : rules) {
            if (a.left == 0 || !a.rule.matches(r)) {
                continue;
            }
            if (a.rule.probability() < 1 && random.nextDouble() >= a.rule.probability()) {
                continue;
            }
            if (a.left > 0) {
                a.left--;
            }
            injected++;
            String what = r.verb() + " " + r.resource() + (r.subresource() == null ? "" : "/" + r.subresource())
                    + (r.name() == null ? "" : " " + r.name());
            return switch (a.rule.code()) {
                case 409 -> Json.status(409, "Conflict", "Operation cannot be fulfilled on " + what
                        + ": the object has been modified; please apply your changes to the latest version and try"
                        + " again (injected by the sandbox)", null);
                case 410 -> Json.status(410, "Expired", "too old resource version (injected by the sandbox)", null);
                case 429 -> Json.status(429, "TooManyRequests", "the server has received too many requests"
                        + " (injected by the sandbox)", null);
                default -> Json.status(a.rule.code(), a.rule.code() == 500 ? "InternalError" : "ServiceUnavailable",
                        "Internal error occurred: " + what + " (injected by the sandbox)", null);
            };
        }
        return null;
    }

    /** Wraps a watch's WebSocket so that {@link #dropWatches} can close it. */
    MockResponse track(String resource, MockResponse r) {
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
