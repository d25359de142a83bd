package io.sriovlm.sandbox;

import io.sriovlm.operator.placement.VfLedger;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.sriovlm.api.v1alpha1.MigrationPhase;
import io.sriovlm.api.v1alpha1.SriovMigration;
import io.sriovlm.sandbox.controlplane.ControlPlaneApi;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.sriovlm.sandbox.SandboxFixture.awaitPhase;
import static io.sriovlm.sandbox.SandboxFixture.awaitTerminal;
import static io.sriovlm.sandbox.SandboxFixture.create;
import static io.sriovlm.sandbox.SandboxFixture.pool;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Real-control-plane tier: two operator replicas run from the product's jar, as the Deployment's pods would (role
 * operator, ServiceAccount sriovlm-operator's token, POD_NAMESPACE, HOSTNAME as the replica's identity, the Lease
 * timings Main ships). The leader is killed with SIGKILL in the middle of a migration, so it releases nothing: the
 * other replica must take the Lease once it expires and carry on, with the operator's work after the agents' steps
 * (the ledger) and a migration it admits itself.
 */
@Tag("control-plane")
class LeaderElectionControlPlaneIT {
    static final Path JAR = Path.of("src", "product", "target", "quarkus-app", "quarkus-run.jar");
    /**
     * JOSDK's LeaderElectionConfiguration defaults, which Main uses: the standby retries every 2 s, which fabric8's
     * LeaderElector stretches by a random jitter of up to 1.2 times.
     */
    static final Duration LONGEST_RETRY = Duration.ofMillis(2000 + 2400);
    static ControlPlaneWorld world;
    static KubernetesClient client;
    static final List<Process> replicas = new ArrayList<>();

    @BeforeAll
    static void start() {
        assertThat(JAR).as("the product's jar (mvn package; hack/e2e-control-plane.sh builds it)").exists();
        world = ControlPlaneWorld.start(LeaderElectionControlPlaneIT.class,
                o -> o.withoutOperator().withCopyTime(Duration.ofSeconds(4)));
        client = world.client();
    }

    @AfterAll
    static void stop() {
        replicas.forEach(Process::destroyForcibly);
        if (world != null) {
            world.close();
        }
    }

    @Test
    void whenTheLeaderIsKilledTheOtherReplicaTakesTheLeaseAndFinishesTheMigration() throws Exception {
        Path kubeconfig = world.work().resolve("operator.kubeconfig");
        world.api().operatorKubeconfig().write(kubeconfig);
        Process a = replica("operator-a", kubeconfig);
        await().atMost(Duration.ofSeconds(60)).until(() -> "operator-a".equals(holder()));
        Process b = replica("operator-b", kubeconfig);
        SandboxFixture.awaitReady(client);
        // operator-b is up (its controllers started) and stands by: its event processing waits for the Lease.
        await().atMost(Duration.ofSeconds(30)).until(() -> Files.readString(log("operator-b"))
                .contains("'sriovmigration' controller started"));
        assertThat(holder()).isEqualTo("operator-a");

        create(client, "move-vm-01", "vm-01", "hv2");
        awaitPhase(client, "move-vm-01", p -> p == MigrationPhase.Migrating, Duration.ofSeconds(30));
        a.destroyForcibly(); // SIGKILL: no Lease release, no graceful stop
        Instant killed = Instant.now();
        assertThat(a.waitFor(10, TimeUnit.SECONDS)).isTrue();
        Lease before = lease(); // operator-a's last renewal: it renews no more
        assertThat(before.getSpec().getHolderIdentity()).isEqualTo("operator-a");

        await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(100))
                .until(() -> "operator-b".equals(holder()));
        Duration takeover = Duration.between(killed, Instant.now());
        Lease after = lease();
        Duration leaseDuration = Duration.ofSeconds(before.getSpec().getLeaseDurationSeconds());
        Duration sinceLastRenewal = Duration.between(before.getSpec().getRenewTime(), after.getSpec().getAcquireTime());
        System.out.printf("LEADER-TAKEOVER lease %d s: acquired %d ms after the last renewal, %d ms after the kill%n",
                leaseDuration.toSeconds(), sinceLastRenewal.toMillis(), takeover.toMillis());
        // The Lease is free leaseDuration after operator-a's last renewal, not before; the standby notices it at its
        // next retry.
        assertThat(sinceLastRenewal).as("operator-b acquired the Lease %s after operator-a's last renewal",
                sinceLastRenewal).isBetween(leaseDuration, leaseDuration.plus(LONGEST_RETRY));
        assertThat(takeover).as("takeover after the kill").isLessThanOrEqualTo(leaseDuration.plus(LONGEST_RETRY));
        assertThat(after.getSpec().getLeaseTransitions()).isGreaterThan(before.getSpec().getLeaseTransitions());
        assertThat(b.isAlive()).isTrue();

