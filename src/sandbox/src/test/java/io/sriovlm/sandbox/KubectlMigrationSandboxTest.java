package io.sriovlm.sandbox;

import io.sriovlm.testing.Kubectl;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.sriovlm.api.v1alpha1.MigrationPhase;
import io.sriovlm.api.v1alpha1.SriovMigration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Sandbox tier: a user drives the running sandbox with the real kubectl, as the README shows. */
@Tag("sandbox")
class KubectlMigrationSandboxTest {
    @TempDir
    static Path work;
    static Sandbox sandbox;
    static Kubectl kubectl;

    @BeforeAll
    static void start() {
        sandbox = SandboxFixture.start(work, Duration.ofMillis(200));
        sandbox.api().writeKubeconfig(work.resolve("kubeconfig"));
        kubectl = new Kubectl(work.resolve("kubeconfig"), work);
        SandboxFixture.awaitReady(sandbox.client());
    }

    @AfterAll
    static void stop() {
        if (sandbox != null) {
            sandbox.close();
        }
    }

    @Test
    void applyWaitInspectAndDeleteAMigration() throws Exception {
        Path manifest = Files.writeString(work.resolve("migration.yaml"), """
                apiVersion: sriovlm.io/v1alpha1
                kind: SriovMigration
                metadata:
                  name: move-vm-01
                  namespace: default
                spec:
                  vmName: vm-01
                  targetNode: hv2
                  vfPool: pool-a
                  options: {maxDowntimeMs: 300, timeoutSeconds: 600}
                """);
        Kubectl.Run applied = kubectl.run("apply", "-f", manifest.toString());
        assertThat(applied.rc()).as(applied.all()).isZero();
        assertThat(applied.out()).contains("sriovmigration.sriovlm.io/move-vm-01 created");

        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
                assertThat(kubectl.run("get", "sm", "move-vm-01", "-o", "jsonpath={.status.phase}").out())
                        .isIn("Succeeded", "Failed", "RolledBack", "Cancelled").isEqualTo("Succeeded"));

        Kubectl.Run yaml = kubectl.run("get", "sriovmigration", "move-vm-01", "-o", "yaml");
        assertThat(yaml.rc()).as(yaml.all()).isZero();
        SriovMigration m = Serialization.unmarshal(yaml.out(), SriovMigration.class);
        var s = m.getStatus();
        assertThat(s.phase).isEqualTo(MigrationPhase.Succeeded);
        assertThat(s.sourceNode).isEqualTo("hv1");
        assertThat(s.targetNode).isEqualTo("hv2");
        assertThat(s.sourceVf).matches("0000:06:00\\.[1-4]");
        assertThat(s.targetVf).matches("0000:06:00\\.[1-4]");
        assertThat(s.phaseTimestamps).hasSize(7);
        assertThat(s.standbyWindowMs).isPositive();
        assertThat(s.bondSwitchLagMs).isNotNull();
        assertThat(s.migrationDowntimeMs).isNotNull();

        Kubectl.Run table = kubectl.run("get", "sriovmigrations");
        assertThat(table.out().lines().findFirst().orElse("")).containsSubsequence("NAME", "PHASE", "VM", "SOURCE", "TARGET", "AGE");
        assertThat(table.out()).containsPattern("move-vm-01\\s+Succeeded\\s+vm-01\\s+hv1\\s+hv2");

        Kubectl.Run described = kubectl.run("describe", "sm", "move-vm-01");
        assertThat(described.out()).contains("Scheduled").contains("FastPathRestored");

        Kubectl.Run deleted = kubectl.run("delete", "sm", "move-vm-01");
        assertThat(deleted.rc()).as(deleted.all()).isZero();
        await().atMost(Duration.ofSeconds(10)).until(() -> SandboxFixture.get(sandbox.client(), "move-vm-01") == null);
        Kubectl.Run hnics = kubectl.run("get", "hypervisornics");
        assertThat(hnics.out()).containsPattern("hv1-ens2\\s+hv1\\s+ens2\\s+4\\s+True");
    }
}
