package io.sriovlm.sandbox;

import io.sriovlm.api.v1alpha1.MigrationTransport;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.sriovlm.agent.libvirt.Hypervisor;
import io.sriovlm.agent.libvirt.Hypervisor.MigrationRequest;
import io.sriovlm.api.v1alpha1.HypervisorNic;
import io.sriovlm.api.v1alpha1.VmInventoryStatus.VmStatus;
import io.sriovlm.api.v1alpha1.MigrationOptions;
import io.sriovlm.api.v1alpha1.MigrationPhase;
import io.sriovlm.api.v1alpha1.SriovMigration;
import io.sriovlm.api.v1alpha1.SriovMigrationSpec;
import io.sriovlm.api.v1alpha1.VfPool;
import io.sriovlm.testing.HostileNames;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.List;
import java.util.function.BiConsumer;

import static io.sriovlm.sandbox.SandboxFixture.awaitTerminal;
import static io.sriovlm.sandbox.SandboxFixture.create;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Sandbox tier: the security review's end-to-end checks. The embedded API server validates against the CRD schemas
 * exactly as the real one would, so hostile names are refused there; a hostile libvirt domain name, which the CRD
 * cannot carry, is reported as data and blocks an evacuation by name; and every migration's transport is what its
 * spec asks for, as the simulated source host records it.
 */
@Tag("sandbox")
class InjectionSandboxTest {
    @RegisterExtension
    final SandboxExtension world = SandboxExtension.perTest(Duration.ofMillis(50));

    private MigrationRequest lastRequestOf(String node) {
        List<MigrationRequest> requests = world.sandbox().host(node).migrationRequests();
        assertThat(requests).isNotEmpty();
        return requests.get(requests.size() - 1);
    }

    @Test
    void aDefaultMigrationAsksForTlsAndNeitherPeerToPeerNorUnsafe() {
        create(world.client(), "plain", "vm-01", "hv2");
        SriovMigration m = awaitTerminal(world.client(), "plain", Duration.ofSeconds(30));
        assertThat(m.getStatus().phase).as(m.getStatus().message).isEqualTo(MigrationPhase.Succeeded);

        MigrationRequest r = lastRequestOf("hv1");
        assertThat(r.transport()).isEqualTo(new MigrationTransport(true, false, false));
        assertThat(r.destinationUri()).isEqualTo("qemu+tls://hv2/system");
    }

    @Test
    void peerToPeerUnsafeAndNoTlsOnlyWhenTheSpecAsksForThem() {
        create(world.client(), "explicit", "vm-01", "hv2", spec -> {
            spec.options = new MigrationOptions();
            spec.options.peerToPeer = true;
            spec.options.unsafe = true;
            spec.options.tls = false;
        });
        SriovMigration m = awaitTerminal(world.client(), "explicit", Duration.ofSeconds(30));
        assertThat(m.getStatus().phase).as(m.getStatus().message).isEqualTo(MigrationPhase.Succeeded);
        assertThat(lastRequestOf("hv1").transport()).isEqualTo(new MigrationTransport(false, true, true));
    }

    @Test
    void theSchemaRejectsHostileNamesWhereKubernetesOrInterfaceNamesAreRequired() {
        List<Field<SriovMigrationSpec>> migrationFields = List.of(
                new Field<>("spec.vmName", (s, v) -> s.vmName = v),
                new Field<>("spec.sourceNode", (s, v) -> s.sourceNode = v),
                new Field<>("spec.targetNode", (s, v) -> s.targetNode = v),
                new Field<>("spec.vfPool", (s, v) -> s.vfPool = v));
        for (String hostile : HostileNames.ALL) {
            for (Field<SriovMigrationSpec> f : migrationFields) {
                SriovMigration m = new SriovMigration();
                m.getMetadata().setName("bad");
                m.getMetadata().setNamespace("default");
                m.setSpec(new SriovMigrationSpec());
                m.getSpec().vmName = "vm-01";
                f.set().accept(m.getSpec(), hostile);
                assertThatThrownBy(() -> world.client().resource(m).create()).as("%s = %s", f.path(), hostile)
                        .isInstanceOf(KubernetesClientException.class).hasMessageContaining(f.path());
            }
            HypervisorNic nic = world.client().resources(HypervisorNic.class).withName("hv1-ens2").get();
            nic.getMetadata().setResourceVersion(null);
            nic.getMetadata().setName("bad-nic");
            nic.setStatus(null);
            List<Field<HypervisorNic>> nicFields = List.of(
                    new Field<>("spec.pf.name", (n, v) -> n.getSpec().pf.name = v),
                    new Field<>("spec.bonds[0].sfNetdev", (n, v) -> n.getSpec().bonds.get(0).sfNetdev = v),
                    new Field<>("spec.bonds[0].vfRepresentor", (n, v) -> n.getSpec().bonds.get(0).vfRepresentor = v));
            for (Field<HypervisorNic> f : nicFields) {
                HypervisorNic copy = io.fabric8.kubernetes.client.utils.Serialization.clone(nic);
                f.set().accept(copy, hostile);
                assertThatThrownBy(() -> world.client().resource(copy).create()).as("%s = %s", f.path(), hostile)
                        .isInstanceOf(KubernetesClientException.class).hasMessageContaining(f.path());
            }
        }
        assertThat(world.client().resources(SriovMigration.class).inAnyNamespace().list().getItems()).isEmpty();
        assertThat(world.client().resources(HypervisorNic.class).withName("bad-nic").get()).isNull();
        assertThat(world.client().resources(VfPool.class).list().getItems()).hasSize(1);
        assertThat(world.sandbox().commands("hv1").shown()).noneMatch(c -> HostileNames.ALL.stream().anyMatch(c::contains));
    }

