package io.sriovlm.sandbox;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.sriovlm.agent.libvirt.TeamingXml;
import io.sriovlm.api.v1alpha1.HypervisorNic;
import io.sriovlm.api.v1alpha1.HypervisorNicSpec;
import io.sriovlm.api.v1alpha1.MigrationPhase;
import io.sriovlm.api.v1alpha1.SriovMigration;
import io.sriovlm.api.v1alpha1.SriovMigrationSpec;
import io.sriovlm.api.v1alpha1.VfPool;
import io.sriovlm.api.v1alpha1.VfPoolSpec;
import io.sriovlm.common.Conditions;
import io.sriovlm.api.v1alpha1.ConditionTypes;
import io.sriovlm.api.v1alpha1.Reasons;
import io.sriovlm.operator.placement.NicHealth;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.file.Files;
import java.time.Duration;
import java.util.Map;

import static io.sriovlm.sandbox.SandboxFixture.awaitTerminal;
import static io.sriovlm.sandbox.SandboxFixture.create;
import static io.sriovlm.sandbox.SandboxFixture.get;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Sandbox tier: every bad input of the issue gets a clear condition and an Event, nothing crashes and no VM loses
 * its network. Each test gets a fresh world.sandbox().
 */
@Tag("sandbox")
class BadInputSandboxTest {
    @RegisterExtension
    final SandboxExtension world = SandboxExtension.perTest(Duration.ofMillis(100));

