package io.sriovlm.sandbox;

import io.sriovlm.operator.placement.VfLedger;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.sriovlm.agent.libvirt.TeamingXml;
import io.sriovlm.api.v1alpha1.MigrationPhase;
import io.sriovlm.api.v1alpha1.SriovMigration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;

import static io.sriovlm.sandbox.SandboxFixture.awaitTerminal;
import static io.sriovlm.sandbox.SandboxFixture.create;
import static io.sriovlm.sandbox.SandboxFixture.pool;
import static org.assertj.core.api.Assertions.assertThat;

/** Sandbox tier: the operator and two agents move teamed VMs between simulated hypervisors. */
@Tag("sandbox")
class MigrationSandboxTest {
    @TempDir
    static Path work;
    static Sandbox sandbox;
    static KubernetesClient client;

    @BeforeAll
    static void start() {
        sandbox = SandboxFixture.start(work, Duration.ofMillis(200));
        client = sandbox.client();
        SandboxFixture.awaitReady(client);
    }

    @AfterAll
    static void stop() {
        if (sandbox != null) {
            try {
                InvariantChecker checker = new InvariantChecker(sandbox, Duration.ofSeconds(5));
                org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10))
                        .untilAsserted(() -> assertThat(checker.violations()).isEmpty());
            } finally {
                sandbox.close();
            }
        }
    }

    @Test
    void aTeamedVmMovesToTheTargetAndGetsItsReservedVf() throws Exception {
        create(client, "move-vm-01", "vm-01", "hv2");
        SriovMigration done = awaitTerminal(client, "move-vm-01", Duration.ofSeconds(30));
        var s = done.getStatus();
        assertThat(s.phase).as(s.message).isEqualTo(MigrationPhase.Succeeded);
        assertThat(s.phaseTimestamps).extracting(p -> p.phase).containsExactlyElementsOf(SandboxFixture.EVERY_PHASE);
        assertThat(s.sourceNode).isEqualTo("hv1");
        assertThat(s.targetNode).isEqualTo("hv2");
        assertThat(s.sourceVf).isEqualTo("0000:06:00.1");
        assertThat(s.targetVf).isEqualTo("0000:06:00.1");
        assertThat(s.standbyWindowMs).isGreaterThanOrEqualTo(200);
        assertThat(s.migrationDowntimeMs).isNotNull();
        assertThat(s.bondSwitchLagMs).isNotNull();

        assertThat(sandbox.host("hv1").domain("vm-01")).isEmpty();
        var moved = sandbox.host("hv2").domain("vm-01").orElseThrow();
        assertThat(TeamingXml.inspect(moved.xml()).primaryPciAddress()).isEqualTo("0000:06:00.1");
        assertThat(sandbox.sysfs("hv2").activeSlave("bond0")).isEqualTo("ens2_0");
        assertThat(sandbox.sysfs("hv1").activeSlave("bond0")).isEqualTo("en6s0f0pf0sf0");
        assertThat(sandbox.host("hv2").announcements()).as("QEMU announced the guest once its VF was back")
                .containsExactly("vm-01");
        // The ledger follows the Succeeded write asynchronously (the pool reconciler, on the migration's event).
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            var entry = Ledgers.find(client, "hv2", "0000:06:00.1").orElseThrow();
            assertThat(entry.state()).isEqualTo(VfLedger.State.Allocated);
            assertThat(entry.vm()).isEqualTo("vm-01");
        });

        var registry = sandbox.meters();
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() ->
                registry.find("sriovlm_migrations_total").tag("result", "Succeeded").counter() != null);
        assertThat(registry.get("sriovlm_migrations_total").tag("result", "Succeeded").counter().count()).isGreaterThanOrEqualTo(1.0);
        assertThat(registry.get("sriovlm_migration_phase_duration_seconds").tag("phase", "Migrating").timer().count())
                .isGreaterThanOrEqualTo(1);
        assertThat(registry.get("sriovlm_standby_window_seconds").summary().max())
                .isGreaterThanOrEqualTo(s.standbyWindowMs / 1000.0);
    }

    @Test
    void withUpDuringMigrationTheStandbyLinkIsUpOnlyWhileTheVfIsAway() throws Exception {
        // vm-05: standby on meth3 with its link down (Flipkart's way), VF 3 attached.
        String mac = "52:54:00:53:53:05";
        String vf = "0000:06:00.4";
        sandbox.host("hv1").define("<domain type='kvm'><name>vm-05</name><uuid>" + java.util.UUID.randomUUID()
                + "</uuid><memory unit='KiB'>262144</memory><devices>"
                + TeamingXml.standbyInterface(mac, "ua-net3", "meth3", false)
                + TeamingXml.primaryInterface(mac, vf, "ua-net3", "ua-sriov3") + "</devices></domain>", true);
        sandbox.sysfs("hv1").forceActiveSlave("bond3", "ens2_3");
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> Inventories.vms(client, "hv1-ens2").stream().anyMatch(v -> "vm-05".equals(v.name)));
        var upSeen = new java.util.concurrent.atomic.AtomicBoolean();
        sandbox.host("hv1").addDeviceListener(e -> {
            if (e.kind() == io.sriovlm.agent.libvirt.Hypervisor.DeviceEvent.Kind.REMOVED) {
                sandbox.host("hv1").domain("vm-05").ifPresent(d -> upSeen.set(TeamingXml.inspect(d.xml()).standbyLinkUp()));
            }
        });
        SandboxFixture.create(client, "move-vm-05", "vm-05", "hv2",
                spec -> spec.standbyLinkPolicy = io.sriovlm.api.v1alpha1.StandbyLinkPolicy.UpDuringMigration);
        SriovMigration done = awaitTerminal(client, "move-vm-05", Duration.ofSeconds(30));
        assertThat(done.getStatus().phase).as(done.getStatus().message).isEqualTo(MigrationPhase.Succeeded);
        assertThat(upSeen).as("standby link up when the VF left").isTrue();
        var report = TeamingXml.inspect(sandbox.host("hv2").domain("vm-05").orElseThrow().xml());
        assertThat(report.standbyLinkUp()).as("standby link down again once the VF is back").isFalse();
        assertThat(report.primaryPciAddress()).isEqualTo(vf);
        assertThat(sandbox.sysfs("hv2").activeSlave("bond3")).isEqualTo("ens2_3");
        // The standby link stays up for a grace after the VF is back, so that the guest's VF driver can bring its
        // link up first; the fast path is measured from the bond switch, not from the link going down.
        java.time.Instant restored = java.time.Instant.parse(done.getStatus().fastPathRestoredAt);
        java.time.Instant succeeded = done.getStatus().phaseTimestamps.stream()
                .filter(t -> t.phase == MigrationPhase.Succeeded).map(t -> java.time.Instant.parse(t.at))
                .findFirst().orElseThrow();
        assertThat(Duration.between(restored, succeeded)).as("standby link lowered after the grace")
                .isGreaterThanOrEqualTo(Duration.ofMillis(2900));
    }
}
