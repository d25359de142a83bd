package io.sriovlm.sandbox;

import io.sriovlm.testing.Kubectl;
import io.sriovlm.api.v1alpha1.MigrationPhase;
import io.sriovlm.api.v1alpha1.SriovMigration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Sandbox tier: hack/kubectl-sriovlm as a user runs it, found by the real kubectl on PATH ({@code kubectl sriovlm
 * ...}), against the running sandbox, with only {@code --kubeconfig} to find the cluster.
 */
@Tag("sandbox")
class KubectlPluginSandboxTest {
    @TempDir
    static Path work;
    static Sandbox sandbox;
    static Path kubeconfig;
    static Path bin;

    @BeforeAll
    static void start() throws IOException {
        // A copy long enough that the plugin's polling sees the Migrating phase even on a loaded machine.
        sandbox = SandboxFixture.start(work, Duration.ofSeconds(2));
        kubeconfig = work.resolve("kubeconfig");
        sandbox.api().writeKubeconfig(kubeconfig);
        bin = Files.createDirectories(work.resolve("bin"));
        Path plugin = Files.copy(Path.of("hack", "kubectl-sriovlm"), bin.resolve("kubectl-sriovlm"),
                StandardCopyOption.COPY_ATTRIBUTES);
        assertThat(Files.isExecutable(plugin)).as("hack/kubectl-sriovlm is executable").isTrue();
        SandboxFixture.awaitReady(sandbox.client());
    }

    @AfterAll
    static void stop() {
        if (sandbox != null) {
            sandbox.close();
        }
    }

    @Test
    void kubectlFindsThePluginOnPath() throws Exception {
        Kubectl.Run list = plugin("plugin", "list");
        assertThat(list.out()).contains("kubectl-sriovlm");
        Kubectl.Run help = sriovlm("help");
        assertThat(help.rc()).as(help.all()).isZero();
        assertThat(help.out()).contains("migrate VM", "preflight VM", "evacuate NODE", "cancel NAME", "status");
    }

    @Test
    void migrateWaitsShowsPhasesAndSucceedsThenStatusListsIt() throws Exception {
        Kubectl.Run run = sriovlm("migrate", "vm-01", "--to", "hv2", "--pool", Sandbox.POOL, "--name", "plugin-vm-01",
                "--wait");
        assertThat(run.rc()).as(run.all()).isZero();
        assertThat(run.out()).contains("sriovmigration.sriovlm.io/plugin-vm-01 created")
                .contains("phase=Migrating").contains("hv1 -> hv2").contains("plugin-vm-01 Succeeded");
        // Phase changes come in the state machine's order (the short phases may fall between two polls).
        assertThat(run.out()).containsSubsequence("phase=Migrating", "phase=Succeeded");
        // While it copies, the source agent's job progress shows.
        assertThat(run.out()).containsPattern("phase=Migrating hv1 -> hv2 progress=\\d+%");
        SriovMigration m = SandboxFixture.get(sandbox.client(), "plugin-vm-01");
        assertThat(m.getStatus().phase).isEqualTo(MigrationPhase.Succeeded);
        assertThat(m.getSpec().targetNode).isEqualTo("hv2");
        assertThat(m.getMetadata().getLabels()).containsEntry("app.kubernetes.io/created-by", "kubectl-sriovlm");

        Kubectl.Run active = sriovlm("status");
        assertThat(active.rc()).as(active.all()).isZero();
        assertThat(active.out()).doesNotContain("plugin-vm-01");

        Kubectl.Run all = sriovlm("status", "--all");
        assertThat(all.rc()).as(all.all()).isZero();
        assertThat(all.out().lines().findFirst().orElse(""))
                .containsSubsequence("NAMESPACE", "NAME", "VM", "PHASE", "SOURCE", "TARGET", "PROGRESS", "STANDBY");
        assertThat(all.out()).containsPattern("default\\s+plugin-vm-01\\s+vm-01\\s+Succeeded\\s+hv1\\s+hv2\\s+\\S+\\s+"
                + m.getStatus().standbyWindowMs + "ms");
    }

    @Test
    void aMigrationThatFailsExitsNonZeroAndSaysWhy() throws Exception {
        Kubectl.Run run = sriovlm("migrate", "no-such-vm", "--to", "hv2", "--wait", "--timeout", "60");
        assertThat(run.rc()).as(run.all()).isEqualTo(1);
        assertThat(run.out()).contains("ended Failed").contains("kubectl describe sriovmigration");
    }

