package io.sriovlm.sandbox;

import io.sriovlm.testing.host.FakeHostCommands;
import io.sriovlm.testing.host.FakeOvs;
import io.sriovlm.api.v1alpha1.ConditionTypes;
import io.sriovlm.testing.Kubectl;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.sriovlm.api.v1alpha1.HypervisorNic;
import io.sriovlm.api.v1alpha1.HypervisorNicStatus;
import io.sriovlm.common.Conditions;
import io.sriovlm.operator.placement.NicHealth;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Sandbox tier: every simulated hypervisor's agent runs the real provisioning engine over its fake sysfs tree, with
 * devlink/ethtool/ip answered by FakeHostCommands and OVS by an in-memory FakeOvs. The seeded NIC is already in
 * switchdev with its SFs and bonds, so only the OVS part is applied; then each node is Ready.
 */
@Tag("sandbox")
class HypervisorNicProvisioningSandboxTest {
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

    static HypervisorNicStatus status(KubernetesClient client, String node) {
        return client.resources(HypervisorNic.class).withName(node + "-ens2").get().getStatus();
    }

    @Test
    void eachNodeIsProvisionedAndReady() throws Exception {
        KubernetesClient client = sandbox.client();
        for (String node : new String[] { "hv1", "hv2" }) {
            await().atMost(Duration.ofSeconds(20)).ignoreExceptions().untilAsserted(() -> {
                HypervisorNicStatus s = status(client, node);
                assertThat(s.syncStatus).as(node + ": " + s.lastSyncError).isEqualTo("Succeeded");
                assertThat(s.syncedGeneration).isNotNull();
                assertThat(Conditions.isTrue(s.conditions, ConditionTypes.READY)).isTrue();
                assertThat(Conditions.isTrue(s.conditions, "Provisioned")).isTrue();
                assertThat(s.ovs.ports).extracting(p -> p.name).contains("ens2", "bond0", "bond3");
            });
            HypervisorNicStatus s = status(client, node);
            assertThat(s.interfaces).singleElement().satisfies(pf -> {
                assertThat(pf.name).isEqualTo("ens2");
                assertThat(pf.eSwitchMode).isEqualTo("switchdev");
                assertThat(pf.hwTcOffload).isTrue();
                assertThat(pf.vfs).extracting(v -> v.representorName).containsExactly("ens2_0", "ens2_1", "ens2_2", "ens2_3");
            });
            assertThat(s.sfs).extracting(sf -> sf.netdev).containsExactly("meth0", "meth1", "meth2", "meth3");
            assertThat(s.bonds).allSatisfy(b -> {
                assertThat(b.mode).startsWith("active-backup");
                assertThat(b.primary).isEqualTo(b.sfRepresentor);
                assertThat(b.slaves).containsExactly(b.sfRepresentor, b.vfRepresentor);
            });
            assertThat(s.ovs.otherConfig).containsEntry("hw-offload", "true").containsEntry("tc-policy", "skip_sw");
            assertThat(s.ovs.ports).filteredOn(p -> p.name.startsWith("bond")).allSatisfy(p -> assertThat(p.tag).isEqualTo(100));
            // the engine created the bridge and ports in the first pass; SFs, bonds and the PF were already in place
            assertThat(sandbox.commands(node).changes()).contains(
                    "ovs-vsctl --timeout=5 --may-exist add-br ovs-sriov",
                    "ovs-vsctl --timeout=5 --may-exist add-port ovs-sriov bond0 tag=100")
                    .noneMatch(c -> c.startsWith("devlink") || c.startsWith("ethtool") || c.startsWith("ip "));
        }

        Kubectl kubectl = new Kubectl(work.resolve("kubeconfig"), work);
        Kubectl.Run get = kubectl.run("get", "hypervisornics");
        assertThat(get.rc()).as(get.all()).isZero();
        assertThat(get.out()).containsPattern("hv1-ens2\\s+hv1\\s+ens2\\s+4\\s+True")
                .containsPattern("hv2-ens2\\s+hv2\\s+ens2\\s+4\\s+True");
    }

    @Test
    void aRemovedOvsPortIsReportedAsDriftAndLeftAlone() {
        KubernetesClient client = sandbox.client();
        await().atMost(Duration.ofSeconds(20)).until(() -> "Succeeded".equals(status(client, "hv2").syncStatus)
                && status(client, "hv2").syncedGeneration != null);
        sandbox.ovs("hv2").deletePort("ovs-sriov", "bond2");
        await().atMost(Duration.ofSeconds(20)).ignoreExceptions().untilAsserted(() -> {
            HypervisorNicStatus s = status(client, "hv2");
            assertThat(s.drift).anySatisfy(d -> assertThat(d).contains("add-port ovs-sriov bond2 tag=100"));
            assertThat(Conditions.find(s.conditions, "Drifted").orElseThrow().getStatus()).isEqualTo("True");
        });
        assertThat(sandbox.ovs("hv2").hasPort("ovs-sriov", "bond2")).isFalse();
        assertThat(Conditions.isTrue(status(client, "hv2").conditions, ConditionTypes.READY)).isTrue();
    }

    @Test
    void moreVfsThanTheDeviceOffersIsShownByKubectlAndChangesNothing() throws Exception {
        KubernetesClient client = sandbox.client();
        Kubectl kubectl = new Kubectl(work.resolve("kubeconfig"), work);
        await().atMost(Duration.ofSeconds(20)).until(() -> "Succeeded".equals(status(client, "hv1").syncStatus));
        Kubectl.Run patched = kubectl.run("patch", "hypervisornic", "hv1-ens2", "--type=merge", "-p", "{\"spec\":{\"numVfs\":20}}");
        assertThat(patched.rc()).as(patched.all()).isZero();
        await().atMost(Duration.ofSeconds(20)).ignoreExceptions().untilAsserted(() -> {
            HypervisorNicStatus s = status(client, "hv1");
            assertThat(s.syncStatus).isEqualTo("Failed");
            assertThat(s.lastSyncError).contains("spec.numVfs 20 exceeds sriov_totalvfs 16 of PF ens2");
            assertThat(Conditions.find(s.conditions, "Provisioned").orElseThrow().getReason()).isEqualTo("InvalidSpec");
            assertThat(Conditions.isTrue(s.conditions, ConditionTypes.READY)).isFalse();
        });
        Kubectl.Run get = kubectl.run("get", "hypervisornics");
        assertThat(get.out()).containsPattern("hv1-ens2\\s+hv1\\s+ens2\\s+4\\s+False\\s+Failed");
        assertThat(sandbox.sysfs("hv1").hostNetwork().numVfs("ens2")).isEqualTo(4);

        assertThat(kubectl.run("patch", "hypervisornic", "hv1-ens2", "--type=merge", "-p", "{\"spec\":{\"numVfs\":4}}").rc()).isZero();
        await().atMost(Duration.ofSeconds(20)).ignoreExceptions().untilAsserted(() -> {
            HypervisorNicStatus s = status(client, "hv1");
            assertThat(s.syncStatus).isEqualTo("Succeeded");
            assertThat(Conditions.isTrue(s.conditions, ConditionTypes.READY)).isTrue();
        });
    }
}
