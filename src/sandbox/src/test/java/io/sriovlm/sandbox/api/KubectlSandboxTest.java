package io.sriovlm.sandbox.api;


import io.sriovlm.testing.Kubectl;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.sriovlm.api.v1alpha1.MigrationPhase;
import io.sriovlm.api.v1alpha1.SriovMigration;
import io.sriovlm.api.v1alpha1.SriovMigrationStatus;

/** Drives the embedded API server with the real kubectl, as a user of the sandbox would. */
class KubectlSandboxTest {
    static EmbeddedApiServer server;
    static KubernetesClient client;
    @TempDir
    static Path tmp;

    @BeforeAll
    static void start() {
        server = EmbeddedApiServer.start("127.0.0.1", 0, SandboxCrds.load());
        client = server.client();
        server.writeKubeconfig(tmp.resolve("kubeconfig"));
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    static Kubectl.Run kubectl(String... args) throws IOException, InterruptedException {
        return new Kubectl(tmp.resolve("kubeconfig"), tmp).run(args);
    }

    static Path manifest(String name, String yaml) throws IOException {
        return Files.writeString(tmp.resolve(name), yaml, StandardCharsets.UTF_8);
    }

    static final String MIGRATION = "apiVersion: sriovlm.io/v1alpha1\n"
            + "kind: SriovMigration\n"
            + "metadata: {name: move-vm-01, namespace: default}\n"
            + "spec:\n"
            + "  vmName: vm-01\n"
            + "  sourceNode: hv1\n"
            + "  targetNode: hv2\n"
            + "  vfPool: pool-a\n"
            + "  vfHandoff: Explicit\n"
            + "  options: {maxDowntimeMs: 300, bandwidthMiBps: 0, autoConverge: false, postCopy: false, timeoutSeconds: 600}\n"
            + "  dryRun: false\n"
            + "  cancel: false\n";

    @Test
    void versionIsOneThirtyTwo() throws Exception {
        Kubectl.Run r = kubectl("version");
        assertThat(r.rc()).as(r.all()).isZero();
        assertThat(r.out()).contains("Server Version: v1.32.");
    }

    @Test
    void aServerSideDryRunIsRefusedAndCreatesNothing() throws Exception {
        Kubectl.Run r = kubectl("diff", "-f", manifest("diff.yaml", MIGRATION.replace("move-vm-01", "diff-only"))
                .toString());
        assertThat(r.rc()).as(r.all()).isGreaterThan(1); // 1 means "differences found"; above, an error
        assertThat(r.err()).contains("no server-side dry run");
        assertThat(client.resources(SriovMigration.class).withName("diff-only").get()).isNull();
    }

    @Test
    void applyGetDescribeDeleteASriovMigration() throws Exception {
        Kubectl.Run r = kubectl("apply", "-f", manifest("m.yaml", MIGRATION).toString());
        assertThat(r.rc()).as(r.all()).isZero();
        assertThat(r.out()).contains("sriovmigration.sriovlm.io/move-vm-01 created");

        SriovMigration m = client.resources(SriovMigration.class).withName("move-vm-01").get();
        SriovMigrationStatus st = new SriovMigrationStatus();
        st.phase = MigrationPhase.Migrating;
        st.sourceNode = "hv1";
        st.targetNode = "hv2";
        st.standbyWindowMs = 2140L;
        m.setStatus(st);
        m = client.resource(m).updateStatus();

        r = kubectl("get", "sriovmigrations");
        assertThat(r.rc()).as(r.all()).isZero();
        String[] lines = r.out().split("\n");
        assertThat(lines[0].split("\\s+")).contains("NAME", "PHASE", "VM", "SOURCE", "TARGET", "AGE")
                .doesNotContain("STANDBY(MS)");
        assertThat(lines[1].split("\\s+")).contains("move-vm-01", "Migrating", "vm-01", "hv1", "hv2");
        assertThat(lines[1]).matches(".*\\s\\d+s(\\s.*)?"); // Age as the API server formats it, e.g. "3s"

        r = kubectl("get", "sm", "-o", "wide");
        assertThat(r.rc()).as(r.all()).isZero();
        assertThat(r.out()).contains("STANDBY(MS)").contains("2140").contains("move-vm-01");

        r = kubectl("get", "sm", "move-vm-01", "-o", "yaml");
        assertThat(r.rc()).as(r.all()).isZero();
        assertThat(r.out()).contains("kind: SriovMigration").contains("vmName: vm-01").contains("phase: Migrating");

        client.v1().events().inNamespace("default").resource(new EventBuilder().withNewMetadata()
                .withName("move-vm-01.1").withNamespace("default").endMetadata().withNewInvolvedObject()
                .withApiVersion("sriovlm.io/v1alpha1").withKind("SriovMigration").withName("move-vm-01")
                .withNamespace("default").withUid(m.getMetadata().getUid()).endInvolvedObject()
                .withReason("TargetChosen").withMessage("hv2 has a free VF in pool-a").withType("Normal")
                .withCount(1).build()).create();
        client.v1().events().inNamespace("default").resource(new EventBuilder().withNewMetadata()
                .withName("other.1").withNamespace("default").endMetadata().withNewInvolvedObject()
                .withKind("SriovMigration").withName("other").withNamespace("default").endInvolvedObject()
                .withReason("NotMine").withMessage("x").withType("Normal").build()).create();
        r = kubectl("describe", "sm", "move-vm-01");
        assertThat(r.rc()).as(r.all()).isZero();
        assertThat(r.out()).contains("Vm Name:").contains("TargetChosen").contains("hv2 has a free VF in pool-a")
                .doesNotContain("NotMine");

        // spec frozen while Migrating: only cancel may change
        r = kubectl("apply", "-f", manifest("m2.yaml", MIGRATION.replace("targetNode: hv2", "targetNode: hv3")).toString());
        assertThat(r.rc()).isNotZero();
        assertThat(r.err()).contains("The SriovMigration \"move-vm-01\" is invalid")
                .contains("spec is immutable once the migration has started");
        r = kubectl("apply", "-f", manifest("m3.yaml", MIGRATION.replace("cancel: false", "cancel: true")).toString());
        assertThat(r.rc()).as(r.all()).isZero();
        assertThat(r.out()).contains("sriovmigration.sriovlm.io/move-vm-01 configured");

        r = kubectl("delete", "sm", "move-vm-01");
        assertThat(r.rc()).as(r.all()).isZero();
        assertThat(r.out()).contains("sriovmigration.sriovlm.io \"move-vm-01\" deleted");
        assertThat(client.resources(SriovMigration.class).withName("move-vm-01").get()).isNull();
    }

    @Test
    void malformedManifestIsRejectedWithTheSchemaMessage() throws Exception {
        Kubectl.Run r = kubectl("apply", "-f", manifest("bad.yaml", "apiVersion: sriovlm.io/v1alpha1\nkind: SriovMigration\n"
                + "metadata: {name: bad}\nspec: {vmName: \"a b\"}\n").toString());
        assertThat(r.rc()).isNotZero();
        assertThat(r.err()).contains("The SriovMigration \"bad\" is invalid: spec.vmName: Invalid value: \"a b\": "
                + "spec.vmName in body should match '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'");
        assertThat(client.resources(SriovMigration.class).withName("bad").get()).isNull();
    }

    @Test
    void hypervisorNicsShowTheirColumns() throws Exception {
        Kubectl.Run r = kubectl("apply", "-f", manifest("hnic.yaml", "apiVersion: sriovlm.io/v1alpha1\nkind: HypervisorNic\n"
                + "metadata: {name: hv1-enp6s0f0}\n"
                + "spec: {nodeName: hv1, pf: {name: enp6s0f0, pciAddress: \"0000:06:00.0\"}, numVfs: 4}\n").toString());
        assertThat(r.rc()).as(r.all()).isZero();
        GenericKubernetesResource nic = client.genericKubernetesResources("sriovlm.io/v1alpha1", "HypervisorNic")
                .withName("hv1-enp6s0f0").get();
        nic.getAdditionalProperties().put("status", java.util.Map.of("totalVfs", 4,
                "conditions", List.of(java.util.Map.of("type", "Degraded", "status", "False"),
                        java.util.Map.of("type", "Ready", "status", "True"))));
        client.resource(nic).updateStatus();

        r = kubectl("get", "hypervisornics");
        assertThat(r.rc()).as(r.all()).isZero();
        String[] lines = r.out().split("\n");
        assertThat(lines[0].split("\\s+")).contains("NAME", "NODE", "PF", "VFS", "READY", "AGE");
        assertThat(lines[1].split("\\s+")).contains("hv1-enp6s0f0", "hv1", "enp6s0f0", "4", "True");
        r = kubectl("get", "hnic", "hv1-enp6s0f0");
        assertThat(r.rc()).as(r.all()).isZero();
        assertThat(r.out()).contains("hv1-enp6s0f0");
    }

    @Test
    void cordonANode() throws Exception {
        Node node = new NodeBuilder().withNewMetadata().withName("node-1").endMetadata().withNewStatus()
                .addNewCondition().withType("Ready").withStatus("True").endCondition().endStatus().build();
        client.nodes().resource(node).create();
        Kubectl.Run r = kubectl("cordon", "node-1");
        assertThat(r.rc()).as(r.all()).isZero();
        assertThat(r.out()).as(r.all()).contains("node/node-1 cordoned");
        assertThat(client.nodes().withName("node-1").get().getSpec().getUnschedulable()).isTrue();
        r = kubectl("get", "nodes");
        assertThat(r.rc()).as(r.all()).isZero();
        assertThat(r.out()).contains("STATUS").contains("Ready,SchedulingDisabled");
        r = kubectl("uncordon", "node-1");
        assertThat(r.rc()).as(r.all()).isZero();
        assertThat(client.nodes().withName("node-1").get().getSpec().getUnschedulable()).isNotEqualTo(Boolean.TRUE);
    }
}
