package io.sriovlm.sandbox;

import io.sriovlm.testing.Kubectl;
import io.sriovlm.api.v1alpha1.MigrationPhase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** Sandbox tier: config/samples apply cleanly to the sandbox, and the two sample migrations succeed. */
@Tag("sandbox")
class SamplesSandboxTest {
    @TempDir
    static Path work;
    static Sandbox sandbox;

    @BeforeAll
    static void start() {
        sandbox = SandboxFixture.start(work, Duration.ofMillis(100));
        sandbox.api().writeKubeconfig(work.resolve("kubeconfig"));
        SandboxFixture.awaitReady(sandbox.client());
    }

    @AfterAll
    static void stop() {
        if (sandbox != null) {
            sandbox.close();
        }
    }

    @Test
    void theSamplesApplyAndTheirMigrationsSucceed() throws Exception {
        Kubectl kubectl = new Kubectl(work.resolve("kubeconfig"), work);
        Kubectl.Run applied = kubectl.run("apply", "-k", Path.of("config/samples").toAbsolutePath().toString());
        assertThat(applied.rc()).as(applied.all()).isZero();
        assertThat(applied.out()).contains("sriovmigration.sriovlm.io/move-vm-01 created")
                .contains("sriovmigration.sriovlm.io/move-vm-02 created");
        var first = SandboxFixture.awaitTerminal(sandbox.client(), "move-vm-01", Duration.ofSeconds(30));
        var second = SandboxFixture.awaitTerminal(sandbox.client(), "move-vm-02", Duration.ofSeconds(30));
        assertThat(first.getStatus().phase).as(first.getStatus().message).isEqualTo(MigrationPhase.Succeeded);
        assertThat(second.getStatus().phase).as(second.getStatus().message).isEqualTo(MigrationPhase.Succeeded);
        assertThat(second.getStatus().targetNode).as("placement chose the target").isEqualTo("hv2");
        assertThat(second.getStatus().placementReason).contains("most free VFs");
    }
}
