package io.sriovlm.sandbox;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sriovlm.api.v1alpha1.MigrationPhase;
import io.sriovlm.api.v1alpha1.SriovMigration;
import io.sriovlm.agent.libvirt.TeamingXml;
import io.sriovlm.api.v1alpha1.VfClaim;
import io.sriovlm.api.v1alpha1.VfClaimSpec;
import io.sriovlm.api.v1alpha1.VfPoolStatus;
import io.sriovlm.common.Conditions;
import io.sriovlm.api.v1alpha1.ConditionTypes;
import io.sriovlm.operator.OperatorConfig;
import io.sriovlm.operator.phases.ClusterView;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Sandbox tier: 100 migrations with no target compete for 10 free VFs. Under the paired-VF rule (decision 003) a VM
 * on SF netdev methK can only land on VF K of another node, so the world is 11 nodes with VFs 0..9 each: for every
 * index K, ten VMs on ten nodes use methK/VF K and one slot is free (K 0-3 on hv1, 4-6 on hv2, 7-9 on hv3). Ten
 * VMs contend for each free VF; when one moves, the VF it left becomes the next free one of its index. So at most
 * ten migrations can run at once, and every one of the 100 can finish, one after another per index. A second run
 * moves three VMs per index under a cluster limit of three migrations.
 */
@Tag("sandbox")
class LedgerConcurrencySandboxTest {
    static final int NODES = 11;
    static final int INDICES = 10;

    @TempDir
    Path work;

    static String freeNodeOf(int k) {
        return k < 4 ? "hv1" : k < 7 ? "hv2" : "hv3";
    }

    @Test
    @Timeout(value = 330, unit = TimeUnit.SECONDS)
    void aHundredMigrationsShareTenVfsWithoutEverHoldingOneTwice() throws Exception {
        Run run = run(new OperatorConfig(100, 100, 100, Duration.ofSeconds(30)), 10);
        assertThat(run.maxInFlight()).as("most migrations in flight at once").isLessThanOrEqualTo(10).isGreaterThan(1);
        // Contention really happened: with claims (a create per reservation, not a pool rewrite) a VF frees up
        // sooner, so fewer wait than the ~90 an instantaneous burst would make wait: 44 did in a measured run,
        // 20 in a faster one (the operator's informers sharing their objects). Ten VFs for 100 migrations: at
        // least ten waiting shows it.
        assertThat(run.waited()).as("migrations that waited in Pending for a VF or a slot")
                .hasSizeGreaterThanOrEqualTo(10);
        assertThat(run.claimEvents()).as("VfClaim events checked (a reservation, a hand-over, a release each)")
                .isGreaterThanOrEqualTo(300);
    }

    /**
     * The same world with the cluster limit below the ten free VFs: admissions decided one right after another (each
     * counts the ones decided before it whose writes have not landed yet, decision 025) never hold more slots than
     * the limit.
     */
    @Test
    @Timeout(value = 330, unit = TimeUnit.SECONDS)
    void admissionsDecidedAtOnceNeverExceedTheClusterLimit() throws Exception {
        Run run = run(new OperatorConfig(3, 100, 100, Duration.ofSeconds(30)), 3);
        assertThat(run.maxHoldingSlots()).as("most migrations holding a slot at once").isLessThanOrEqualTo(3)
                .isGreaterThan(1);
        assertThat(run.waitedForSlot()).as("migrations that waited in Pending for a slot")
                .hasSizeGreaterThanOrEqualTo(3);
    }

    /**
     * What a run showed: the most migrations in flight before RestoringFastPath (competing for the ten VFs), the most
     * holding a slot of the cluster limit, the migrations that waited in Pending (for a VF or a slot; for a slot).
     */
    record Run(int maxInFlight, int maxHoldingSlots, Set<String> waited, Set<String> waitedForSlot,
            int claimEvents) {
    }

