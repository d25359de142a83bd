package io.sriovlm.agent.steps;

import io.sriovlm.agent.libvirt.Hypervisor.MigrationResult;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Live migrations this agent started, by migration UID. The libvirt call runs in the background so that a reconcile
 * never blocks for the whole copy: cancel and deadline decisions arrive while it runs. After an agent restart the
 * registry is empty; the steps then read the job's state from libvirt instead.
 */
public final class MigrationJobs {
    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(MigrationJobs.class);
    public record Job(String domain, Instant startedAt, CompletableFuture<MigrationResult> result) {
        public Optional<MigrationResult> outcome() {
            return result.isDone() ? Optional.of(result.join()) : Optional.empty();
        }
    }

    private final Map<String, Job> jobs = new ConcurrentHashMap<>();

    public Optional<Job> get(String migrationUid) {
        return Optional.ofNullable(jobs.get(migrationUid));
    }

    public Job register(String migrationUid, String domain, Instant startedAt, CompletionStage<MigrationResult> stage,
            Runnable onDone) {
        CompletableFuture<MigrationResult> future = stage.toCompletableFuture()
                .exceptionally(e -> MigrationResult.failure(String.valueOf(e.getMessage()), false));
        Job job = new Job(domain, startedAt, future);
        jobs.put(migrationUid, job);
        LOG.debugf("libvirt job of %s started", domain);
        future.whenComplete((r, e) -> {
            LOG.debugf("libvirt job of %s ended", domain);
            onDone.run();
        });
        return job;
    }

    public void forget(String migrationUid) {
        jobs.remove(migrationUid);
    }
}
