package io.sriovlm.sandbox;

import io.sriovlm.operator.placement.VfLedger;
import io.fabric8.kubernetes.api.model.Condition;
import io.sriovlm.agent.libvirt.TeamingXml;
import io.sriovlm.api.v1alpha1.Labels;
import io.sriovlm.api.v1alpha1.MigrationPhase;
import io.sriovlm.api.v1alpha1.SriovMigration;
import io.sriovlm.api.v1alpha1.ConditionTypes;
import io.sriovlm.operator.phases.DryRunHandler;
import io.sriovlm.testing.host.FakeNicNames;
import io.sriovlm.sandbox.host.SimulatedFabric;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.Map;
import java.util.stream.Collectors;

import static io.sriovlm.sandbox.SandboxFixture.awaitTerminal;
import static io.sriovlm.sandbox.SandboxFixture.create;
import static io.sriovlm.sandbox.SandboxFixture.pool;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Sandbox tier: spec.dryRun reports every preflight check and changes nothing. */
@Tag("sandbox")
class DryRunSandboxTest {
    @RegisterExtension
    static final SandboxExtension world = SandboxExtension.perClass(Duration.ofMillis(100));

    private static Map<String, Condition> conditions(SriovMigration m) {
        return m.getStatus().conditions.stream().collect(Collectors.toMap(Condition::getType, c -> c));
    }

    @Test
    void aDryRunToHv2ReportsEveryCheckAndChangesNothing() {
        String xmlBefore = world.sandbox().host("hv1").domain("vm-01").orElseThrow().xml();
        create(world.client(), "dry-vm-01", "vm-01", "hv2", spec -> spec.dryRun = true);
        SriovMigration done = awaitTerminal(world.client(), "dry-vm-01", Duration.ofSeconds(20));
        var s = done.getStatus();
        assertThat(s.phase).as(s.message).isEqualTo(MigrationPhase.Succeeded);
        Map<String, Condition> c = conditions(done);
        for (String check : DryRunHandler.CHECKS) {
            assertThat(c).as("condition %s", check).containsKey(check);
            assertThat(c.get(check).getStatus()).as(check + ": " + c.get(check).getMessage()).isEqualTo("True");
        }
        // The source agent answered the libvirt check from hv1 itself.
        assertThat(c.get(ConditionTypes.PREFLIGHT_LIBVIRT).getMessage()).contains("libvirt on hv1 opened")
                .contains(SimulatedFabric.uriOf("hv2"));
        assertThat(c.get(ConditionTypes.PREFLIGHT).getStatus()).isEqualTo("True");
        assertThat(c.get(ConditionTypes.DRY_RUN).getStatus()).isEqualTo("True");
        assertThat(s.phaseTimestamps).extracting(p -> p.phase).containsExactly(MigrationPhase.Pending,
                MigrationPhase.Succeeded);

        // Nothing moved: the VM on hv1 with its VF, nothing reserved, no label that would wake an agent.
        assertThat(world.sandbox().host("hv2").domain("vm-01")).isEmpty();
        String xmlAfter = world.sandbox().host("hv1").domain("vm-01").orElseThrow().xml();
        assertThat(xmlAfter).isEqualTo(xmlBefore);
        assertThat(TeamingXml.inspect(xmlAfter).primaryPciAddress()).isEqualTo("0000:06:00.1");
        assertThat(Ledgers.reservations(world.client())).isEmpty();
        Map<String, String> labels = done.getMetadata().getLabels() == null ? Map.of() : done.getMetadata().getLabels();
        // Only the source agent was asked (for its libvirt check); no target label would wake the target agent.
        assertThat(labels).containsEntry(Labels.SOURCE_NODE, "hv1").doesNotContainKey(Labels.TARGET_NODE);
        assertThat(world.sandbox().sysfs("hv1").activeSlave("bond0")).isEqualTo("ens2_0");
        assertThat(world.sandbox().meters().find("sriovlm_migrations_total").counter()).isNull();
    }

