package io.sriovlm.sandbox.api;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The sandbox's API fault injector, the same whichever API server is behind it: answers chosen requests with an error
 * instead of serving them, closes the open watches of a resource (its informers must watch again and catch up), and
 * tells observers about each write before it is applied (the hook a test or a chaos runner uses to act "when a
 * migration enters phase X"). The embedded API server applies it in its dispatcher ({@code MockFaults}); in front of a
 * real kube-apiserver the {@code FaultProxy} applies it to every request it forwards.
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

    /** An error answered instead of serving a request: an HTTP status and a Kubernetes Status body. */
    public record Injected(int code, String reason, String message) {
        /** The {@code Status} object a kube-apiserver would answer with. */
        public String statusJson() {
            return Json.statusBody(code, reason, message, null).toString();
        }
    }

    /** The open watches of an API server, by resource, for {@link #dropWatches}. */
    public interface Watches {
        /** Closes the open watches on {@code resource} (null: on every resource); returns how many. */
        int drop(String resource);

        int open(String resource);
    }

    private final List<Armed> rules = new ArrayList<>();
    private final List<Consumer<Request>> writeObservers = new CopyOnWriteArrayList<>();
    private final List<Watches> watches = new CopyOnWriteArrayList<>();
    private Random random = new Random(0);
    private int injected;
    /** When an injected answer last said the API server was unavailable (429, 5xx); null before any. */
    private java.time.Instant lastUnavailable;

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

    /**
     * When an injected answer last said the API server was unavailable (429 or a 5xx, what the operator counts as an
     * outage and holds deadlines after, docs/decisions/030); null before any.
     */
    public synchronized java.time.Instant lastUnavailable() {
        return lastUnavailable;
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

    /** Registers where this server's watches are: the embedded server's WebSockets, a proxy's connections. */
    public void trackWatches(Watches w) {
        watches.add(w);
    }

    /**
     * Closes every open watch on {@code resource} (plural; null: on every resource), as an API server restart or a
     * load balancer does; the clients watch again and get the current objects. Returns how many were closed.
     */
    public int dropWatches(String resource) {
        return watches.stream().mapToInt(w -> w.drop(resource)).sum();
    }

    /** Open watches on a resource. */
    public int openWatches(String resource) {
        return watches.stream().mapToInt(w -> w.open(resource)).sum();
    }

    /**
     * The API verb of a request on a resource path: {@code watch}, {@code get} or {@code list} for a GET (by the
     * {@code watch} parameter and whether it names an object), else {@code create update patch delete} by method.
     */
    public static String verbOf(String method, boolean named, Map<String, String> query) {
        return switch (method) {
            case "GET" -> {
                String w = query.get("watch");
                yield "true".equals(w) || "1".equals(w) ? "watch" : named ? "get" : "list";
            }
            case "POST" -> "create";
            case "PUT" -> "update";
            case "PATCH" -> "patch";
            case "DELETE" -> named ? "delete" : "deletecollection";
            default -> method.toLowerCase(java.util.Locale.ROOT);
        };
    }

    /**
     * What to do with a resource request: the injected error to answer instead, or empty to serve it. Observers of
     * writes are told before it is served.
     */
    public Optional<Injected> intercept(Request r) {
        Injected fault = fault(r);
        if (fault != null) {
            return Optional.of(fault);
        }
        if (!"get".equals(r.verb()) && !"list".equals(r.verb()) && !"watch".equals(r.verb())) {
            for (Consumer<Request> o : writeObservers) {
                o.accept(r);
            }
        }
        return Optional.empty();
    }

    private synchronized Injected fault(Request r) {
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
            if (io.sriovlm.operator.reconciler.ApiTrouble.unavailable(a.rule.code())) {
                lastUnavailable = java.time.Instant.now();
            }
            String what = r.verb() + " " + r.resource() + (r.subresource() == null ? "" : "/" + r.subresource())
                    + (r.name() == null ? "" : " " + r.name());
            return switch (a.rule.code()) {
                case 409 -> new Injected(409, "Conflict", "Operation cannot be fulfilled on " + what
                        + ": the object has been modified; please apply your changes to the latest version and try"
                        + " again (injected by the sandbox)");
                case 410 -> new Injected(410, "Expired", "too old resource version (injected by the sandbox)");
                case 403 -> new Injected(403, "Forbidden", what + " is forbidden (injected by the sandbox)");
                case 429 -> new Injected(429, "TooManyRequests", "the server has received too many requests"
                        + " (injected by the sandbox)");
                default -> new Injected(a.rule.code(), a.rule.code() == 500 ? "InternalError" : "ServiceUnavailable",
                        "Internal error occurred: " + what + " (injected by the sandbox)");
            };
        }
        return null;
    }
}
