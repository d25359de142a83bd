package io.sriovlm.sandbox.faults;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.sriovlm.api.v1alpha1.MigrationPhase;
import io.sriovlm.sandbox.Sandbox;
import io.sriovlm.sandbox.api.ApiFaults;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * Runs an action once, when a write to the API server is about to put a SriovMigration into a phase, or through it
 * (the operator writes an admission as Pending → Scheduling → Preparing at once; the phase then shows only in
 * phaseTimestamps): before the write is applied, so before any actor has seen the phase. The
 * action runs on the API server's request thread: it must be quick and must not call the API (an arming
 * {@link Fault#inject} is; a disruptive one hands its work to another thread).
 */
public final class PhaseTrigger implements AutoCloseable {
    private final ApiFaults faults;
    private final Consumer<ApiFaults.Request> observer;
    private final CountDownLatch fired = new CountDownLatch(1);

    private PhaseTrigger(Sandbox sandbox, String namespace, String name, MigrationPhase phase,
            Consumer<JsonNode> action) {
        this.faults = sandbox.api().faults();
        AtomicBoolean once = new AtomicBoolean();
        this.observer = r -> {
            if (!"sriovmigrations".equals(r.resource()) || !name.equals(r.name()) || !namespace.equals(r.namespace())
                    || r.body() == null || once.get()) {
                return;
            }
            JsonNode body;
            try {
                body = Serialization.jsonMapper().readTree(r.body());
            } catch (java.io.IOException | RuntimeException e) {
                return;
            }
            if (entersOrPasses(body.path("status"), phase) && once.compareAndSet(false, true)) {
                try {
                    action.accept(body.path("status"));
                } finally {
                    fired.countDown();
                }
            }
        };
        faults.onWrite(observer);
    }

    private static boolean entersOrPasses(JsonNode status, MigrationPhase phase) {
        if (phase.name().equals(status.path("phase").asText(null))) {
            return true;
        }
        for (JsonNode stamp : status.path("phaseTimestamps")) {
            if (phase.name().equals(stamp.path("phase").asText(null))) {
                return true;
            }
        }
        return false;
    }

    /** Runs {@code action} once, as {@code namespace/name} is written into {@code phase}. Close to stop watching. */
    public static PhaseTrigger on(Sandbox sandbox, String namespace, String name, MigrationPhase phase,
            Runnable action) {
        return new PhaseTrigger(sandbox, namespace, name, phase, status -> action.run());
    }

    /** As {@link #on}, handing the action the status being written (its target node, its VFs). */
    public static PhaseTrigger onStatus(Sandbox sandbox, String namespace, String name, MigrationPhase phase,
            Consumer<JsonNode> action) {
        return new PhaseTrigger(sandbox, namespace, name, phase, action);
    }

    public boolean fired() {
        return fired.getCount() == 0;
    }

    public boolean awaitFired(long timeout, TimeUnit unit) throws InterruptedException {
        return fired.await(timeout, unit);
    }

    @Override
    public void close() {
        faults.removeWriteObserver(observer);
    }
}