    /**
     * Creates the first {@code vmsPerIndex} VMs of each VF index's migrations (all at once, from parallel threads),
     * checks every VfClaim event as it comes, waits until all have succeeded and every claim is gone, and checks each
     * VM runs on the node its migration chose.
     */
    private Run run(OperatorConfig config, int vmsPerIndex) throws Exception {
        List<String> nodes = new ArrayList<>();
        Map<String, Map<String, Integer>> vms = new LinkedHashMap<>();
        for (int n = 1; n <= NODES; n++) {
            nodes.add("hv" + n);
            vms.put("hv" + n, new LinkedHashMap<>());
        }
        List<String> vmNames = new ArrayList<>();
        for (int k = 0; k < INDICES; k++) {
            int moving = 0;
            for (String node : nodes) {
                if (!node.equals(freeNodeOf(k))) {
                    String vm = "vm-" + k + "-" + node;
                    vms.get(node).put(vm, k);
                    if (moving++ < vmsPerIndex) {
                        vmNames.add(vm);
                    }
                }
            }
        }
        assertThat(vmNames).hasSize(INDICES * vmsPerIndex);
        int expected = vmNames.size();
        Sandbox.Options options = Sandbox.Options.defaults(work).withCopyTime(Duration.ofMillis(20))
                .withHeartbeat(Duration.ofSeconds(3))
                .withOperatorConfig(config)
                .withWorld(nodes, INDICES, vms);
        try (Sandbox sandbox = Sandbox.start(options, new SimpleMeterRegistry())) {
            KubernetesClient client = sandbox.client();
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> {
                VfPoolStatus p = SandboxFixture.pool(client);
                return p != null && p.totalVfs != null && p.totalVfs == NODES * INDICES && p.freeVfs == 10;
            });

            List<String> violations = new CopyOnWriteArrayList<>();
            AtomicInteger claimEvents = new AtomicInteger();
            AtomicInteger maxReserved = new AtomicInteger();
            ClaimHistory history = new ClaimHistory(sandbox, violations, maxReserved);
            Watch claimWatch = client.resources(VfClaim.class).watch(new Watcher<>() {
                @Override
                public void eventReceived(Action action, VfClaim claim) {
                    claimEvents.incrementAndGet();
                    history.record(action, claim);
                }

                @Override
                public void onClose(WatcherException cause) {
                    violations.add("VfClaim watch closed: " + cause);
                }
            });
            Map<String, MigrationPhase> phases = new ConcurrentHashMap<>();
            Set<String> waitedOnPool = ConcurrentHashMap.newKeySet();
            Set<String> waitedForSlot = ConcurrentHashMap.newKeySet();
            AtomicInteger maxInFlight = new AtomicInteger();
            AtomicInteger maxHoldingSlots = new AtomicInteger();
            Watch migrationWatch = client.resources(SriovMigration.class).inNamespace("default").watch(new Watcher<>() {
                @Override
                public synchronized void eventReceived(Action action, SriovMigration m) {
                    if (m.getStatus() == null || m.getStatus().phase == null) {
                        return;
                    }
                    phases.put(m.getMetadata().getName(), m.getStatus().phase);
                    if (Set.of(MigrationPhase.Failed, MigrationPhase.RolledBack, MigrationPhase.Cancelled,
                            MigrationPhase.RollingBack).contains(m.getStatus().phase)) {
                        violations.add(m.getMetadata().getName() + " went " + m.getStatus().phase + ": "
                                + m.getStatus().message);
                    }
                    Conditions.find(m.getStatus().conditions, ConditionTypes.SCHEDULED)
                            .filter(c -> "False".equals(c.getStatus()))
                            .filter(c -> "VfPoolExhausted".equals(c.getReason()) || "WaitingForSlot".equals(c.getReason()))
                            .ifPresent(c -> {
                                waitedOnPool.add(m.getMetadata().getName());
                                if ("WaitingForSlot".equals(c.getReason())) {
                                    waitedForSlot.add(m.getMetadata().getName());
                                }
                            });
                    // Once libvirt has moved a VM (RestoringFastPath) the VF it left is free for the next one of its
                    // index: only the migrations before that point compete for the ten.
                    long inFlight = phases.values().stream().filter(p -> p != MigrationPhase.Pending && !p.isTerminal()
                            && p != MigrationPhase.RestoringFastPath).count();
                    maxInFlight.accumulateAndGet((int) inFlight, Math::max);
                    long holdingSlots = phases.values().stream().filter(p -> p != MigrationPhase.Pending
                            && !p.isTerminal()).count();
                    maxHoldingSlots.accumulateAndGet((int) holdingSlots, Math::max);
                }

                @Override
                public void onClose(WatcherException cause) {
                    violations.add("SriovMigration watch closed: " + cause);
                }
            });
            long started = System.nanoTime();
            try {
                vmNames.parallelStream().forEach(vm -> SandboxFixture.create(client, "move-" + vm, vm, null));
                // Generous for a loaded machine: about 10 s on an idle 2-core one.
                await().atMost(Duration.ofSeconds(240)).pollInterval(Duration.ofMillis(250)).until(() ->
                        client.resources(SriovMigration.class).inNamespace("default").list().getItems().stream()
                                .filter(m -> m.getStatus() != null && m.getStatus().phase != null
                                        && m.getStatus().phase.isTerminal()).count() == expected
                                || !violations.isEmpty());
                // Hand-overs follow the Succeeded writes; the hand-over claims go with the next inventories (3 s).
                // The watch must have seen the last deletions too before it closes: a list can be empty while
                // the DELETED event is still on its way.
                await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250)).until(() ->
                        (Ledgers.claims(client).isEmpty() && history.heldNone()) || !violations.isEmpty());
            } finally {
                claimWatch.close();
                migrationWatch.close();
            }
            long seconds = Duration.ofNanos(System.nanoTime() - started).toSeconds();
            assertThat(violations).as("violations").isEmpty();
            List<SriovMigration> all = client.resources(SriovMigration.class).inNamespace("default").list().getItems();
            assertThat(all).hasSize(expected).allSatisfy(m -> assertThat(m.getStatus().phase).as(m.getMetadata()
                    .getName() + ": " + m.getStatus().message).isEqualTo(MigrationPhase.Succeeded));
            // Each VM runs on exactly one node, the one its migration chose, with the VF paired with its SF.
            for (SriovMigration m : all) {
                String vm = m.getSpec().vmName;
                List<String> runsOn = nodes.stream().filter(n -> sandbox.host(n).domain(vm).isPresent()).toList();
                assertThat(runsOn).as(vm).containsExactly(m.getStatus().targetNode);
            }
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(250))
                    .until(() -> SandboxFixture.pool(client).reservedVfs == 0);
            System.out.printf("%d migrations over 10 VFs, cluster limit %d: %d s, %d claim events checked, max %d"
                    + " in flight before RestoringFastPath, max %d holding a slot, max %d VFs reserved, %d waited (%d"
                    + " for a slot)%n", expected, config.maxInFlight(), seconds, claimEvents.get(), maxInFlight.get(),
                    maxHoldingSlots.get(), maxReserved.get(), waitedOnPool.size(), waitedForSlot.size());
            return new Run(maxInFlight.get(), maxHoldingSlots.get(), waitedOnPool, waitedForSlot, claimEvents.get());
        }
    }

    /**
     * Every claim event, in order: a VF is reserved only while no domain has it attached and no claim holds it, a
     * migration never holds two, and a claim changes only from Reserved to
     * HandedOver for the same migration (anything else would hand a VF from one holder to another without freeing it).
     */
    static final class ClaimHistory {
        private final Sandbox sandbox;
        private final List<String> violations;
        private final AtomicInteger maxReserved;
        private final Map<String, VfClaimSpec> current = new HashMap<>();

        ClaimHistory(Sandbox sandbox, List<String> violations, AtomicInteger maxReserved) {
            this.sandbox = sandbox;
            this.violations = violations;
            this.maxReserved = maxReserved;
        }

        synchronized void record(Watcher.Action action, VfClaim claim) {
            String name = claim.getMetadata().getName();
            String rv = claim.getMetadata().getResourceVersion();
            VfClaimSpec now = claim.getSpec();
            VfClaimSpec before = current.get(name);
            switch (action) {
                case ADDED -> {
                    if (before != null) {
                        violations.add("rv " + rv + ": " + name + " reserved by " + now.migration + " while "
                                + before.migration + " holds it");
                    }
                    current.values().stream().filter(c -> c.state == VfClaimSpec.State.Reserved
                            && c.migrationUid.equals(now.migrationUid)).findFirst().ifPresent(other -> violations.add(
                                    "rv " + rv + ": migration " + now.migration + " holds " + other.pciAddress + " and "
                                            + now.pciAddress));
                    attachedElsewhere(now).ifPresent(domain -> violations.add("rv " + rv + ": " + name
                            + " reserved for " + now.vm + " while domain " + domain + " has it attached"));
                    current.put(name, now);
                }
                case MODIFIED -> {
                    boolean handOver = before != null && before.state == VfClaimSpec.State.Reserved
                            && now.state == VfClaimSpec.State.HandedOver
                            && before.migrationUid.equals(now.migrationUid) && before.vm.equals(now.vm);
                    if (!handOver) {
                        violations.add("rv " + rv + ": " + name + " went from " + describe(before) + " to "
                                + describe(now) + " without being free");
                    }
                    current.put(name, now);
                }
                case DELETED -> current.remove(name);
                default -> {
                }
            }
            long reserved = current.values().stream().filter(c -> c.state == VfClaimSpec.State.Reserved).count();
            maxReserved.accumulateAndGet((int) reserved, Math::max);
        }

        /** True once every claim this history saw created it also saw deleted. */
        synchronized boolean heldNone() {
            return current.isEmpty();
        }

        /** A running domain on the claim's node, other than the claim's VM, with the claimed VF attached. */
        private Optional<String> attachedElsewhere(VfClaimSpec claim) {
            return sandbox.host(claim.node).listDomains().stream().filter(d -> d.isRunning())
                    .filter(d -> !d.name().equals(claim.vm))
                    .filter(d -> claim.pciAddress.equals(TeamingXml.inspect(d.xml()).primaryPciAddress()))
                    .map(d -> d.name()).findFirst();
        }

        private static String describe(VfClaimSpec c) {
            return c == null ? "no claim" : c.state + " by " + c.migration + " for " + c.vm;
        }
    }
}
