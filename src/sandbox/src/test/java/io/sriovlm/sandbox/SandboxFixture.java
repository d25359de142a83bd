package io.sriovlm.sandbox;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sriovlm.api.v1alpha1.MigrationPhase;
import io.sriovlm.api.v1alpha1.SriovMigration;
import io.sriovlm.api.v1alpha1.SriovMigrationSpec;
import io.sriovlm.api.v1alpha1.VfPool;
import io.sriovlm.api.v1alpha1.VfPoolStatus;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.Supplier;

import static org.awaitility.Awaitility.await;

/** Helpers shared by the sandbox-tier tests. */
final class SandboxFixture {
    static final Set<MigrationPhase> TERMINAL = Set.of(MigrationPhase.Succeeded, MigrationPhase.RolledBack,
            MigrationPhase.Failed, MigrationPhase.Cancelled);
    /** The phases of a migration that succeeds with nothing in its way, in order. */
    static final java.util.List<MigrationPhase> EVERY_PHASE = java.util.List.of(MigrationPhase.Pending,
            MigrationPhase.Scheduling, MigrationPhase.Preparing, MigrationPhase.SwitchingToStandby,
            MigrationPhase.Migrating, MigrationPhase.RestoringFastPath, MigrationPhase.Succeeded);

    private SandboxFixture() {
    }

    static Sandbox start(Path workDir, Duration copyTime) {
        return Sandbox.start(Sandbox.Options.defaults(workDir).withCopyTime(copyTime), new SimpleMeterRegistry());
    }

    static SriovMigration create(KubernetesClient client, String name, String vm, String target) {
        return create(client, name, vm, target, spec -> {
        });
    }

    static SriovMigration create(KubernetesClient client, String name, String vm, String target,
            java.util.function.Consumer<SriovMigrationSpec> customize) {
        SriovMigration m = Sandbox.migration(name, vm, target);
        customize.accept(m.getSpec());
        return client.resource(m).create();
    }

    /**
     * Reads an object, changes and writes it as {@code write} does; returns the API server's refusal, or null when the
     * write went through. The agents write the same objects (statuses, heartbeat Leases) every heartbeat: a 409 is a
     * lost race, not a refusal, so the write is retried on the newer object.
     */
    static <T> KubernetesClientException refusalOf(Supplier<T> read, Consumer<T> write) {
        for (int attempt = 1; ; attempt++) {
            try {
                write.accept(read.get());
                return null;
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409 || attempt >= 20) {
                    return e;
                }
            }
        }
    }

    /** The migrations a node's evacuation created (in the operator's namespace). */
    static List<SriovMigration> evacuationMigrations(KubernetesClient client, String node) {
        return client.resources(SriovMigration.class).inNamespace(Sandbox.OPERATOR_NAMESPACE)
                .withLabel(io.sriovlm.api.v1alpha1.Labels.EVACUATION, node).list().getItems();
    }

    /** The migration's phase, null before the operator accepted it. */
    /** The Warning Events on the objects named {@code name} with {@code reason}, in any namespace. */
    static List<io.fabric8.kubernetes.api.model.Event> warnings(KubernetesClient client, String name, String reason) {
        return client.v1().events().inAnyNamespace().list().getItems().stream()
                .filter(e -> name.equals(e.getInvolvedObject().getName()) && "Warning".equals(e.getType())
                        && reason.equals(e.getReason()))
                .toList();
    }

    static MigrationPhase phase(SriovMigration m) {
        return m.getStatus() == null ? null : m.getStatus().phase;
    }

    static SriovMigration get(KubernetesClient client, String name) {
        return client.resources(SriovMigration.class).inNamespace("default").withName(name).get();
    }

    static SriovMigration awaitPhase(KubernetesClient client, String name, Predicate<MigrationPhase> wanted,
            Duration timeout) {
        await().atMost(timeout).pollInterval(Duration.ofMillis(20)).until(() -> {
            SriovMigration m = get(client, name);
            return m != null && m.getStatus() != null && m.getStatus().phase != null && wanted.test(m.getStatus().phase);
        });
        return get(client, name);
    }

    static SriovMigration awaitTerminal(KubernetesClient client, String name, Duration timeout) {
        return awaitPhase(client, name, TERMINAL::contains, timeout);
    }

    static VfPoolStatus pool(KubernetesClient client) {
        return client.resources(VfPool.class).withName(Sandbox.POOL).get().getStatus();
    }

    /** Waits until both agents have reported and the pool ledger shows the default world. */
    static void awaitReady(KubernetesClient client) {
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50)).until(() -> {
            VfPoolStatus pool = pool(client);
            return pool != null && pool.totalVfs != null && pool.totalVfs == 8 && pool.freeVfs == 5;
        });
    }
}
