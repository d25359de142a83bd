package io.sriovlm.common;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.util.UUID;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Writes core/v1 Events about our objects, so {@code kubectl describe} shows what happened and why. An Event that
 * cannot be written is logged and dropped: it never fails the reconcile that reported it.
 */
public final class EventRecorder {
    private static final Logger LOG = Logger.getLogger(EventRecorder.class);
    public static final String NORMAL = "Normal";
    public static final String WARNING = "Warning";

    private final KubernetesClient client;
    private final String component;
    private final Clock clock;

    public EventRecorder(KubernetesClient client, String component, Clock clock) {
        this.client = client;
        this.component = component;
        this.clock = clock;
    }

    public void normal(HasMetadata about, String reason, String message) {
        record(about, NORMAL, reason, message);
    }

    public void warning(HasMetadata about, String reason, String message) {
        record(about, WARNING, reason, message);
    }

    public void record(HasMetadata about, String type, String reason, String message) {
        Event event = build(about, type, reason, message);
        post(event);
    }

    /**
     * Like {@link #record}, but the POST happens on a background thread, as client-go's event broadcaster does: the
     * caller (a migration's phase change) goes on to its next step without waiting for the API. Events keep their
     * order (one thread); when more than {@value #QUEUE} are waiting (an API server that does not answer), new ones
     * are dropped and logged, never blocking the caller.
     */
    public void recordAsync(HasMetadata about, String type, String reason, String message) {
        Event event = build(about, type, reason, message);
        try {
            background().execute(() -> post(event));
        } catch (RejectedExecutionException e) {
            LOG.debugf("event %s on %s/%s dropped: %d events are waiting", reason, about.getKind(),
                    about.getMetadata().getName(), QUEUE);
        }
    }

    private static final int QUEUE = 1000;
    private volatile ThreadPoolExecutor background;

    private ThreadPoolExecutor background() {
        ThreadPoolExecutor executor = background;
        if (executor == null) {
            synchronized (this) {
                if (background == null) {
                    ThreadPoolExecutor created = new ThreadPoolExecutor(1, 1, 10, TimeUnit.SECONDS,
                            new LinkedBlockingQueue<>(QUEUE), r -> {
                                Thread t = new Thread(r, "events-" + component);
                                t.setDaemon(true);
                                return t;
                            }, new ThreadPoolExecutor.AbortPolicy());
                    created.allowCoreThreadTimeOut(true); // no idle thread left behind by a stopped operator
                    background = created;
                }
                executor = background;
            }
        }
        return executor;
    }

    private void post(Event event) {
        try {
            client.v1().events().inNamespace(event.getMetadata().getNamespace()).resource(event).create();
        } catch (RuntimeException e) {
            LOG.debugf(e, "could not record event %s on %s/%s", event.getReason(), event.getInvolvedObject().getKind(),
                    event.getInvolvedObject().getName());
        }
    }

    private Event build(HasMetadata about, String type, String reason, String message) {
        String namespace = about instanceof Namespaced ? about.getMetadata().getNamespace() : "default";
        String now = Timestamps.format(clock.instant());
        return new EventBuilder()
                    .withNewMetadata()
                    .withName(about.getMetadata().getName() + "." + UUID.randomUUID().toString().substring(0, 13).replace("-", ""))
                    .withNamespace(namespace)
                    .endMetadata()
                    .withInvolvedObject(new ObjectReferenceBuilder()
                            .withApiVersion(about.getApiVersion())
                            .withKind(about.getKind())
                            .withName(about.getMetadata().getName())
                            .withNamespace(about instanceof Namespaced ? namespace : null)
                            .withUid(about.getMetadata().getUid())
                            .build())
                    .withType(type)
                    .withReason(reason)
                    .withMessage(message)
                    .withCount(1)
                    .withFirstTimestamp(now)
                    .withLastTimestamp(now)
                    .withNewSource().withComponent(component).endSource()
                    .withReportingComponent(component)
                    .build();
    }
}