    @Test
    void aDryRunToANodeWhoseVfPairedWithTheSfIsTakenReportsThatCheckFalse() throws Exception {
        // vm-02 uses SF netdev meth1, which pairs with VF 1; on hv2 another domain holds VF 1.
        String vf1 = FakeNicNames.pciAddressOfVf(Sandbox.PF_PCI, 1);
        world.sandbox().host("hv2").define(Sandbox.teamedDomain("vm-07", 1, vf1), true);
        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(50)).until(() -> Ledgers.find(world.client(), "hv2", vf1)
                .map(v -> v.state() == VfLedger.State.Allocated).orElse(false));
        create(world.client(), "dry-vm-02", "vm-02", "hv2", spec -> spec.dryRun = true);
        SriovMigration done = awaitTerminal(world.client(), "dry-vm-02", Duration.ofSeconds(20));
        assertThat(done.getStatus().phase).as(done.getStatus().message).isEqualTo(MigrationPhase.Failed);
        assertThat(done.getStatus().failureReason).isEqualTo("PreflightFailed");
        Map<String, Condition> c = conditions(done);
        assertThat(c.get(ConditionTypes.PREFLIGHT_SOURCE).getStatus()).isEqualTo("True");
        assertThat(c.get(ConditionTypes.PREFLIGHT_TEAMING).getStatus()).isEqualTo("True");
        assertThat(c.get(ConditionTypes.PREFLIGHT_POOL).getStatus()).isEqualTo("True");
        assertThat(c.get(ConditionTypes.PREFLIGHT_TARGET).getStatus()).isEqualTo("False");
        assertThat(c.get(ConditionTypes.PREFLIGHT_TARGET).getReason()).isEqualTo("VfPoolExhausted");
        assertThat(c.get(ConditionTypes.PREFLIGHT_TARGET).getMessage()).contains(vf1).contains("vm-07");
        assertThat(c.get(ConditionTypes.PREFLIGHT).getStatus()).isEqualTo("False");
        assertThat(world.sandbox().host("hv1").domain("vm-02")).isPresent();
        assertThat(Inventories.vms(world.client(), "hv1-ens2"))
                .anyMatch(v -> "vm-02".equals(v.name));
    }

    @Test
    void aDryRunWhoseSourceCannotReachTheTargetsLibvirtFailsThatCheckWithLibvirtsError() {
        String hv2 = SimulatedFabric.uriOf("hv2");
        world.sandbox().host("hv1").faults().makeUnreachable(hv2, "unable to connect to server at 'hv2:16514': No route to host");
        try {
            String xmlBefore = world.sandbox().host("hv1").domain("vm-01").orElseThrow().xml();
            create(world.client(), "dry-vm-01-cut", "vm-01", "hv2", spec -> spec.dryRun = true);
            SriovMigration done = awaitTerminal(world.client(), "dry-vm-01-cut", Duration.ofSeconds(20));
            assertThat(done.getStatus().phase).as(done.getStatus().message).isEqualTo(MigrationPhase.Failed);
            assertThat(done.getStatus().failureReason).isEqualTo("PreflightFailed");
            Map<String, Condition> c = conditions(done);
            Condition libvirt = c.get(ConditionTypes.PREFLIGHT_LIBVIRT);
            assertThat(libvirt.getStatus()).isEqualTo("False");
            assertThat(libvirt.getReason()).isEqualTo("LibvirtUnreachable");
            assertThat(libvirt.getMessage()).contains("hv1").contains(hv2).contains("No route to host");
            assertThat(c.get(ConditionTypes.PREFLIGHT_TARGET).getStatus()).isEqualTo("True");
            assertThat(c.get(ConditionTypes.PREFLIGHT).getStatus()).isEqualTo("False");
            assertThat(c.get(ConditionTypes.PREFLIGHT).getMessage()).contains(ConditionTypes.PREFLIGHT_LIBVIRT);
            assertThat(world.sandbox().host("hv1").domain("vm-01").orElseThrow().xml()).isEqualTo(xmlBefore);
            assertThat(Ledgers.reservations(world.client())).isEmpty();
        } finally {
            world.sandbox().host("hv1").faults().makeReachable(hv2);
        }
    }
}