    private SriovMigration failsWith(String name, String reason) {
        SriovMigration m = awaitTerminal(world.client(), name, Duration.ofSeconds(20));
        assertThat(m.getStatus().phase).as(m.getStatus().message).isEqualTo(MigrationPhase.Failed);
        assertThat(m.getStatus().failureReason).isEqualTo(reason);
        // The Event is written right after the status.
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(eventsOf(m))
                .as("a Warning event %s on %s", reason, name)
                .anyMatch(e -> reason.equals(e.getReason()) && "Warning".equals(e.getType())));
        return m;
    }

    private java.util.List<Event> eventsOf(HasMetadata o) {
        return world.client().v1().events().inAnyNamespace().list().getItems().stream()
                .filter(e -> o.getMetadata().getName().equals(e.getInvolvedObject().getName())).toList();
    }

    /** Defines an extra running domain on a node, with the given devices. */
    private void define(String node, String vm, String devices) throws Exception {
        world.sandbox().host(node).define("<domain type='kvm'><name>" + vm + "</name><uuid>"
                + java.util.UUID.nameUUIDFromBytes(vm.getBytes()) + "</uuid><memory unit='KiB'>262144</memory>"
                + "<devices>" + devices + "</devices></domain>", true);
    }

    private void awaitReported(String node, String vm) {
        await().atMost(Duration.ofSeconds(10)).until(() -> Inventories.vms(world.client(), node + "-ens2").stream().anyMatch(v -> vm.equals(v.name)));
    }

    private static void assertVm01Untouched(Sandbox sandbox) {
        var domain = sandbox.host("hv1").domain("vm-01").orElseThrow();
        assertThat(TeamingXml.inspect(domain.xml()).primaryPciAddress()).isEqualTo("0000:06:00.1");
        assertThat(sandbox.sysfs("hv1").activeSlave("bond0")).isEqualTo("ens2_0");
    }

    @Test
    void aVmThatRunsNowhereFails() {
        create(world.client(), "m", "vm-77", "hv2");
        SriovMigration m = failsWith("m", Reasons.VM_NOT_FOUND);
        assertThat(m.getStatus().message).contains("vm-77").contains("hv1, hv2");
        Condition valid = Conditions.find(m.getStatus().conditions, ConditionTypes.VALID).orElseThrow();
        assertThat(valid.getStatus()).isEqualTo("False");
    }

    @Test
    void aVmWithoutTeamingFails() throws Exception {
        define("hv1", "plain", "<interface type='bridge'><mac address='52:54:00:10:10:10'/><source bridge='br0'/>"
                + "<model type='virtio'/></interface>");
        awaitReported("hv1", "plain");
        create(world.client(), "m", "plain", "hv2");
        assertThat(failsWith("m", Reasons.TEAMING_INVALID).getStatus().message).containsIgnoringCase("teaming");
    }

    @Test
    void aTeamingPairWithDifferentMacsFails() throws Exception {
        define("hv1", "macs", TeamingXml.standbyInterface("52:54:00:20:20:20", "ua-net2", "meth2", true)
                + TeamingXml.primaryInterface("52:54:00:20:20:99", "0000:06:00.3", "ua-net2", "ua-sriov2"));
        awaitReported("hv1", "macs");
        create(world.client(), "m", "macs", "hv2");
        assertThat(failsWith("m", Reasons.TEAMING_INVALID).getStatus().message)
                .contains("52:54:00:20:20:20").contains("52:54:00:20:20:99");
        assertVm01Untouched(world.sandbox());
    }

    @Test
    void aStandbyNicWithoutTheUaAliasFails() throws Exception {
        define("hv1", "noalias", "<interface type='direct'><mac address='52:54:00:30:30:30'/>"
                + "<source dev='meth2' mode='passthrough'/><model type='virtio'/><teaming type='persistent'/>"
                + "<alias name='net7'/></interface>");
        awaitReported("hv1", "noalias");
        create(world.client(), "m", "noalias", "hv2");
        assertThat(failsWith("m", Reasons.TEAMING_INVALID).getStatus().message).contains("ua-");
    }

    @Test
    void aTransientNicNamingAMissingAliasFails() throws Exception {
        define("hv1", "dangling", TeamingXml.standbyInterface("52:54:00:40:40:40", "ua-net2", "meth2", true)
                + TeamingXml.primaryInterface("52:54:00:40:40:40", "0000:06:00.3", "ua-other", "ua-sriov2"));
        awaitReported("hv1", "dangling");
        create(world.client(), "m", "dangling", "hv2");
        assertThat(failsWith("m", Reasons.TEAMING_INVALID).getStatus().message).contains("ua-other");
    }

    @Test
    void theSourceAsTargetFails() {
        create(world.client(), "m", "vm-01", "hv1");
        assertThat(failsWith("m", Reasons.SOURCE_IS_TARGET).getStatus().message).contains("hv1");
        assertVm01Untouched(world.sandbox());
    }

    @Test
    void anUnknownTargetFails() {
        create(world.client(), "m", "vm-01", "hv9");
        assertThat(failsWith("m", Reasons.TARGET_NOT_FOUND).getStatus().message).contains("hv9");
    }

    @Test
    void aTargetThatIsNotReadyIsWaitedForAndSaysWhy() throws Exception {
        Files.delete(world.sandbox().sysfs("hv2").root().resolve("class/net/meth3"));
        await().atMost(Duration.ofSeconds(10)).until(() -> !Conditions.isTrue(world.client().resources(HypervisorNic.class)
                .withName("hv2-ens2").get().getStatus().conditions, ConditionTypes.READY));
        create(world.client(), "m", "vm-01", "hv2");
        await().atMost(Duration.ofSeconds(10)).ignoreExceptions().untilAsserted(() -> {
            SriovMigration m = get(world.client(), "m");
            assertThat(m.getStatus().phase).isEqualTo(MigrationPhase.Pending);
            Condition c = Conditions.find(m.getStatus().conditions, ConditionTypes.SCHEDULED).orElseThrow();
            assertThat(c.getReason()).isEqualTo(Reasons.TARGET_NOT_READY);
            assertThat(c.getMessage()).contains("hv2").contains("meth3");
        });
        HypervisorNic hv2 = world.client().resources(HypervisorNic.class).withName("hv2-ens2").get();
        assertThat(eventsOf(hv2)).anyMatch(e -> "HostNotReady".equals(e.getReason()));
        assertVm01Untouched(world.sandbox());
    }

    @Test
    void anExhaustedPoolMakesTheMigrationWaitUntilAVfFreesUp() throws Exception {
        // Another VM on hv2 holds the VF paired with vm-01's SF netdev meth0.
        define("hv2", "squatter", TeamingXml.standbyInterface("52:54:00:50:50:50", "ua-net0", "meth0", true)
                + TeamingXml.primaryInterface("52:54:00:50:50:50", "0000:06:00.1", "ua-net0", "ua-sriov0"));
        awaitReported("hv2", "squatter");
        create(world.client(), "m", "vm-01", "hv2");
        await().atMost(Duration.ofSeconds(10)).ignoreExceptions().untilAsserted(() -> {
            SriovMigration m = get(world.client(), "m");
            assertThat(m.getStatus().phase).isEqualTo(MigrationPhase.Pending);
            Condition c = Conditions.find(m.getStatus().conditions, ConditionTypes.SCHEDULED).orElseThrow();
            assertThat(c.getReason()).isEqualTo(Reasons.POOL_EXHAUSTED);
            assertThat(c.getMessage()).contains("squatter").contains("waits");
        });
        world.sandbox().host("hv2").destroy("squatter");
        SriovMigration m = awaitTerminal(world.client(), "m", Duration.ofSeconds(30));
        assertThat(m.getStatus().phase).as(m.getStatus().message).isEqualTo(MigrationPhase.Succeeded);
    }

    @Test
    void aSecondMigrationOfTheSameVmIsRefused() {
        world.sandbox().host("hv1").setCopyTime(Duration.ofSeconds(2));
        create(world.client(), "first", "vm-01", "hv2");
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            var s = get(world.client(), "first").getStatus();
            return s != null && s.phase != null && s.phase != MigrationPhase.Pending;
        });
        create(world.client(), "second", "vm-01", "hv2");
        assertThat(failsWith("second", Reasons.ALREADY_MIGRATING).getStatus().message).contains("default/first");
        assertThat(awaitTerminal(world.client(), "first", Duration.ofSeconds(30)).getStatus().phase)
                .isEqualTo(MigrationPhase.Succeeded);
    }

    @Test
    void aNicOrPoolThatRefersToAMissingNodeSaysSo() {
        HypervisorNic orphan = new HypervisorNic();
        orphan.getMetadata().setName("hv9-ens2");
        orphan.setSpec(new HypervisorNicSpec());
        orphan.getSpec().nodeName = "hv9";
        orphan.getSpec().pf = new HypervisorNicSpec.PhysicalFunction();
        orphan.getSpec().pf.name = "ens2";
        world.client().resource(orphan).create();
        await().atMost(Duration.ofSeconds(10)).ignoreExceptions().untilAsserted(() -> {
            HypervisorNic nic = world.client().resources(HypervisorNic.class).withName("hv9-ens2").get();
            Condition ready = Conditions.find(nic.getStatus().conditions, ConditionTypes.READY).orElseThrow();
            assertThat(ready.getStatus()).isEqualTo("False");
            assertThat(ready.getReason()).isEqualTo("NodeNotFound");
            assertThat(ready.getMessage()).contains("hv9").contains("does not exist");
            assertThat(eventsOf(nic)).anyMatch(e -> "NodeNotFound".equals(e.getReason()));
        });
        VfPool pool = new VfPool();
        pool.getMetadata().setName("pool-z");
        pool.setSpec(new VfPoolSpec());
        pool.getSpec().nodeSelector = Map.of("sriovlm.io/hypervisor", "nope");
        world.client().resource(pool).create();
        await().atMost(Duration.ofSeconds(10)).ignoreExceptions().untilAsserted(() -> {
            VfPool p = world.client().resources(VfPool.class).withName("pool-z").get();
            Condition ready = Conditions.find(p.getStatus().conditions, "Ready").orElseThrow();
            assertThat(ready.getReason()).isEqualTo("NoMatchingNodes");
            assertThat(eventsOf(p)).anyMatch(e -> "NoMatchingNodes".equals(e.getReason()));
        });
    }

    @Test
    void aMalformedMigrationIsRejectedByTheSchema() {
        SriovMigration bad = new SriovMigration();
        bad.getMetadata().setName("bad");
        bad.getMetadata().setNamespace("default");
        bad.setSpec(new SriovMigrationSpec());
        bad.getSpec().vmName = "vm 01; rm -rf /";
        bad.getSpec().targetNode = "HV_2";
        assertThatThrownBy(() -> world.client().resource(bad).create())
                .isInstanceOf(KubernetesClientException.class)
                .hasMessageContaining("spec.vmName")
                .hasMessageContaining("spec.targetNode");
    }
}
