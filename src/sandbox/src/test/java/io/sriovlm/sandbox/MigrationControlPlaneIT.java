package io.sriovlm.sandbox;

import io.sriovlm.operator.placement.VfLedger;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.sriovlm.agent.libvirt.TeamingXml;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.sriovlm.api.v1alpha1.HeartbeatLeases;
import io.sriovlm.api.v1alpha1.HypervisorNic;
import io.sriovlm.api.v1alpha1.VmInventory;
import io.sriovlm.api.v1alpha1.MigrationPhase;
import io.sriovlm.api.v1alpha1.SriovMigration;
import io.sriovlm.api.v1alpha1.Reasons;
import io.sriovlm.sandbox.api.ApiFaults;
import io.sriovlm.testing.Kubectl;
import io.sriovlm.sandbox.faults.PhaseTrigger;
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
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.sriovlm.sandbox.SandboxFixture.awaitTerminal;
import static io.sriovlm.sandbox.SandboxFixture.create;
import static io.sriovlm.sandbox.SandboxFixture.pool;
import static io.sriovlm.sandbox.SandboxFixture.refusalOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Real-control-plane tier: migrations on a real kube-apiserver, the operator and the agents with nothing but the
 * shipped RBAC and admission policy; and what kubectl users do there (server-side apply as Flux does, watch, wait,
 * explain, diff), and what the API server itself refuses. One world, the tests in order (each moves a VM on).
 */