    @Test
    void aNameThatWouldAddAFieldToTheManifestIsRefusedBeforeKubectlRuns() throws Exception {
        int before = sandbox.client().resources(io.sriovlm.api.v1alpha1.SriovMigration.class).inAnyNamespace().list()
                .getItems().size();
        for (String[] args : List.of(new String[] { "migrate", "vm-02\"\n  options: {unsafe: true, peerToPeer: true}\n  x: \"" },
                new String[] { "migrate", "vm-02", "--to", "hv2\"\n  dryRun: \"false" },
                new String[] { "migrate", "vm-02", "--name", "x\nspec: {vmName: vm-01}" },
                new String[] { "migrate", "vm 02;$(reboot)" },
                new String[] { "preflight", "vm-02", "--pool", "pool-a\" }" })) {
            Kubectl.Run run = sriovlm(args);
            assertThat(run.rc()).as(run.all()).isEqualTo(2);
            assertThat(run.err()).contains("is not valid: it must match");
        }
        assertThat(sandbox.client().resources(io.sriovlm.api.v1alpha1.SriovMigration.class).inAnyNamespace().list()
                .getItems()).hasSize(before);
    }

    @Test
    void preflightReportsEveryCheckAndMovesNothing() throws Exception {
        Kubectl.Run go = sriovlm("preflight", "vm-02", "--to", "hv2");
        assertThat(go.rc()).as(go.all()).isZero();
        assertThat(go.out()).contains("would go").containsPattern("PreflightTarget\\s+True")
                .containsPattern("PreflightLibvirtReachable\\s+True");
        assertThat(sandbox.host("hv1").domain("vm-02")).isPresent();

        Kubectl.Run self = sriovlm("preflight", "vm-02", "--to", "hv1");
        assertThat(self.rc()).as(self.all()).isEqualTo(1);
        assertThat(self.out()).contains("would not go");
    }

    @Test
    void cancelSetsSpecCancel() throws Exception {
        SandboxFixture.create(sandbox.client(), "to-cancel", "vm-03", "hv9-does-not-exist");
        Kubectl.Run cancel = sriovlm("cancel", "to-cancel");
        assertThat(cancel.rc()).as(cancel.all()).isZero();
        assertThat(cancel.out()).contains("to-cancel cancel requested");
        assertThat(SandboxFixture.get(sandbox.client(), "to-cancel").getSpec().cancelRequested()).isTrue();

    }

    @Test
    void evacuateLabelsAndCordonsTheNode() throws Exception {
        // A node of its own, with no agent and no VM: the other tests' VMs on hv1 and hv2 stay where they are.
        sandbox.client().nodes().resource(new io.fabric8.kubernetes.api.model.NodeBuilder().withNewMetadata()
                .withName("hv-evac").endMetadata().withNewSpec().endSpec().build()).create();
        Kubectl.Run evacuate = sriovlm("evacuate", "hv-evac");
        assertThat(evacuate.rc()).as(evacuate.all()).isZero();
        assertThat(evacuate.out()).contains("evacuating hv-evac").contains("sriovlm.io/evacuation=hv-evac");
        var node = sandbox.client().nodes().withName("hv-evac").get();
        assertThat(node.getSpec().getUnschedulable()).isTrue();
        assertThat(node.getMetadata().getLabels()).containsEntry("sriovlm.io/evacuate", "on-cordon");
        // Nothing to move: the operator reports the node evacuated.
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() -> {
            var n = sandbox.client().nodes().withName("hv-evac").get();
            return n.getStatus() != null && n.getStatus().getConditions() != null && n.getStatus().getConditions()
                    .stream().anyMatch(c -> c.getType().equals("SriovEvacuated") && c.getStatus().equals("True"));
        });
        assertThat(sriovlm("evacuate").rc()).isEqualTo(2);
    }

    private static Kubectl.Run sriovlm(String... args) throws IOException, InterruptedException {
        List<String> all = new ArrayList<>(List.of("sriovlm", "--kubeconfig", kubeconfig.toString()));
        all.addAll(List.of(args));
        return plugin(all.toArray(String[]::new));
    }

    /** kubectl with the plugin's directory first on PATH, no KUBECONFIG, a fresh HOME. */
    private static Kubectl.Run plugin(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Kubectl.BINARY.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(work.toFile());
        pb.environment().remove("KUBECONFIG");
        pb.environment().put("HOME", Files.createDirectories(work.resolve("home")).toString());
        pb.environment().put("PATH", bin + ":" + System.getenv("PATH"));
        pb.environment().put("SRIOVLM_POLL_SECONDS", "0.1");
        Path out = Files.createTempFile(work, "out", ".txt");
        Path err = Files.createTempFile(work, "err", ".txt");
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("kubectl " + String.join(" ", args) + " timed out");
        }
        return new Kubectl.Run(p.exitValue(), Files.readString(out), Files.readString(err));
    }
}