        SriovMigration done = awaitTerminal(client, "move-vm-01", Duration.ofSeconds(60));
        assertThat(done.getStatus().phase).as(done.getStatus().message).isEqualTo(MigrationPhase.Succeeded);
        // The claim is handed to vm-01 with the Succeeded write (or by the new leader's pool controller after it).
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            var entry = Ledgers.find(client, "hv2", done.getStatus().targetVf).orElseThrow();
            assertThat(entry.state()).isEqualTo(VfLedger.State.Allocated);
            assertThat(entry.vm()).isEqualTo("vm-01");
        });
        // A migration created after the takeover: only the new leader can admit and schedule it.
        create(client, "move-vm-02", "vm-02", "hv2");
        SriovMigration second = awaitTerminal(client, "move-vm-02", Duration.ofSeconds(60));
        assertThat(second.getStatus().phase).as(second.getStatus().message).isEqualTo(MigrationPhase.Succeeded);
        assertThat(Files.readString(log("operator-b"))).contains("New leader with identity: operator-b");

        InvariantChecker checker = new InvariantChecker(world.sandbox(), Duration.ofSeconds(5));
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> assertThat(checker.violations()).isEmpty());

        // config/flowcontrol's FlowSchema as the API server applies it: the replicas' Lease requests were dispatched
        // in the built-in leader-election priority level, not in workload-low behind their own writes.
        assertThat(dispatched(client.raw("/metrics"), "sriovlm-operator-leader-election", "leader-election"))
                .as("Lease requests of sriovlm-operator in priority level leader-election").isPositive();
    }

    /** apiserver_flowcontrol_dispatched_requests_total of one FlowSchema and priority level, from /metrics. */
    static long dispatched(String metrics, String flowSchema, String priorityLevel) {
        return metrics.lines().filter(l -> l.startsWith("apiserver_flowcontrol_dispatched_requests_total{")
                        && l.contains("flow_schema=\"" + flowSchema + "\"")
                        && l.contains("priority_level=\"" + priorityLevel + "\""))
                .mapToLong(l -> (long) Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    private static Process replica(String identity, Path kubeconfig) throws IOException {
        // -Dsriovlm.test.world names the world's folder, so that hack/e2e-control-plane.sh can stop a left-over replica.
        ProcessBuilder pb = new ProcessBuilder("java", "-Dsriovlm.test.world=" + world.work(), "-jar",
                JAR.toAbsolutePath().toString()).redirectErrorStream(true).redirectOutput(log(identity).toFile());
        pb.environment().put("SRIOVLM_ROLE", "operator");
        pb.environment().put("KUBECONFIG", kubeconfig.toAbsolutePath().toString());
        pb.environment().put("POD_NAMESPACE", ControlPlaneApi.NAMESPACE);
        pb.environment().put("HOSTNAME", identity);
        pb.environment().put("QUARKUS_HTTP_PORT", "0");
        Process p = pb.start();
        replicas.add(p);
        return p;
    }

    private static Path log(String identity) {
        return world.work().resolve(identity + ".log");
    }

    private static Lease lease() {
        return client.leases().inNamespace(ControlPlaneApi.NAMESPACE).withName(Sandbox.LEASE).get();
    }

    private static String holder() {
        Lease l = lease();
        return l == null || l.getSpec() == null ? null : l.getSpec().getHolderIdentity();
    }
}
