package io.sriovlm.sandbox;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.sriovlm.agent.libvirt.TeamingXml;
import io.sriovlm.api.v1alpha1.ConditionTypes;
import io.sriovlm.api.v1alpha1.HypervisorNic;
import io.sriovlm.api.v1alpha1.VmInventoryStatus.VfStatus;
import io.sriovlm.api.v1alpha1.MigrationPhase;
import io.sriovlm.api.v1alpha1.Reasons;
import io.sriovlm.api.v1alpha1.SriovMigration;
import io.sriovlm.api.v1alpha1.VfPool;
import io.sriovlm.common.Conditions;
import io.sriovlm.testing.host.FakeKernel.VfAdmin;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.Map;

import static io.sriovlm.sandbox.SandboxFixture.awaitTerminal;
import static io.sriovlm.sandbox.SandboxFixture.create;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Sandbox tier: the agents report each VF's settings on its PF; a free VF's leftover MAC and VLAN are cleared by its
 * agent (an Event says so); a target VF set up unlike the VM's keeps the migration waiting, untouched, until it is
 * fixed, and the migration then goes through; a VF passed through outside any teaming pair is reported on the pool.
 */
@Tag("sandbox")
class VfConfigSandboxTest {
    @RegisterExtension
    final SandboxExtension world = SandboxExtension.perTest(Duration.ofMillis(200));