@Tag("control-plane")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MigrationControlPlaneIT {
    static ControlPlaneWorld world;
    static KubernetesClient client;
    static Kubectl kubectl;

    @BeforeAll
    static void start() {
        world = ControlPlaneWorld.start(MigrationControlPlaneIT.class, o -> o.withCopyTime(Duration.ofMillis(500)));
        client = world.client();
        kubectl = world.kubectl();
        SandboxFixture.awaitReady(client);
    }

    @AfterAll
    static void stop() {
        if (world == null) {
            return;
        }
        try {
            InvariantChecker checker = new InvariantChecker(world.sandbox(), Duration.ofSeconds(5));
            await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> assertThat(checker.violations()).isEmpty());
        } finally {
            world.close();
        }
    }

    @Test
    @Order(1)
    void aMigrationFromHv1ToHv2Succeeds() {
        create(client, "move-vm-01", "vm-01", "hv2");
        SriovMigration done = awaitTerminal(client, "move-vm-01", Duration.ofSeconds(60));
        var s = done.getStatus();
        assertThat(s.phase).as(s.message).isEqualTo(MigrationPhase.Succeeded);
        assertThat(s.phaseTimestamps).extracting(p -> p.phase).containsExactlyElementsOf(SandboxFixture.EVERY_PHASE);
        assertThat(s.sourceNode).isEqualTo("hv1");
        assertThat(s.targetNode).isEqualTo("hv2");
        assertThat(world.sandbox().host("hv1").domain("vm-01")).isEmpty();
        assertThat(TeamingXml.inspect(world.sandbox().host("hv2").domain("vm-01").orElseThrow().xml())
                .primaryPciAddress()).isEqualTo(s.targetVf);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            var entry = Ledgers.find(client, "hv2", s.targetVf).orElseThrow();
            assertThat(entry.state()).isEqualTo(VfLedger.State.Allocated);
            assertThat(entry.vm()).isEqualTo("vm-01");
        });
    }

    @Test
    @Order(2)
    void aMigrationWithoutATargetGoesWherePlacementSays() {
        create(client, "move-vm-03", "vm-03", null);
        SriovMigration done = awaitTerminal(client, "move-vm-03", Duration.ofSeconds(60));
        assertThat(done.getStatus().phase).as(done.getStatus().message).isEqualTo(MigrationPhase.Succeeded);
        assertThat(done.getSpec().targetNode).isNull();
        assertThat(done.getStatus().sourceNode).isEqualTo("hv2");
        assertThat(done.getStatus().targetNode).isEqualTo("hv1");
        assertThat(world.sandbox().host("hv1").isRunning("vm-03")).isTrue();
    }

    @Test
    @Order(3)
    void aDryRunChecksEverythingAndMovesNothing() {
        String before = world.sandbox().host("hv1").domain("vm-02").orElseThrow().xml();
        create(client, "dry-vm-02", "vm-02", "hv2", spec -> spec.dryRun = true);
        SriovMigration done = awaitTerminal(client, "dry-vm-02", Duration.ofSeconds(60));
        assertThat(done.getStatus().phase).as(done.getStatus().message).isEqualTo(MigrationPhase.Succeeded);
        assertThat(done.getStatus().phaseTimestamps).extracting(p -> p.phase)
                .containsExactly(MigrationPhase.Pending, MigrationPhase.Succeeded);
        assertThat(done.getStatus().conditions).filteredOn(c -> c.getType().startsWith("Preflight"))
                .isNotEmpty().allSatisfy(c -> assertThat(c.getStatus()).as(c.getMessage()).isEqualTo("True"));
        assertThat(world.sandbox().host("hv1").domain("vm-02").orElseThrow().xml()).isEqualTo(before);
        assertThat(world.sandbox().host("hv2").domain("vm-02")).isEmpty();
        assertThat(Ledgers.reservations(client)).isEmpty();
    }

    @Test
    @Order(4)
    void aMigrationOfAVmThatRunsNowhereFailsNamingIt() {
        create(client, "move-vm-ghost", "vm-ghost", "hv2");
        failsNaming("move-vm-ghost", Reasons.VM_NOT_FOUND, "vm-ghost");
    }

    @Test
    @Order(5)
    void aMigrationToANodeThatDoesNotExistFailsNamingIt() {
        create(client, "move-vm-02-hv9", "vm-02", "hv9");
        failsNaming("move-vm-02-hv9", Reasons.TARGET_NOT_FOUND, "hv9");
        assertThat(world.sandbox().host("hv1").isRunning("vm-02")).isTrue();
    }

    /** Bad input, as on the embedded server: Failed with the reason, a condition and a Warning Event naming it. */
    private static void failsNaming(String name, String reason, String named) {
        SriovMigration done = awaitTerminal(client, name, Duration.ofSeconds(60));
        assertThat(done.getStatus().phase).isEqualTo(MigrationPhase.Failed);
        assertThat(done.getStatus().failureReason).isEqualTo(reason);
        assertThat(done.getStatus().message).contains(named);
        assertThat(done.getStatus().conditions).anySatisfy(c -> {
            assertThat(c.getStatus()).isEqualTo("False");
            assertThat(c.getReason()).isEqualTo(reason);
            assertThat(c.getMessage()).contains(named);
        });
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(events(name)).anySatisfy(e -> {
            assertThat(e.getType()).isEqualTo("Warning");
            assertThat(e.getReason()).isEqualTo(reason);
            assertThat(e.getMessage()).contains(named);
        }));
    }

    @Test
    @Order(6)
    void serverSideApplyAsFluxDoesMigratesAndReapplyingChangesNothing() throws Exception {
        Path manifest = world.work().resolve("ssa-vm-02.yaml");
        Files.writeString(manifest, """
                apiVersion: sriovlm.io/v1alpha1
                kind: SriovMigration
                metadata:
                  name: ssa-vm-02
                  namespace: default
                spec:
                  vmName: vm-02
                  targetNode: hv2
                  vfPool: pool-a
                """);
        ok(kubectl.run("apply", "--server-side", "--field-manager", "flux", "-f", manifest.toString()));
        SriovMigration done = awaitTerminal(client, "ssa-vm-02", Duration.ofSeconds(60));
        assertThat(done.getStatus().phase).as(done.getStatus().message).isEqualTo(MigrationPhase.Succeeded);
        // The ledger's last write lands after Succeeded; read once it has.
        await().atMost(Duration.ofSeconds(10)).until(() -> Ledgers.find(client, "hv2", done.getStatus().targetVf)
                .map(e -> e.state() == VfLedger.State.Allocated).orElse(false));
        SriovMigration before = SandboxFixture.get(client, "ssa-vm-02");

        Kubectl.Run again = kubectl.run("apply", "--server-side", "--field-manager", "flux", "-f", manifest.toString());
        ok(again);
        assertThat(again.out()).contains("sriovmigration.sriovlm.io/ssa-vm-02 serverside-applied");
        Kubectl.Run diff = kubectl.run("diff", "--server-side", "--field-manager", "flux", "-f", manifest.toString());
        assertThat(diff.rc()).as("kubectl diff finds no difference: " + diff.all()).isZero();
        SriovMigration after = SandboxFixture.get(client, "ssa-vm-02");
        assertThat(after.getMetadata().getResourceVersion()).isEqualTo(before.getMetadata().getResourceVersion());
        assertThat(after.getMetadata().getGeneration()).isEqualTo(before.getMetadata().getGeneration());
        assertThat(after.getStatus().phase).isEqualTo(MigrationPhase.Succeeded);
        assertThat(world.sandbox().host("hv2").isRunning("vm-02")).isTrue();
    }

    @Test
    @Order(7)
    void kubectlWatchShowsThePhasesStreamBy() throws Exception {
        Path out = world.work().resolve("watch.txt");
        Process watch = kubectl.start(out, "get", "sriovmigrations", "-n", "default", "--watch", "--no-headers",
                "-o", "custom-columns=NAME:.metadata.name,PHASE:.status.phase");
        try {
            // The watch lists first: wait until it has printed the objects that exist, then move vm-01 back.
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(Files.readString(out))
                    .contains("move-vm-01"));
            create(client, "back-vm-01", "vm-01", "hv1");
            SriovMigration back = awaitTerminal(client, "back-vm-01", Duration.ofSeconds(60));
            assertThat(back.getStatus().phase).isEqualTo(MigrationPhase.Succeeded);
            assertThat(back.getStatus().phaseTimestamps).extracting(t -> t.phase)
                    .containsExactlyElementsOf(SandboxFixture.EVERY_PHASE);
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(Files.readString(out))
                    .containsPattern("back-vm-01 +Succeeded"));
        } finally {
            watch.destroy();
            watch.waitFor(10, TimeUnit.SECONDS);
        }
        List<String> phases = new ArrayList<>();
        for (String line : Files.readAllLines(out)) {
            String[] cols = line.trim().split("\\s+");
            if (cols.length == 2 && cols[0].equals("back-vm-01")
                    && (phases.isEmpty() || !phases.get(phases.size() - 1).equals(cols[1]))) {
                phases.add(cols[1]);
            }
        }
        List<String> expected = new ArrayList<>(List.of("<none>")); // as created, before the operator's first write
        // Scheduling is stamped (above) but never the phase of a stored version: the operator writes an admission
        // as Pending -> Scheduling -> Preparing at once (docs/decisions/024-admission-writes-under-the-lock.md).
        SandboxFixture.EVERY_PHASE.stream().filter(p -> p != MigrationPhase.Scheduling)
                .forEach(p -> expected.add(p.name()));
        assertThat(phases).as(Files.readString(out)).isEqualTo(expected);
    }

    @Test
    @Order(8)
    void kubectlWaitExplainAndDescribeWork() throws Exception {
        ok(kubectl.run("wait", "--for=jsonpath={.status.phase}=Succeeded", "--timeout=30s",
                "sriovmigration/move-vm-01", "-n", "default"));
        Kubectl.Run explain = kubectl.run("explain", "sriovmigration.spec.vfHandoff");
        ok(explain);
        assertThat(explain.out()).contains("Explicit").contains("Automatic");
        Kubectl.Run describe = kubectl.run("describe", "sriovmigration", "move-vm-01", "-n", "default");
        ok(describe);
        assertThat(describe.out()).contains("Succeeded").contains("Events:").contains("FastPathRestored");
    }

    @Test
    @Order(9)
    void theApiServerRefusesWhatTheSchemaAndItsCelRuleForbidWithItsOwnMessage() throws Exception {
        assertRefused("bad-handoff", "vfHandoff: Sideways", "spec.vfHandoff: Unsupported value: \"Sideways\"",
                "supported values: \"Automatic\", \"Explicit\"");
        assertRefused("bad-copy", "options:\n    copyStorage: everything",
                "spec.options.copyStorage: Unsupported value: \"everything\"",
                "supported values: \"all\", \"incremental\", \"none\"");
        assertRefused("bad-method", "method: Teleport", "spec.method: Unsupported value: \"Teleport\"",
                "supported values: \"Auto\", \"Failover\", \"VfState\"");

        Kubectl.Run frozen = kubectl.run("patch", "sriovmigration", "move-vm-01", "-n", "default", "--type=merge",
                "-p", "{\"spec\":{\"vmName\":\"vm-02\"}}");
        assertThat(frozen.rc()).isNotZero();
        assertThat(frozen.err()).contains("spec is immutable once the migration has started");
        assertThat(SandboxFixture.get(client, "move-vm-01").getSpec().vmName).isEqualTo("vm-01");
    }

    /** kubectl apply of a SriovMigration of vm-02 with these extra spec lines fails with the API server's words. */
    private void assertRefused(String name, String specLines, String... messages) throws Exception {
        Path bad = world.work().resolve(name + ".yaml");
        Files.writeString(bad, """
                apiVersion: sriovlm.io/v1alpha1
                kind: SriovMigration
                metadata:
                  name: %s
                  namespace: default
                spec:
                  vmName: vm-02
                """.formatted(name) + "  " + specLines + "\n");
        Kubectl.Run refused = kubectl.run("apply", "-f", bad.toString());
        assertThat(refused.rc()).isNotZero();
        assertThat(refused.err()).contains(messages);
        assertThat(SandboxFixture.get(client, name)).isNull();
    }

    @Test
    @Order(10)
    void theAgentOfOneNodeCannotWriteAnotherNodesNicStatus() {
        try (KubernetesClient hv2Agent = world.api().agentKubeconfig("hv2").client()) {
            // Its own node's NIC: allowed (what its reporter does when the host's setup changes).
            assertThat(refusalOf(() -> hv2Agent.resources(HypervisorNic.class).withName("hv2-ens2").get(),
                    own -> hv2Agent.resource(own).updateStatus())).isNull();

            assertThat(refusalOf(() -> hv2Agent.resources(HypervisorNic.class).withName("hv1-ens2").get(), other -> {
                other.getStatus().lastSyncError = "forged by the agent of hv2";
                hv2Agent.resource(other).updateStatus();
            })).isInstanceOfSatisfying(KubernetesClientException.class, e -> {
                        assertThat(e.getCode()).isEqualTo(403);
                        assertThat(e.getMessage()).contains("ValidatingAdmissionPolicy 'sriovlm-agent-own-node'")
                        .contains("agent of node hv2 may not write the status of the HypervisorNic of another node");
            });
        }
        assertThat(client.resources(HypervisorNic.class).withName("hv1-ens2").get().getStatus().lastSyncError)
                .isNotEqualTo("forged by the agent of hv2");
        theAgentOfOneNodeRenewsOnlyItsOwnHeartbeatLease();
        theAgentOfOneNodeWritesOnlyItsOwnVmInventory();
        // A token of the agents' ServiceAccount that names no node (not bound to an agent pod): the policy's message.
        try (KubernetesClient unbound = world.api().unboundAgentKubeconfig().client()) {
            assertThat(refusalOf(() -> unbound.resources(HypervisorNic.class).withName("hv2-ens2").get(),
                    own -> unbound.resource(own).updateStatus()))
                    .isInstanceOfSatisfying(KubernetesClientException.class, e -> {
                        assertThat(e.getCode()).isEqualTo(403);
                        assertThat(e.getMessage()).contains("the agent's token names no node");
                    });
        }
    }

    /** RBAC grants the agents create on VmInventories and update of their status; the policy narrows it to their own. */
    private void theAgentOfOneNodeWritesOnlyItsOwnVmInventory() {
        try (KubernetesClient hv2Agent = world.api().agentKubeconfig("hv2").client()) {
            // Its own node's inventory: allowed (what its reporter does when a VM moves).
            assertThat(hv2Agent.resources(VmInventory.class).withName("hv2-ens2").get().getSpec().nodeName)
                    .isEqualTo("hv2");
            assertThat(refusalOf(() -> hv2Agent.resources(VmInventory.class).withName("hv2-ens2").get(),
                    own -> hv2Agent.resource(own).updateStatus())).isNull();

            assertThat(refusalOf(() -> hv2Agent.resources(VmInventory.class).withName("hv1-ens2").get(), other -> {
                other.getStatus().vms.clear();
                hv2Agent.resource(other).updateStatus();
            })).isInstanceOfSatisfying(KubernetesClientException.class, e -> {
                assertThat(e.getCode()).isEqualTo(403);
                assertThat(e.getMessage()).contains("ValidatingAdmissionPolicy 'sriovlm-agent-own-node'")
                        .contains("agent of node hv2 may only write the VmInventory of its own node");
            });
            // Nor create one for another node, which that node's agent would then report into.
            VmInventory forged = new VmInventory();
            forged.getMetadata().setName("hv9-ens2");
            forged.getMetadata().setLabels(java.util.Map.of(io.sriovlm.api.v1alpha1.Labels.NODE, "hv9"));
            forged.getSpec().nodeName = "hv9";
            forged.getSpec().nic = "hv9-ens2";
            assertThatThrownBy(() -> hv2Agent.resource(forged).create())
                    .isInstanceOfSatisfying(KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(403));
        }
        assertThat(client.resources(VmInventory.class).withName("hv1-ens2").get().getStatus().vms).isNotEmpty();
        assertThat(client.resources(VmInventory.class).withName("hv9-ens2").get()).isNull();
    }

    @Test
    @Order(13)
    void aVmInventoryGoesWithItsHypervisorNicAndItsSpecCannotChange() {
        HypervisorNic nic = new HypervisorNic();
        nic.getMetadata().setName("hv9-ens2");
        nic.getSpec().nodeName = "hv9";
        nic.getSpec().pf = new io.sriovlm.api.v1alpha1.HypervisorNicSpec.PhysicalFunction();
        nic.getSpec().pf.name = "ens2";
        HypervisorNic created = client.resource(nic).create();
        // As the agent of hv9 would create it (there is none in this world).
        VmInventory inventory = client.resource(VmInventory.of(created)).create();
        inventory.getSpec().nodeName = "hv1";
        assertThatThrownBy(() -> client.resource(inventory).update())
                .isInstanceOfSatisfying(KubernetesClientException.class, e -> {
                    assertThat(e.getCode()).isEqualTo(422);
                    assertThat(e.getMessage()).contains("spec is immutable");
                });
        client.resource(created).delete();
        // kube-controller-manager's garbage collector follows the owner reference.
        await().atMost(Duration.ofSeconds(60)).until(() -> client.resources(VmInventory.class).withName("hv9-ens2")
                .get() == null);
    }

    /** RBAC grants the agents leases in sriovlm's namespace; the admission policy narrows it to their own. */
    private void theAgentOfOneNodeRenewsOnlyItsOwnHeartbeatLease() {
        String namespace = Sandbox.OPERATOR_NAMESPACE;
        // A node's Lease exists from its agent's first heartbeat that found nothing new to report.
        await().atMost(Duration.ofSeconds(30)).until(() -> List.of("hv1", "hv2").stream().allMatch(node -> client
                .leases().inNamespace(namespace).withName(HeartbeatLeases.nameFor(node)).get() != null));
        // Its renewals pass RBAC and the admission policy with the annotation naming the status they vouch for.
        Lease first = client.leases().inNamespace(namespace).withName(HeartbeatLeases.nameFor("hv1")).get();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            Lease renewed = client.leases().inNamespace(namespace).withName(HeartbeatLeases.nameFor("hv1")).get();
            assertThat(renewed.getSpec().getRenewTime()).isAfter(first.getSpec().getRenewTime());
            assertThat(renewed.getMetadata().getAnnotations()).containsKey(HeartbeatLeases.VOUCHES_FOR);
        });
        // The operator's leader-election Lease (this world's operator may run without leader election: made here).
        boolean madeLeaderLease = client.leases().inNamespace(namespace).withName(Sandbox.LEASE).get() == null;
        if (madeLeaderLease) {
            client.resource(new io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder().withNewMetadata()
                    .withName(Sandbox.LEASE).withNamespace(namespace).endMetadata().withNewSpec()
                    .withHolderIdentity("operator-0").endSpec().build()).create();
        }
        try (KubernetesClient hv2Agent = world.api().agentKubeconfig("hv2").client()) {
            // Its own node's Lease: allowed (what its reporter does at each quiet heartbeat).
            assertThat(refusalOf(() -> hv2Agent.leases().inNamespace(namespace)
                    .withName(HeartbeatLeases.nameFor("hv2")).get(), own -> hv2Agent.resource(own).update())).isNull();
            for (String other : List.of(HeartbeatLeases.nameFor("hv1"), Sandbox.LEASE)) {
                assertThat(refusalOf(() -> client.leases().inNamespace(namespace).withName(other).get(), lease -> {
                    lease.getSpec().setHolderIdentity("hv2");
                    hv2Agent.resource(lease).update();
                })).as(other).isInstanceOfSatisfying(KubernetesClientException.class, e -> {
                    assertThat(e.getCode()).isEqualTo(403);
                    assertThat(e.getMessage()).contains("ValidatingAdmissionPolicy 'sriovlm-agent-own-node'")
                            .contains("agent of node hv2 may only write its own heartbeat Lease sriovlm-agent-hv2");
                });
            }
            // Nor may it create a heartbeat for a node that is not its own.
            Lease forged = new io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder().withNewMetadata()
                    .withName(HeartbeatLeases.nameFor("hv9")).withNamespace(namespace)
                    .addToLabels(io.sriovlm.api.v1alpha1.Labels.NODE, "hv9").endMetadata().build();
            assertThatThrownBy(() -> hv2Agent.resource(forged).create())
                    .isInstanceOfSatisfying(KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(403));
        }
        assertThat(client.leases().inNamespace(namespace).withName(HeartbeatLeases.nameFor("hv1")).get().getSpec()
                .getHolderIdentity()).isEqualTo("hv1");
        if (madeLeaderLease) {
            client.leases().inNamespace(namespace).withName(Sandbox.LEASE).delete();
        }
    }

    @Test
    @Order(11)
    void conflictsErrorsAndDroppedWatchesFromTheFaultProxyAreRiddenOut() throws Exception {
        ApiFaults faults = world.sandbox().api().faults();
        int before = faults.injected();
        int watches = faults.openWatches("sriovmigrations");
        assertThat(watches).as("the product's informers watch through the proxy").isPositive();
        // JOSDK adds its finalizer with a patch: on a 409 it re-reads the migration (RBAC: get) and patches again.
        faults.add(ApiFaults.Rule.times("patch", "sriovmigrations", "", 409, 1));
        faults.add(ApiFaults.Rule.times("update", "sriovmigrations", "status", 500, 2));
        try (PhaseTrigger dropped = PhaseTrigger.on(world.sandbox(), "default", "faulty-vm-01",
                MigrationPhase.Migrating, () -> java.util.concurrent.CompletableFuture.runAsync(
                        () -> faults.dropWatches(null)))) {
            create(client, "faulty-vm-01", "vm-01", "hv2");
            SriovMigration done = awaitTerminal(client, "faulty-vm-01", Duration.ofSeconds(60));
            assertThat(done.getStatus().phase).as(done.getStatus().message).isEqualTo(MigrationPhase.Succeeded);
            assertThat(dropped.fired()).isTrue();
        }
        assertThat(faults.injected() - before).isEqualTo(3);
        await().atMost(Duration.ofSeconds(20)).until(() -> faults.openWatches("sriovmigrations") >= watches);
        assertThat(world.sandbox().host("hv2").isRunning("vm-01")).isTrue();
    }

    @Test
    @Order(12)
    void aFinishedMigrationGoesWhenItsTtlRunsOutAndTheTtlMayChangeAfterItFinished() throws Exception {
        create(client, "ttl-vm-02", "vm-02", null, spec -> {
            spec.dryRun = true;
            spec.ttlSecondsAfterFinished = 3600;
        });
        SriovMigration done = awaitTerminal(client, "ttl-vm-02", Duration.ofSeconds(60));
        assertThat(done.getStatus().phase).as(done.getStatus().message).isEqualTo(MigrationPhase.Succeeded);
        // Like a Job's, the TTL stays mutable after the start: the CEL rule that freezes the spec lets it through.
        ok(kubectl.run("patch", "sriovmigration", "ttl-vm-02", "-n", "default", "--type", "merge", "-p",
                "{\"spec\":{\"ttlSecondsAfterFinished\":1}}"));
        // The operator deletes it (the ClusterRole's delete on sriovmigrations, used here in a user's namespace).
        await().atMost(Duration.ofSeconds(20)).until(() -> SandboxFixture.get(client, "ttl-vm-02") == null);
    }

    private static List<Event> events(String migration) {
        return client.v1().events().inNamespace("default").list().getItems().stream()
                .filter(e -> migration.equals(e.getInvolvedObject().getName())).toList();
    }

    private static void ok(Kubectl.Run run) {
        assertThat(run.rc()).as(run.all()).isZero();
    }
}
