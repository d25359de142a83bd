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
import java.util.Set;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

import static org.awaitility.Awaitility.await;

/** Helpers shared by the sandbox-tier tests. */
final class SandboxFixture {
    static final Set<MigrationPhase> TERMINAL = Set.of(MigrationPhase.Succeeded, MigrationPhase.RolledBack,
            MigrationPhase.Failed, MigrationPhase.Cancelled);

    private SandboxFixture() {
    }

    static Sandbox start(Path workDir, Duration copyTime) {
        return Sandbox.start(Sandbox.Options.defaults(workDir).withCopyTime(copyTime), new SimpleMeterRegistry());
    }

    static SriovMigration create(KubernetesClient client, String name, String vm, String target) {
        SriovMigration m = new SriovMigration();
        m.getMetadata().setName(name);
        m.getMetadata().setNamespace("default");
        m.setSpec(new SriovMigrationSpec());
        m.getSpec().vmName = vm;
        m.getSpec().targetNode = target;
        m.getSpec().vfPool = Sandbox.POOL;
        return client.resource(m).create();
    }

    /**
     * Read-modify-write of a migration's spec, retried on 409 as a user's client would (client-go's
     * RetryOnConflict): the operator and agents write the object at the same time.
     */
    static SriovMigration edit(KubernetesClient client, String name, UnaryOperator<SriovMigration> change) {
        for (int attempt = 1;; attempt++) {
            try {
                return client.resources(SriovMigration.class).inNamespace("default").withName(name).edit(change);
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409 || attempt >= 20) {
                    throw e;
                }
            }
        }
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
