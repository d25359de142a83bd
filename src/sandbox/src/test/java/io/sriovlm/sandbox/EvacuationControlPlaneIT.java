package io.sriovlm.sandbox;

import io.sriovlm.api.v1alpha1.Labels;
import io.sriovlm.api.v1alpha1.ConditionTypes;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.sriovlm.api.v1alpha1.MigrationPhase;
import io.sriovlm.api.v1alpha1.SriovMigration;
import io.sriovlm.operator.EvacuationConfig;
import io.sriovlm.operator.OperatorConfig;
import io.sriovlm.operator.reconciler.EvacuationReconciler;
import io.sriovlm.testing.Kubectl;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Real-control-plane tier: {@code kubectl drain} of a hypervisor, with the real eviction API, the real disruption
 * controller and the real garbage collector. The drain guard (a pod held by a PodDisruptionBudget) makes the API
 * server refuse the drain's eviction (429) while teamed VMs remain; once the evacuation has moved them, the operator
 * removes the guard and the drain completes. Deleting a Node then lets the garbage collector remove what its
 * evacuation owns. Outbound limit 1 and 2 s copies, so that the drain really waits.
 */
@Tag("control-plane")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EvacuationControlPlaneIT {
    static final String NS = Sandbox.OPERATOR_NAMESPACE;
    static ControlPlaneWorld world;
    static KubernetesClient client;
    static Kubectl kubectl;

    @BeforeAll
    static void start() {
        world = ControlPlaneWorld.start(EvacuationControlPlaneIT.class, o -> o.withCopyTime(Duration.ofSeconds(2))
                .withHeartbeat(Duration.ofMillis(500))
                .withOperatorConfig(new OperatorConfig(5, 1, 2, Duration.ofSeconds(30))));
        client = world.client();
        kubectl = world.kubectl();
        SandboxFixture.awaitReady(client);
    }

    @AfterAll
    static void stop() {
        if (world != null) {
            world.close();
        }
    }

    @Test
    @Order(1)
    void kubectlDrainIsHeldWhileTeamedVmsRemainAndCompletesOnceTheyHaveMoved() throws Exception {
        ok(kubectl.run("label", "node", "hv1", Labels.EVACUATE + "=" + Labels.ON_CORDON));
        // The guard runs (the simulated kubelet) and the disruption controller counts it: no disruption allowed.
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            Pod guard = guardPod("hv1");
            assertThat(guard).isNotNull();
            assertThat(guard.getStatus().getPhase()).isEqualTo("Running");
            PodDisruptionBudget pdb = guardBudget("hv1");
            assertThat(pdb).isNotNull();
            assertThat(pdb.getStatus()).isNotNull();
            assertThat(pdb.getStatus().getCurrentHealthy()).isEqualTo(1);
            assertThat(pdb.getStatus().getDisruptionsAllowed()).isZero();
        });

        Path out = world.work().resolve("drain.txt");
        Process drain = kubectl.start(out, "drain", "hv1", "--ignore-daemonsets", "--timeout=180s");
        try {
            // The eviction API answers 429 for the guard: kubectl says so and retries, the drain goes on waiting.
            await().atMost(Duration.ofSeconds(30)).until(() -> Files.readString(out)
                    .contains("Cannot evict pod as it would violate the pod's disruption budget"));
            assertThat(drain.isAlive()).as(Files.readString(out)).isTrue();
            // The evacuation creates one migration per VM, one after the other: kubectl can report the refused
            // eviction between the two creates (seen on a fresh clone: vm-02's came 22 ms after vm-01's).
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(evacuationMigrations("hv1"))
                    .extracting(m -> m.getSpec().vmName).containsExactlyInAnyOrder("vm-01", "vm-02"));
            assertThat(evacuationMigrations("hv1")).as("the drain is held while a VM has not moved")
                    .anyMatch(m -> m.getStatus() == null || m.getStatus().phase != MigrationPhase.Succeeded);

            assertThat(drain.waitFor(180, TimeUnit.SECONDS)).as(Files.readString(out)).isTrue();
        } finally {
            drain.destroyForcibly();
        }
        String output = Files.readString(out);
        assertThat(drain.exitValue()).as(output).isZero();
        assertThat(output).contains("node/hv1 cordoned").contains("node/hv1 drained");
        assertThat(evacuationMigrations("hv1")).hasSize(2)
                .allSatisfy(m -> assertThat(m.getStatus().phase).isEqualTo(MigrationPhase.Succeeded));
        assertThat(world.sandbox().host("hv2").isRunning("vm-01")).isTrue();
        assertThat(world.sandbox().host("hv2").isRunning("vm-02")).isTrue();
        assertThat(guardPod("hv1")).isNull();
        assertThat(guardBudget("hv1")).isNull();
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(condition("hv1").getStatus())
                .isEqualTo("True"));

        InvariantChecker checker = new InvariantChecker(world.sandbox(), Duration.ofSeconds(5));
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> assertThat(checker.violations()).isEmpty());
    }

    @Test
    @Order(2)
    void uncordonCancelsWhatHasNotStartedAndCordoningAgainStartsItOver() throws Exception {
        ok(kubectl.run("uncordon", "hv1"));
        ok(kubectl.run("label", "node", "hv2", Labels.EVACUATE + "=" + Labels.ON_CORDON));
        ok(kubectl.run("cordon", "hv2"));
        // Outbound limit 1: one VM copies for 2 s, the next is prepared behind it, the third waits for a slot.
        await().atMost(Duration.ofSeconds(30)).until(() -> evacuationMigrations("hv2").size() == 3);
        ok(kubectl.run("uncordon", "hv2"));
        await().atMost(Duration.ofSeconds(30)).until(() -> evacuationMigrations("hv2").stream()
                .allMatch(m -> m.getStatus() != null && m.getStatus().phase != null && m.getStatus().phase.isTerminal()));
        assertThat(evacuationMigrations("hv2")).extracting(m -> m.getStatus().phase).contains(MigrationPhase.Cancelled);

        // Cordoned again: the cancelled migrations are deleted and made anew, and the evacuation ends.
        ok(kubectl.run("cordon", "hv2"));
        await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> {
            assertThat(condition("hv2").getStatus()).as(condition("hv2").getMessage()).isEqualTo("True");
            assertThat(evacuationMigrations("hv2")).hasSize(3)
                    .allSatisfy(m -> assertThat(m.getStatus().phase).isEqualTo(MigrationPhase.Succeeded));
        });
        for (String vm : List.of("vm-01", "vm-02", "vm-03")) {
            assertThat(world.sandbox().host("hv1").isRunning(vm)).as(vm).isTrue();
        }
    }

    @Test
    @Order(3)
    void deletingANodeLetsTheGarbageCollectorRemoveWhatItsEvacuationOwns() throws Exception {
        // hv2's evacuation left its three migrations, owned by Node hv2.
        assertThat(evacuationMigrations("hv2")).hasSize(3).allSatisfy(m -> assertThat(m.getMetadata()
                .getOwnerReferences()).singleElement().satisfies(o -> assertThat(o.getKind() + "/" + o.getName())
                        .isEqualTo("Node/hv2")));
        // hv1 opted in (still) with teamed VMs: its drain guard exists, owned (as controller) by Node hv1.
        await().atMost(Duration.ofSeconds(30)).until(() -> guardPod("hv1") != null && guardBudget("hv1") != null);

        ok(kubectl.run("delete", "node", "hv1", "hv2", "--wait=false"));
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            assertThat(evacuationMigrations("hv2")).isEmpty();
            assertThat(guardPod("hv1")).isNull();
            assertThat(guardBudget("hv1")).isNull();
        });
    }

    private static List<SriovMigration> evacuationMigrations(String node) {
        return SandboxFixture.evacuationMigrations(client, node);
    }

    private static Pod guardPod(String node) {
        return client.pods().inNamespace(NS).withName("sriovlm-evacuation-guard-" + node).get();
    }

    private static PodDisruptionBudget guardBudget(String node) {
        return client.policy().v1().podDisruptionBudget().inNamespace(NS).withName("sriovlm-evacuation-guard-" + node)
                .get();
    }

    private static NodeCondition condition(String node) {
        return client.nodes().withName(node).get().getStatus().getConditions().stream()
                .filter(c -> ConditionTypes.SRIOV_EVACUATED.equals(c.getType())).findFirst().orElseThrow();
    }

    private static void ok(Kubectl.Run run) {
        assertThat(run.rc()).as(run.all()).isZero();
    }
}
