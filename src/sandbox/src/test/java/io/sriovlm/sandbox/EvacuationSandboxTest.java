package io.sriovlm.sandbox;

import io.sriovlm.api.v1alpha1.Labels;
import io.sriovlm.api.v1alpha1.ConditionTypes;
import io.sriovlm.testing.Kubectl;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sriovlm.agent.libvirt.TeamingXml;
import io.sriovlm.api.v1alpha1.MigrationPhase;
import io.sriovlm.api.v1alpha1.SriovMigration;
import io.sriovlm.operator.EvacuationConfig;
import io.sriovlm.operator.OperatorConfig;
import io.sriovlm.operator.reconciler.EvacuationReconciler;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Sandbox tier: node evacuation driven with the real kubectl (label + cordon, uncordon, taint), one sandbox for the
 * whole story. Outbound limit 1 and a 2 s copy, so that an evacuation of several VMs has migrations to cancel that
 * have not touched the source (one prepared ahead, one pending).
 */
@Tag("sandbox")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EvacuationSandboxTest {
    static final String NS = Sandbox.OPERATOR_NAMESPACE;
    @TempDir
    static Path work;
    static Sandbox sandbox;
    static KubernetesClient client;
    static Kubectl kubectl;

    @BeforeAll
    static void start() {
        sandbox = Sandbox.start(Sandbox.Options.defaults(work).withCopyTime(Duration.ofSeconds(2))
                .withHeartbeat(Duration.ofMillis(500))
                .withOperatorConfig(new OperatorConfig(5, 1, 2, Duration.ofSeconds(30))), new SimpleMeterRegistry());
        client = sandbox.client();
        sandbox.api().writeKubeconfig(work.resolve("kubeconfig"));
        kubectl = new Kubectl(work.resolve("kubeconfig"), work);
        SandboxFixture.awaitReady(client);
    }

    @AfterAll
    static void stop() {
        if (sandbox != null) {
            sandbox.close();
        }
    }

    @Test
    @Order(1)
    void cordoningAnOptedInNodeMovesItsVmsAndReleasesTheGuard() throws Exception {
        ok("label", "node", "hv1", "sriovlm.io/evacuate=on-cordon", "--overwrite");
        // Opted in with teamed VMs: the guard is there before any cordon, so a drain's single pod listing finds it.
        await().atMost(Duration.ofSeconds(10)).until(() -> guardExists("hv1"));
        Pod guard = client.pods().inNamespace(NS).withName("sriovlm-evacuation-guard-hv1").get();
        assertThat(guard.getSpec().getNodeName()).isEqualTo("hv1");
        assertThat(guard.getMetadata().getOwnerReferences()).singleElement()
                .satisfies(o -> assertThat(o.getKind()).isEqualTo("Node")).satisfies(o -> assertThat(o.getController()).isTrue());
        PodDisruptionBudget pdb = client.policy().v1().podDisruptionBudget().inNamespace(NS)
                .withName("sriovlm-evacuation-guard-hv1").get();
        assertThat(pdb.getSpec().getMinAvailable().getIntVal()).isEqualTo(1);
        assertThat(pdb.getSpec().getSelector().getMatchLabels()).containsEntry(Labels.EVACUATION_GUARD, "hv1");
        assertThat(evacuationMigrations("hv1")).isEmpty();

        ok("cordon", "hv1");
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(kubectl.run("get", "sriovmigrations",
                "-n", NS, "-l", "sriovlm.io/evacuation=hv1", "-o", "name").out().lines().toList())
                .containsExactlyInAnyOrder("sriovmigration.sriovlm.io/evac-hv1-vm-01",
                        "sriovmigration.sriovlm.io/evac-hv1-vm-02"));
        assertThat(condition("hv1")).isNotNull().satisfies(c -> assertThat(c.getReason()).isIn("Evacuating", "Evacuated"));
        await().atMost(Duration.ofSeconds(40)).until(() -> evacuationMigrations("hv1").stream()
                .allMatch(m -> phase(m) == MigrationPhase.Succeeded));
        for (SriovMigration m : evacuationMigrations("hv1")) {
            assertThat(m.getStatus().targetNode).isEqualTo("hv2");
            assertThat(m.getSpec().targetNode).isNull();
            assertThat(m.getMetadata().getOwnerReferences()).singleElement()
                    .satisfies(o -> assertThat(o.getKind() + "/" + o.getName()).isEqualTo("Node/hv1"));
        }
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            assertThat(condition("hv1").getStatus()).as(condition("hv1").getMessage()).isEqualTo("True");
            assertThat(guardExists("hv1")).isFalse();
        });
        assertThat(kubectl.run("get", "node", "hv1", "-o",
                "jsonpath={.status.conditions[?(@.type==\"SriovEvacuated\")].status}").out()).isEqualTo("True");
        assertThat(sandbox.host("hv2").isRunning("vm-01")).isTrue();
        assertThat(sandbox.host("hv2").isRunning("vm-02")).isTrue();
        assertThat(client.v1().events().inNamespace("default").list().getItems()).anySatisfy(e -> {
            assertThat(e.getInvolvedObject().getName()).isEqualTo("hv1");
            assertThat(e.getReason()).isEqualTo("Evacuated");
        });

        ok("uncordon", "hv1");
        ok("label", "node", "hv1", "sriovlm.io/evacuate-");
        await().atMost(Duration.ofSeconds(10)).until(() -> "NotEvacuating".equals(condition("hv1").getReason()));
    }

    @Test
    @Order(2)
    void uncordonCancelsTheMigrationsThatHaveNotStarted() throws Exception {
        ok("label", "node", "hv2", "sriovlm.io/evacuate=on-cordon", "--overwrite");
        ok("cordon", "hv2");
        // Outbound limit 1: one VM copies for 2 s, the next has its target prepared behind it (TargetReady), the
        // third waits for a slot. Neither of those two has touched the source: the uncordon cancels both.
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            List<SriovMigration> ms = evacuationMigrations("hv2");
            return ms.size() == 3 && ms.stream().filter(m -> phase(m) != null && phase(m).ordinal()
                    > MigrationPhase.TargetReady.ordinal()).count() == 1
                    && ms.stream().filter(m -> phase(m) == MigrationPhase.TargetReady).count() == 1;
        });
        ok("uncordon", "hv2");
        await().atMost(Duration.ofSeconds(30)).until(() -> evacuationMigrations("hv2").stream()
                .allMatch(m -> phase(m) != null && phase(m).isTerminal()));
        Map<MigrationPhase, Long> phases = evacuationMigrations("hv2").stream()
                .collect(Collectors.groupingBy(EvacuationSandboxTest::phase, Collectors.counting()));
        assertThat(phases).containsExactlyInAnyOrderEntriesOf(Map.of(MigrationPhase.Succeeded, 1L,
                MigrationPhase.Cancelled, 2L));
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            assertThat(condition("hv2").getReason()).isEqualTo("NotEvacuating");
            assertThat(condition("hv2").getMessage()).contains("cancelled");
        });
        // Still opted in with VMs on it: the guard stays until the label goes.
        assertThat(guardExists("hv2")).isTrue();
        ok("label", "node", "hv2", "sriovlm.io/evacuate-");
        await().atMost(Duration.ofSeconds(10)).until(() -> !guardExists("hv2"));
    }

    @Test
    @Order(3)
    void aVmWithBrokenTeamingBlocksByName() throws Exception {
        String vm = sandbox.host("hv1").listDomains().get(0).name();
        sandbox.host("hv1").define("<domain type='kvm'><name>vm-bad</name><uuid>"
                + java.util.UUID.nameUUIDFromBytes("vm-bad".getBytes()) + "</uuid><memory unit='KiB'>262144</memory>"
                + "<devices>" + TeamingXml.standbyInterface("52:54:00:20:20:20", "ua-net3", "meth3", true)
                + TeamingXml.primaryInterface("52:54:00:20:20:99", "0000:06:00.4", "ua-net3", "ua-sriov3")
                + "</devices></domain>", true);
        await().atMost(Duration.ofSeconds(10)).until(() -> Inventories.vms(client, "hv1-ens2").stream().anyMatch(v -> "vm-bad".equals(v.name)));

        // The taint trigger: no label, no cordon.
        ok("taint", "node", "hv1", "sriovlm.io/evacuate:NoSchedule");
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            NodeCondition c = condition("hv1");
            assertThat(c.getStatus()).isEqualTo("False");
            assertThat(c.getReason()).isEqualTo("Blocked");
            assertThat(c.getMessage()).contains("vm-bad: teaming broken").doesNotContain(vm);
            assertThat(sandbox.host("hv2").isRunning(vm)).isTrue();
        });
        assertThat(guardExists("hv1")).isTrue();
        assertThat(evacuationMigrations("hv1")).extracting(m -> m.getSpec().vmName).doesNotContain("vm-bad");

        sandbox.host("hv1").destroy("vm-bad");
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
            assertThat(condition("hv1").getStatus()).isEqualTo("True");
            assertThat(guardExists("hv1")).isFalse();
        });
        ok("taint", "node", "hv1", "sriovlm.io/evacuate:NoSchedule-");
    }

    private static void ok(String... args) throws Exception {
        Kubectl.Run run = kubectl.run(args);
        assertThat(run.rc()).as(run.all()).isZero();
    }

    private static boolean guardExists(String node) {
        boolean pod = client.pods().inNamespace(NS).withName("sriovlm-evacuation-guard-" + node).get() != null;
        boolean pdb = client.policy().v1().podDisruptionBudget().inNamespace(NS)
                .withName("sriovlm-evacuation-guard-" + node).get() != null;
        assertThat(pdb).as("PDB and pod come and go together").isEqualTo(pod);
        return pod;
    }

    private static List<SriovMigration> evacuationMigrations(String node) {
        return SandboxFixture.evacuationMigrations(client, node);
    }

    private static MigrationPhase phase(SriovMigration m) {
        return SandboxFixture.phase(m);
    }

    private static NodeCondition condition(String node) {
        Node n = client.nodes().withName(node).get();
        return n.getStatus() == null || n.getStatus().getConditions() == null ? null : n.getStatus().getConditions()
                .stream().filter(c -> ConditionTypes.SRIOV_EVACUATED.equals(c.getType())).findFirst().orElse(null);
    }
}
