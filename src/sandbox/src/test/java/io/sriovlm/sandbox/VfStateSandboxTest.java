package io.sriovlm.sandbox;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.sriovlm.agent.libvirt.Hypervisor;
import io.sriovlm.agent.libvirt.TeamingXml;
import io.sriovlm.api.v1alpha1.ConditionTypes;
import io.sriovlm.api.v1alpha1.HypervisorNic;
import io.sriovlm.api.v1alpha1.HypervisorNicStatus;
import io.sriovlm.api.v1alpha1.Labels;
import io.sriovlm.api.v1alpha1.MigrationMethod;
import io.sriovlm.api.v1alpha1.MigrationPhase;
import io.sriovlm.api.v1alpha1.Reasons;
import io.sriovlm.api.v1alpha1.SriovMigration;
import io.sriovlm.api.v1alpha1.VmInventoryStatus;
import io.sriovlm.common.Conditions;
import io.sriovlm.common.VfStateSupport;
import io.sriovlm.sandbox.host.SimulatedHypervisor;
import io.sriovlm.testing.host.FakeNicNames;
import io.sriovlm.testing.host.FakeSysfsTree;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

import static io.sriovlm.sandbox.SandboxFixture.awaitTerminal;
import static io.sriovlm.sandbox.SandboxFixture.create;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Sandbox tier: method VfState and Auto. Both hosts are made what NVIDIA's VF migration needs (ConnectX-7, kernel
 * 6.8, QEMU 8.2, libvirt 10.0, same PSID and firmware, VF 3 bound to mlx5_vfio_pci); the simulated libvirt then
 * migrates a VF bound to the variant driver with the domain instead of refusing it. What no sandbox can show (a real
 * VF's state moving) is in docs/decisions/020-vf-state-method.md.
 */
@Tag("sandbox")
class VfStateSandboxTest {
    @RegisterExtension
    final SandboxExtension world = SandboxExtension.perTest(Duration.ofMillis(200));

    static final int VF = 3;

    @Test
    void aPlainVfMovesWithItsStateAndATeamedVmStillFailsOver() throws Exception {
        Sandbox sandbox = world.sandbox();
        KubernetesClient client = world.client();
        String sourceVf = startVm05OnQualifiedHosts("28.39.1002");
        List<Hypervisor.DeviceEvent> hv1Events = new CopyOnWriteArrayList<>();
        sandbox.host("hv1").addDeviceListener(hv1Events::add);
        assertThat(facts(client, "hv1")).satisfies(f -> {
            assertThat(f.nicModel).isEqualTo("15b3:1021");
            assertThat(f.kernel).isEqualTo("6.8.0-45-generic");
            assertThat(f.qemu).isEqualTo("8.2.0");
            assertThat(f.psid).isEqualTo("MT_0000000838");
            assertThat(f.capable).isTrue();
            assertThat(f.problems).isNull();
        });

        // A dry run says which method and why, and skips the teaming checks that do not apply.
        create(client, "dry-05", "vm-05", "hv2", spec -> {
            spec.dryRun = true;
            spec.method = MigrationMethod.Auto;
        });
        SriovMigration dry = awaitTerminal(client, "dry-05", Duration.ofSeconds(20));
        assertThat(dry.getStatus().phase).as(dry.getStatus().message).isEqualTo(MigrationPhase.Succeeded);
        assertThat(Conditions.find(dry.getStatus().conditions, ConditionTypes.METHOD_CHOSEN)).hasValueSatisfying(c -> {
            assertThat(c.getStatus()).isEqualTo(Conditions.TRUE);
            assertThat(c.getReason()).isEqualTo(Reasons.VF_STATE_QUALIFIED);
            assertThat(c.getMessage()).contains("method Auto chose VfState").contains("hv2: NIC 15b3:1021");
        });
        assertThat(Conditions.find(dry.getStatus().conditions, ConditionTypes.PREFLIGHT_TEAMING).orElseThrow()
                .getReason()).isEqualTo(Reasons.PREFLIGHT_SKIPPED);

        // Auto on a VM whose VF is passed through without teaming: VfState. The VF never leaves the guest.
        create(client, "m-05", "vm-05", "hv2", spec -> spec.method = MigrationMethod.Auto);
        SriovMigration moved = awaitTerminal(client, "m-05", Duration.ofSeconds(30));
        assertThat(moved.getStatus().phase).as(moved.getStatus().message).isEqualTo(MigrationPhase.Succeeded);
        assertThat(moved.getStatus().method).isEqualTo(MigrationMethod.VfState);
        assertThat(moved.getStatus().sourceVf).isEqualTo(sourceVf);
        assertThat(moved.getStatus().standbyStartedAt).as("no standby window: nothing was unplugged").isNull();
        assertThat(moved.getStatus().phaseTimestamps).anyMatch(t -> t.phase == MigrationPhase.SwitchingToStandby);
        String targetVf = moved.getStatus().targetVf;
        assertThat(sandbox.sysfs("hv2").vfDriver(targetVf)).hasValue(VfStateSupport.VARIANT_DRIVER);
        assertThat(hv1Events).as("device events on hv1: none, no unplug").isEmpty();
        assertThat(sandbox.host("hv1").domain("vm-05")).isEmpty();
        assertThat(TeamingXml.passedThroughPciAddresses(sandbox.host("hv2").domain("vm-05").orElseThrow().xml()))
                .containsExactly(targetVf);
        Hypervisor.MigrationRequest request = last(sandbox.host("hv1").migrationRequests());
        assertThat(TeamingXml.passedThroughPciAddresses(request.destinationXml())).containsExactly(targetVf);

        // Auto on a teamed VM: Failover, and status says why.
        create(client, "m-01", "vm-01", "hv2", spec -> spec.method = MigrationMethod.Auto);
        SriovMigration teamed = awaitTerminal(client, "m-01", Duration.ofSeconds(30));
        assertThat(teamed.getStatus().phase).as(teamed.getStatus().message).isEqualTo(MigrationPhase.Succeeded);
        assertThat(teamed.getStatus().method).isEqualTo(MigrationMethod.Failover);
        assertThat(Conditions.find(teamed.getStatus().conditions, ConditionTypes.METHOD_CHOSEN).orElseThrow()
                .getMessage()).contains("method Auto chose Failover: its VF is teamed");

        // libvirt fails the copy: rolled back, the VM stays on hv2 with its VF, which it never lost.
        sandbox.host("hv2").faults().failNextMigrations(1, "operation failed: migration out job: injected");
        create(client, "m-05-fail", "vm-05", "hv1", spec -> spec.method = MigrationMethod.VfState);
        SriovMigration failed = awaitTerminal(client, "m-05-fail", Duration.ofSeconds(30));
        assertThat(failed.getStatus().phase).as(failed.getStatus().message).isEqualTo(MigrationPhase.RolledBack);
        assertThat(failed.getStatus().message).contains("never detached: method VfState");
        assertThat(TeamingXml.passedThroughPciAddresses(sandbox.host("hv2").domain("vm-05").orElseThrow().xml()))
                .containsExactly(targetVf);
    }

    @Test
    void vfStateWhereItCannotWorkIsRefusedBeforeAnythingIsTouched() throws Exception {
        Sandbox sandbox = world.sandbox();
        KubernetesClient client = world.client();
        String sourceVf = startVm05OnQualifiedHosts("28.40.1000");

        // Firmware differs: no target qualifies, the migration fails naming the difference, with an Event.
        create(client, "m-05", "vm-05", "hv2", spec -> spec.method = MigrationMethod.VfState);
        SriovMigration refused = awaitTerminal(client, "m-05", Duration.ofSeconds(20));
        assertThat(refused.getStatus().phase).isEqualTo(MigrationPhase.Failed);
        assertThat(refused.getStatus().failureReason).isEqualTo(Reasons.VF_STATE_NOT_POSSIBLE);
        assertThat(refused.getStatus().message).contains("firmware differs: hv1 28.39.1002, hv2 28.40.1000");
        assertThat(Conditions.find(refused.getStatus().conditions, ConditionTypes.METHOD_CHOSEN).orElseThrow()
                .getStatus()).isEqualTo(Conditions.FALSE);
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(eventsOf(client, "m-05"))
                .anyMatch(e -> Reasons.VF_STATE_NOT_POSSIBLE.equals(e.getReason()) && "Warning".equals(e.getType())));
        assertThat(sandbox.host("hv1").migrationRequests()).isEmpty();
        assertThat(TeamingXml.passedThroughPciAddresses(sandbox.host("hv1").domain("vm-05").orElseThrow().xml()))
                .containsExactly(sourceVf);

        // VfState for a teamed VM: QEMU would unplug its VF anyway; refused, naming the way that works.
        create(client, "m-01", "vm-01", "hv2", spec -> spec.method = MigrationMethod.VfState);
        SriovMigration teamed = awaitTerminal(client, "m-01", Duration.ofSeconds(20));
        assertThat(teamed.getStatus().failureReason).isEqualTo(Reasons.VF_STATE_NOT_POSSIBLE);
        assertThat(teamed.getStatus().message).contains("its VF is teamed").contains("use method Failover or Auto");

        // Failover for a VM without teaming: refused as before, pointing at VfState.
        create(client, "m-05-failover", "vm-05", "hv2");
        SriovMigration plain = awaitTerminal(client, "m-05-failover", Duration.ofSeconds(20));
        assertThat(plain.getStatus().failureReason).isEqualTo(Reasons.TEAMING_INVALID);
        assertThat(plain.getStatus().message).contains("spec.method VfState (or Auto) moves it");
        assertThat(sandbox.host("hv1").migrationRequests()).isEmpty();
    }

    @Test
    void anEvacuationMovesAPlainVfVmWithItsStateAndTheTeamedOnesByFailover() throws Exception {
        Sandbox sandbox = world.sandbox();
        KubernetesClient client = world.client();
        startVm05OnQualifiedHosts("28.39.1002");
        client.nodes().withName("hv1").edit(n -> {
            n.getMetadata().getLabels().put(Labels.EVACUATE, Labels.ON_CORDON);
            n.getSpec().setUnschedulable(true);
            return n;
        });

        await().atMost(Duration.ofSeconds(60)).until(() -> {
            List<SriovMigration> evacuation = evacuationOf(client, "hv1");
            return evacuation.stream().anyMatch(m -> "vm-05".equals(m.getSpec().vmName)) && evacuation.stream()
                    .allMatch(m -> m.getStatus() != null && m.getStatus().phase == MigrationPhase.Succeeded);
        });
        for (SriovMigration m : evacuationOf(client, "hv1")) {
            boolean plain = "vm-05".equals(m.getSpec().vmName);
            assertThat(m.getSpec().method).as(m.getSpec().vmName).isEqualTo(plain ? MigrationMethod.Auto : null);
            assertThat(m.getStatus().method).as(m.getSpec().vmName)
                    .isEqualTo(plain ? MigrationMethod.VfState : MigrationMethod.Failover);
        }
        assertThat(TeamingXml.passedThroughPciAddresses(sandbox.host("hv2").domain("vm-05").orElseThrow().xml()))
                .hasSize(1);
        assertThat(sandbox.host("hv1").domain("vm-05")).isEmpty();
    }

    private static List<SriovMigration> evacuationOf(KubernetesClient client, String node) {
        return client.resources(SriovMigration.class).inAnyNamespace().withLabel(Labels.EVACUATION, node).list()
                .getItems();
    }

    @Test
    void aCpuTheTargetCannotRunStopsAVfStateMigrationBeforeTheCopy() throws Exception {
        Sandbox sandbox = world.sandbox();
        KubernetesClient client = world.client();
        String sourceVf = startVm05OnQualifiedHosts("28.39.1002");
        sandbox.host("hv2").setCpuFeaturesMissing("avx512f");

        create(client, "dry-05", "vm-05", "hv2", spec -> {
            spec.dryRun = true;
            spec.method = MigrationMethod.VfState;
        });
        SriovMigration dry = awaitTerminal(client, "dry-05", Duration.ofSeconds(20));
        assertThat(dry.getStatus().phase).isEqualTo(MigrationPhase.Failed);
        assertThat(Conditions.find(dry.getStatus().conditions, ConditionTypes.PREFLIGHT_CPU)).hasValueSatisfying(c -> {
            assertThat(c.getStatus()).isEqualTo(Conditions.FALSE);
            assertThat(c.getReason()).isEqualTo(Reasons.CPU_INCOMPATIBLE);
            assertThat(c.getMessage()).contains("cannot run the CPU of vm-05").contains("avx512f");
        });

        create(client, "m-05", "vm-05", "hv2", spec -> spec.method = MigrationMethod.VfState);
        SriovMigration refused = awaitTerminal(client, "m-05", Duration.ofSeconds(20));
        assertThat(refused.getStatus().phase).isEqualTo(MigrationPhase.Failed);
        assertThat(refused.getStatus().failureReason).isEqualTo(Reasons.CPU_INCOMPATIBLE);
        assertThat(refused.getStatus().message).contains("avx512f").contains("nothing was changed");
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(eventsOf(client, "m-05"))
                .anyMatch(e -> Reasons.CPU_INCOMPATIBLE.equals(e.getReason()) && "Warning".equals(e.getType())));
        assertThat(sandbox.host("hv1").migrationRequests()).as("no copy started").isEmpty();
        assertThat(TeamingXml.passedThroughPciAddresses(sandbox.host("hv1").domain("vm-05").orElseThrow().xml()))
                .containsExactly(sourceVf);
    }

    /**
     * Both hosts qualified (hv2 with this firmware), vm-05 running on hv1 with VF {@link #VF} passed through, and
     * the agents' reports showing all of it.
     *
     * @return the VF's PCI address
     */
    private String startVm05OnQualifiedHosts(String hv2Firmware) throws Exception {
        Sandbox sandbox = world.sandbox();
        KubernetesClient client = world.client();
        qualify(sandbox, "hv1");
        qualify(sandbox, "hv2");
        sandbox.sysfs("hv2").devlink().setFirmware("MT_0000000838", hv2Firmware);
        String sourceVf = FakeNicNames.pciAddressOfVf(Sandbox.PF_PCI, VF);
        sandbox.host("hv1").define(plainVfDomain("vm-05", sourceVf), true);
        await().atMost(Duration.ofSeconds(20)).until(() -> reported(client, "hv1", sourceVf)
                .filter(vf -> "vm-05".equals(vf.attachedTo)).isPresent() && qualified(client, "hv1")
                && qualified(client, "hv2") && hv2Firmware.equals(facts(client, "hv2").firmware));
        return sourceVf;
    }

    /** Makes a host what VF-state migration needs; VF {@link #VF} is bound to the variant driver. */
    static void qualify(Sandbox sandbox, String node) throws Exception {
        FakeSysfsTree tree = sandbox.sysfs(node);
        tree.setPfDevice("1021");
        tree.bindVfDriver(VF, VfStateSupport.VARIANT_DRIVER);
        Path release = tree.root().getParent().resolve("proc/sys/kernel/osrelease");
        Files.createDirectories(release.getParent());
        Files.writeString(release, "6.8.0-45-generic\n");
        SimulatedHypervisor host = sandbox.host(node);
        host.setVersions(new Hypervisor.Versions("8.2.0", "10.0.0"));
        host.setStateMigratableVfs(pci -> tree.vfDriver(pci).filter(VfStateSupport.VARIANT_DRIVER::equals).isPresent());
    }

    /** The CPU of {@link #plainVfDomain}: one a host without AVX-512 cannot run. */
    static final String AVX512_CPU = "<cpu mode='custom' match='exact'><model fallback='forbid'>qemu64</model>"
            + "<feature policy='require' name='avx512f'/></cpu>";

    /** A domain with a VF passed through as a plain PCI hostdev (no teaming), as NVIDIA's VF migration runs it. */
    static String plainVfDomain(String name, String vfPci) {
        String[] p = vfPci.split("[:.]");
        return "<domain type='kvm'><name>" + name + "</name><uuid>" + java.util.UUID.nameUUIDFromBytes(name.getBytes())
                + "</uuid><memory unit='KiB'>262144</memory><vcpu>1</vcpu><os><type arch='x86_64' machine='q35'>hvm"
                + "</type></os>" + AVX512_CPU + "<devices><hostdev mode='subsystem' type='pci' managed='no'><source><address domain='0x"
                + p[0] + "' bus='0x" + p[1] + "' slot='0x" + p[2] + "' function='0x" + p[3] + "'/></source></hostdev>"
                + "</devices></domain>";
    }

    private static Optional<VmInventoryStatus.VfStatus> reported(KubernetesClient client, String node, String pci) {
        return Inventories.vfs(client, node + "-" + Sandbox.PF).stream().filter(v -> pci.equals(v.pciAddress)).findFirst();
    }

    /** The node's agent has reported everything {@link #qualify} set (a heartbeat may have read half of it). */
    private static boolean qualified(KubernetesClient client, String node) {
        HypervisorNicStatus.VfStateHost f = facts(client, node);
        return f != null && "15b3:1021".equals(f.nicModel) && "8.2.0".equals(f.qemu) && "6.8.0-45-generic".equals(f.kernel)
                && reported(client, node, FakeNicNames.pciAddressOfVf(Sandbox.PF_PCI, VF))
                        .filter(vf -> VfStateSupport.VARIANT_DRIVER.equals(vf.driver)).isPresent();
    }

    private static HypervisorNicStatus.VfStateHost facts(KubernetesClient client, String node) {
        HypervisorNic nic = client.resources(HypervisorNic.class).withName(node + "-" + Sandbox.PF).get();
        return nic == null || nic.getStatus() == null ? null : nic.getStatus().vfStateMigration;
    }

    private static List<Event> eventsOf(KubernetesClient client, String name) {
        return client.v1().events().inAnyNamespace().list().getItems().stream()
                .filter(e -> name.equals(e.getInvolvedObject().getName())).toList();
    }

    private static <T> T last(List<T> list) {
        return list.get(list.size() - 1);
    }
}
