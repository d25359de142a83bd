package io.sriovlm.sandbox;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sriovlm.api.v1alpha1.ConditionTypes;
import io.sriovlm.api.v1alpha1.Labels;
import io.sriovlm.api.v1alpha1.MigrationPhase;
import io.sriovlm.api.v1alpha1.SriovMigration;
import io.sriovlm.operator.HistoryConfig;
import io.sriovlm.operator.OperatorConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Sandbox tier: history retention with a limit of 0 finished migrations per VM, so every finished migration is
 * deleted at once unless a running evacuation holds it. Outbound limit 1 and 3 s copies, so an evacuation of two VMs
 * has one finished migration for seconds while the other still copies.
 */
@Tag("sandbox")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HistoryRetentionSandboxTest {
    static final String NS = Sandbox.OPERATOR_NAMESPACE;
    @TempDir
    static Path work;
    static Sandbox sandbox;
    static KubernetesClient client;
    static SimpleMeterRegistry meters = new SimpleMeterRegistry();

    @BeforeAll
    static void start() {
        sandbox = Sandbox.start(Sandbox.Options.defaults(work).withCopyTime(Duration.ofSeconds(3))
                .withHeartbeat(Duration.ofMillis(500))
                .withOperatorConfig(new OperatorConfig(5, 1, 2, Duration.ofSeconds(30))
                        .withHistory(new HistoryConfig(0, Optional.empty()))), meters);
        client = sandbox.client();
        SandboxFixture.awaitReady(client);
    }

    @AfterAll
    static void stop() {
        if (sandbox != null) {
            sandbox.close();
        }
    }

    @Test
    @Order(1)
    void aFinishedMigrationIsDeletedAndStillCountedInTheMetrics() {
        SandboxFixture.create(client, "move-vm-01", "vm-01", "hv2");
        await().atMost(Duration.ofSeconds(30)).until(() -> migration("default", "move-vm-01") == null);
        assertThat(sandbox.host("hv2").isRunning("vm-01")).as("it finished before it went").isTrue();
        assertThat(counter("sriovlm_migrations_total", "result", "Succeeded")).isEqualTo(1.0);
        assertThat(counter("sriovlm_migrations_deleted_total", "cause", "Superseded")).isEqualTo(1.0);
    }

    @Test
    @Order(2)
    void aRunningEvacuationKeepsItsFinishedMigrationsUntilTheNodeIsEvacuated() {
        // hv1 runs vm-02 (and vm-01 came back to hv2 above): give it a second VM by moving vm-03 there.
        SandboxFixture.create(client, "move-vm-03", "vm-03", "hv1");
        await().atMost(Duration.ofSeconds(30)).until(() -> migration("default", "move-vm-03") == null);
        assertThat(sandbox.host("hv1").isRunning("vm-03")).isTrue();

        client.nodes().withName("hv1").edit(n -> {
            n.getSpec().setUnschedulable(true);
            n.getMetadata().getLabels().put(Labels.EVACUATE, Labels.ON_CORDON);
            return n;
        });
        // Outbound limit 1: one VM's migration finishes while the other's still copies; the finished one stays as
        // long as the evacuation runs (without the hold it would go within a second: the limit is 0).
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            List<SriovMigration> ms = evacuationMigrations("hv1");
            assertThat(ms).filteredOn(m -> phase(m) == MigrationPhase.Succeeded).hasSize(1);
            assertThat(ms).filteredOn(m -> phase(m) == MigrationPhase.Migrating).hasSize(1);
        });
        String finished = evacuationMigrations("hv1").stream().filter(m -> phase(m) == MigrationPhase.Succeeded)
                .findFirst().orElseThrow().getMetadata().getUid();
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(3)).until(() -> evacuationMigrations("hv1")
                .stream().anyMatch(m -> m.getMetadata().getUid().equals(finished)));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(evacuated("hv1")).isTrue());
        assertThat(sandbox.host("hv2").isRunning("vm-02")).isTrue();
        assertThat(sandbox.host("hv2").isRunning("vm-03")).isTrue();
        // Done: retention looks again within HistoryRetention.HELD_RECHECK (30 s) and lets them go.
        await().atMost(Duration.ofSeconds(45)).untilAsserted(() -> assertThat(evacuationMigrations("hv1")).isEmpty());
        assertThat(counter("sriovlm_migrations_total", "result", "Succeeded")).isEqualTo(4.0);

        client.nodes().withName("hv1").edit(n -> {
            n.getSpec().setUnschedulable(false);
            n.getMetadata().getLabels().remove(Labels.EVACUATE);
            return n;
        });
    }

    private static SriovMigration migration(String namespace, String name) {
        return client.resources(SriovMigration.class).inNamespace(namespace).withName(name).get();
    }

    private static List<SriovMigration> evacuationMigrations(String node) {
        return SandboxFixture.evacuationMigrations(client, node);
    }

    private static MigrationPhase phase(SriovMigration m) {
        return SandboxFixture.phase(m);
    }

    private static boolean evacuated(String node) {
        Node n = client.nodes().withName(node).get();
        List<NodeCondition> conditions = n.getStatus() == null ? List.of() : n.getStatus().getConditions();
        return conditions.stream().anyMatch(c -> ConditionTypes.SRIOV_EVACUATED.equals(c.getType())
                && "True".equals(c.getStatus()));
    }

    private static double counter(String name, String tag, String value) {
        Counter c = meters.find(name).tag(tag, value).counter();
        return c == null ? 0 : c.count();
    }
}