    @Test
    void aReleasedVfLosesItsMacAndVlanAndAnAttachedOneKeepsThem() throws Exception {
        Sandbox sandbox = world.sandbox();
        KubernetesClient client = world.client();
        // hv2: VF 0 is free (paired with meth0), VF 2 is vm-03's.
        sandbox.sysfs("hv2").kernel().setVf(0, Map.of("mac", "52:54:00:de:ad:01", "vlan", "42"));
        String vm03Mac = TeamingXml.inspect(sandbox.host("hv2").domain("vm-03").orElseThrow().xml()).mac();
        sandbox.sysfs("hv2").kernel().setVf(2, Map.of("mac", vm03Mac, "vlan", "7"));

        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> assertThat(client.v1().events()
                .inNamespace("default").list().getItems()).anyMatch(e -> Reasons.VF_CLEARED.equals(e.getReason())
                        && "HypervisorNic".equals(e.getInvolvedObject().getKind())
                        && e.getMessage().contains("VF 0 (") && e.getMessage().contains("MAC 52:54:00:de:ad:01, VLAN 42")));
        assertThat(sandbox.sysfs("hv2").kernel().vfAdmin(0)).isEqualTo(VfAdmin.FRESH);
        assertThat(sandbox.sysfs("hv2").kernel().vfAdmin(2)).as("held by vm-03: kept")
                .isEqualTo(new VfAdmin(vm03Mac, 7, true, false, "auto"));
        // The heartbeat after the one that cleared reports both as they are.
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
            VfStatus attached = vf(client, "hv2", 2);
            assertThat(attached.attachedTo).isEqualTo("vm-03");
            assertThat(attached.adminMac).isEqualTo(vm03Mac);
            assertThat(attached.vlan).isEqualTo(7);
            assertThat(attached.trust).isFalse();
            assertThat(attached.spoofCheck).isTrue();
            assertThat(attached.linkState).isEqualTo("auto");
            assertThat(vf(client, "hv2", 0).adminMac).isEqualTo(VfStatus.NO_MAC);
            assertThat(vf(client, "hv2", 0).vlan).isZero();
        });
    }

    @Test
    void aTargetVfSetUpUnlikeTheVmsHoldsTheMigrationUntilItIsFixed() throws Exception {
        Sandbox sandbox = world.sandbox();
        KubernetesClient client = world.client();
        // vm-01 holds hv1's VF 0, trusted; hv2's VF 0 (the one paired with vm-01's SF netdev meth0) is not.
        sandbox.sysfs("hv1").kernel().setVf(0, Map.of("trust", "on"));
        await().atMost(Duration.ofSeconds(15)).until(() -> Boolean.TRUE.equals(vf(client, "hv1", 0).trust));

        create(client, "m-trust", "vm-01", "hv2");
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
            SriovMigration m = client.resources(SriovMigration.class).inNamespace("default").withName("m-trust").get();
            assertThat(m.getStatus()).isNotNull();
            assertThat(m.getStatus().phase).isEqualTo(MigrationPhase.Pending);
            assertThat(Conditions.find(m.getStatus().conditions, ConditionTypes.SCHEDULED)).hasValueSatisfying(c -> {
                assertThat(c.getReason()).isEqualTo(Reasons.VF_CONFIG_MISMATCH);
                assertThat(c.getMessage()).contains("has trust off, vm-01's VF on hv1 has trust on; run: ip link"
                        + " set dev " + Sandbox.PF + " vf 0 trust on");
            });
        });
        assertThat(client.v1().events().inNamespace("default").list().getItems())
                .anyMatch(e -> Reasons.VF_CONFIG_MISMATCH.equals(e.getReason()));
        assertThat(TeamingXml.inspect(sandbox.host("hv1").domain("vm-01").orElseThrow().xml()).primaryAttached())
                .as("nothing on the source was touched").isTrue();

        sandbox.sysfs("hv2").kernel().setVf(0, Map.of("trust", "on"));
        SriovMigration done = awaitTerminal(client, "m-trust", Duration.ofSeconds(30));
        assertThat(done.getStatus().phase).isEqualTo(MigrationPhase.Succeeded);
        assertThat(sandbox.host("hv2").domain("vm-01")).isPresent();
    }

    @Test
    void aVfPassedThroughOutsideTeamingIsReportedOnThePoolCountedAsAllocatedAndNotCleared() throws Exception {
        Sandbox sandbox = world.sandbox();
        KubernetesClient client = world.client();
        // hv2's VF 3 (0000:06:00.4) given by hand to a domain as a plain hostdev, with a MAC set for it.
        sandbox.sysfs("hv2").kernel().setVf(3, Map.of("mac", "52:54:00:77:77:77"));
        sandbox.host("hv2").define("<domain type='kvm'><name>plain</name><uuid>6f1c2a36-54c8-4b0e-9a0e-4b7f2f7e0a02</uuid>"
                + "<memory>1024</memory><os><type>hvm</type></os><devices><hostdev mode='subsystem' type='pci'"
                + " managed='yes'><source><address domain='0x0000' bus='0x06' slot='0x00' function='0x4'/></source>"
                + "</hostdev></devices></domain>", true);

        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
            VfStatus given = vf(client, "hv2", 3);
            assertThat(given.attachedTo).isEqualTo("plain");
            assertThat(given.attachedOutsideTeaming).isTrue();
            assertThat(Conditions.find(pool(client).getStatus().conditions, ConditionTypes.VFS_ACCOUNTED))
                    .hasValueSatisfying(c -> {
                        assertThat(c.getStatus()).isEqualTo(Conditions.FALSE);
                        assertThat(c.getReason()).isEqualTo(Reasons.VF_DRIFT);
                        assertThat(c.getMessage()).contains("VF 0000:06:00.4 on hv2 is passed through to domain plain"
                                + " outside any teaming pair");
                    });
        });
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(client.v1().events()
                .inNamespace("default").list().getItems()).anyMatch(e -> Reasons.VF_DRIFT.equals(e.getReason())
                        && "VfPool".equals(e.getInvolvedObject().getKind())));
        assertThat(sandbox.sysfs("hv2").kernel().vfAdmin(3).mac()).as("in use: the hygiene leaves it")
                .isEqualTo("52:54:00:77:77:77");

        sandbox.host("hv2").destroy("plain");
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
            assertThat(Conditions.find(pool(client).getStatus().conditions, ConditionTypes.VFS_ACCOUNTED))
                    .hasValueSatisfying(c -> assertThat(c.getStatus()).isEqualTo(Conditions.TRUE));
            assertThat(sandbox.sysfs("hv2").kernel().vfAdmin(3).mac()).as("released: cleared")
                    .isEqualTo(VfStatus.NO_MAC);
        });
    }

    private static VfPool pool(KubernetesClient client) {
        return client.resources(VfPool.class).withName(Sandbox.POOL).get();
    }

    private static VfStatus vf(KubernetesClient client, String node, int index) {
        return Inventories.vfs(client, node + "-" + Sandbox.PF).stream().filter(v -> v.index == index).findFirst().orElseThrow();
    }
}
