package io.sriovlm.sandbox;

import io.sriovlm.sandbox.chaos.ChaosRun;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Real-control-plane tier: the short chaos run of the sandbox tier (100 migrations, the same seed) on a real
 * kube-apiserver, the operator and agents with their ServiceAccounts' rights only, the API faults (409, 500, dropped
 * watches) coming from the fault proxy in front of it, leadership taken on a real Lease. The full run is
 * {@code hack/chaos.sh 1000 --real-control-plane} (docs/chaos.md).
 */
@Tag("control-plane")
class ChaosControlPlaneIT {
    @Test
    void hundredMigrationsUnderRandomFaultsOnARealApiServerLeaveNoViolation(@TempDir Path dir) throws Exception {
        long seed = Long.getLong("chaos.seed", 20261124L);
        Sandbox.ControlPlane cp = new Sandbox.ControlPlane(ControlPlaneWorld.binaries(), Path.of("config"), true);
        ChaosRun.Report report;
        try {
            report = ChaosRun.run(dir, new ChaosRun.Settings(seed, 100, Duration.ofMillis(100), cp),
                    new SimpleMeterRegistry(), System.out);
        } finally {
            keepAuditLog(dir.resolve("control-plane-logs").resolve("audit.log"));
        }
        report.print(System.out);

        assertThat(report.violations()).as("invariant violations, seed " + seed).isEmpty();
        assertThat(report.migrations()).isGreaterThanOrEqualTo(100);
        assertThat(report.faults().values().stream().mapToInt(Integer::intValue).sum()).isGreaterThanOrEqualTo(20);
        assertThat(report.faults().keySet()).as("API faults, which the proxy injects")
                .containsAnyOf("API_CONFLICT", "API_ERROR", "WATCH_DROPPED");
        assertThat(report.outcomes()).containsKey("Succeeded");
        assertThat(report.outcomes().keySet()).anyMatch(o -> !o.equals("Succeeded"));
    }

    /** For {@link RbacControlPlaneIT}: the product's requests during the run. */
    private static void keepAuditLog(Path audit) throws IOException {
        if (Files.exists(audit)) {
            Files.createDirectories(ControlPlaneWorld.AUDIT_DIR);
            Files.copy(audit, ControlPlaneWorld.AUDIT_DIR.resolve(ChaosControlPlaneIT.class.getSimpleName() + ".log"),
                    StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