    @Test
    void aMigrationUriWithParametersOrAnotherSchemeCannotBePublishedInStatus() {
        for (String hostile : List.of("qemu+ext:///system?command=/bin/sh", "qemu+ssh://hv2/system?netcat=/tmp/x",
                "qemu+tls://hv2/system?no_verify=1", "qemu+tls://hv2/system;reboot", "test:///default",
                "qemu+tls://$(reboot)/system")) {
            KubernetesClientException refused = SandboxFixture.refusalOf(
                    () -> world.client().resources(HypervisorNic.class).withName("hv2-ens2").get(), nic -> {
                        nic.getStatus().migrationUri = hostile;
                        world.client().resource(nic).updateStatus();
                    });
            assertThat(refused).as(hostile).isNotNull();
            assertThat(refused.getCode()).as(hostile).isEqualTo(422);
            assertThat(refused.getMessage()).as(hostile).contains("migrationUri");
        }
        assertThat(world.client().resources(HypervisorNic.class).withName("hv2-ens2").get().getStatus().migrationUri)
                .isEqualTo("qemu+tls://hv2/system");
    }

    @Test
    void aLibvirtDomainNamedWithMetacharactersIsReportedAsDataAndBlocksAnEvacuationByName() throws Exception {
        String hostile = "vm 01'\";$(reboot)`id`<&>";
        String escaped = hostile.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                .replace("\"", "&quot;").replace("'", "&apos;");
        world.sandbox().host("hv1").define(Sandbox.teamedDomain(escaped, 3, "0000:06:00.4"), true);
        await().atMost(Duration.ofSeconds(10)).ignoreExceptions().untilAsserted(() -> {
            VmStatus vm = Inventories.vms(world.client(), "hv1-ens2").stream().filter(v -> hostile.equals(v.name)).findFirst().orElseThrow();
            assertThat(vm.teamingValid).isFalse();
            assertThat(vm.problems).anySatisfy(p -> assertThat(p).contains("domain name", "spec.vmName"));
        });

        world.client().nodes().withName("hv1").edit(n -> {
            n.getSpec().setTaints(List.of(new Taint("NoSchedule", "sriovlm.io/evacuate", null, null)));
            return n;
        });
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().untilAsserted(() -> {
            Node node = world.client().nodes().withName("hv1").get();
            NodeCondition c = node.getStatus().getConditions().stream()
                    .filter(x -> "SriovEvacuated".equals(x.getType())).findFirst().orElseThrow();
            assertThat(c.getReason()).isEqualTo("Blocked");
            assertThat(c.getMessage()).contains(hostile + ": teaming broken", "domain name");
            assertThat(world.sandbox().host("hv1").isRunning("vm-01")).isFalse();
        });
        assertThat(world.client().resources(SriovMigration.class).inAnyNamespace().list().getItems())
                .extracting(m -> m.getSpec().vmName).doesNotContain(hostile).contains("vm-01");
        assertThat(world.sandbox().host("hv1").isRunning(hostile)).as("left where it was").isTrue();
    }

    private record Field<T>(String path, BiConsumer<T, String> set) {
    }
}
