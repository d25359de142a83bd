package io.sriovlm.operator.reconciler;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicReference;

/**
 * When the migration controller last found the API server unavailable: a request of its own got no HTTP answer (a
 * timeout, a refused connection), a 429 or a 5xx, or answered only after {@link #PROMPT} (the client retries 5xx and
 * refused connections by itself, so an outage often shows only as a slow answer). A refusal of the request (409,
 * 403, 422) is not trouble. An outage stops the agents' writes as it stops ours: an agent that finished its step
 * during one reports it only after, so a phase deadline that passed meanwhile is judged only once the agents have had
 * a grace period to be heard (docs/decisions/030-deadlines-after-api-outages.md).
 */
public final class ApiTrouble {
    /** An answer slower than this is an API server in trouble: a healthy one answers a GET in milliseconds. */
    static final Duration PROMPT = Duration.ofSeconds(2);

    private final KubernetesClient client;
    private final Clock clock;
    private final AtomicReference<Instant> last = new AtomicReference<>();

    public ApiTrouble(KubernetesClient client, Clock clock) {
        this.client = client;
        this.clock = clock;
    }

    /** Records {@code e} when it says the API server was unavailable; returns whether it did. */
    boolean record(KubernetesClientException e) {
        if (!unavailable(e.getCode())) {
            return false;
        }
        recordAt(clock.instant());
        return true;
    }

    private void recordAt(Instant at) {
        last.accumulateAndGet(at, (a, b) -> a == null || b.isAfter(a) ? b : a);
    }

    /**
     * Reads {@code o} from the API server (not a cache) and says whether it answered promptly; records the trouble
     * when not. Asked before a deadline's outcome is written: a write sent into an outage would be retried by the
     * client until the outage ends, and land before the agents' own retries.
     */
    boolean answersPromptly(HasMetadata o) {
        long started = System.nanoTime();
        try {
            client.resource(o).get();
        } catch (KubernetesClientException e) {
            return !record(e);
        }
        if (Duration.ofNanos(System.nanoTime() - started).compareTo(PROMPT) > 0) {
            recordAt(clock.instant());
            return false;
        }
        return true;
    }

    /** @param code an HTTP status; fabric8 gives -1 when no answer came (a timeout, a refused connection) */
    public static boolean unavailable(int code) {
        return code <= 0 || code == 429 || code >= 500;
    }

    /** Whether a trouble was recorded less than {@code window} ago: the outage goes on. */
    boolean within(Duration window) {
        Instant at = last.get();
        return at != null && clock.instant().isBefore(at.plus(window));
    }

    /** The first instant at which a deadline may be judged: {@code grace} after the last trouble; null when none. */
    Instant deadlinesJudgedFrom(Duration grace) {
        Instant at = last.get();
        return at == null ? null : at.plus(grace);
    }
}
