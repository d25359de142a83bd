package io.sriovlm.operator.phases;

import io.sriovlm.testing.Objects;
import io.fabric8.kubernetes.api.model.Node;
import io.sriovlm.api.v1alpha1.HypervisorNic;
import io.sriovlm.api.v1alpha1.MigrationPhase;
import io.sriovlm.api.v1alpha1.SriovMigration;
import io.sriovlm.api.v1alpha1.SriovMigrationStatus;
import io.sriovlm.api.v1alpha1.ConditionTypes;
import io.sriovlm.api.v1alpha1.Reasons;
import io.sriovlm.statemachine.Transition;
import io.sriovlm.operator.OperatorConfig;
import io.sriovlm.common.Conditions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static io.sriovlm.testing.Objects.NOW;
import static io.sriovlm.testing.Objects.migration;
import static io.sriovlm.testing.Objects.nic;
import static io.sriovlm.testing.Objects.node;
import static io.sriovlm.testing.Objects.pool;
import static io.sriovlm.testing.Objects.vfPci;
import static org.assertj.core.api.Assertions.assertThat;

class PendingHandlerTest {
    private Map<String, HypervisorNic> nics;
    private Map<String, Node> nodes;
    private final List<SriovMigration> migrations = new ArrayList<>();
    private OperatorConfig config = OperatorConfig.defaults();

    @BeforeEach
    void world() {
        nics = new HashMap<>(Map.of("hv1", nic("hv1", Map.of("vm-01", 0, "vm-02", 1)), "hv2", nic("hv2", Map.of("vm-03", 2))));
        nodes = new HashMap<>(Map.of("hv1", node("hv1"), "hv2", node("hv2")));
    }

    private ClusterView view() {
        return io.sriovlm.testing.Objects.view(nics, nodes, List.of(pool("pool-a")), List.of(), migrations, config);
    }

    /** A migration of {@code vm} from {@code source}, in {@code phase}. */
    private static SriovMigration migrationFrom(String name, String vm, MigrationPhase phase, String source) {
        SriovMigration m = migration(name, vm, phase);
        m.getStatus().sourceNode = source;
        return m;
    }

    private SriovMigrationStatus decideAndApply(SriovMigration m) {
        Decision decision = PendingHandler.decide(m, view());
        Transition t = decision.outcome().transition().orElseThrow();
        return t.applyTo(m, NOW).getStatus();
    }

    @Test
    void aValidMigrationResolvesItsSourceAndItsVfAndMovesToScheduling() {
        SriovMigration m = migration("m1", "vm-01", MigrationPhase.Pending);
        SriovMigrationStatus status = decideAndApply(m);
        assertThat(status.phase).isEqualTo(MigrationPhase.Scheduling);
        assertThat(status.sourceNode).isEqualTo("hv1");
        assertThat(status.sourceVf).isEqualTo(vfPci(0));
        assertThat(status.teaming.standbyDevice).isEqualTo("meth0");
        assertThat(Conditions.isTrue(status.conditions, ConditionTypes.VALID)).isTrue();
    }

    @Test
    void admissionReservesTheVfSoThatNoAdmittedMigrationWaitsForOne() {
        SriovMigration m = migration("m1", "vm-01", MigrationPhase.Pending);
        Decision decision = PendingHandler.decide(m, view());
        assertThat(decision.outcome().transition().orElseThrow().to()).isEqualTo(MigrationPhase.Scheduling);
        assertThat(decision.reservation().orElseThrow().node()).isEqualTo("hv2");
        assertThat(decision.reservation().orElseThrow().vfPciAddress()).isEqualTo(vfPci(0));
    }

    @Test
    void aDryRunReportsEachCheckAndReservesNothing() {
        SriovMigration m = migration("m1", "vm-01", MigrationPhase.Pending);
        m.getSpec().dryRun = true;
        Decision decision = PendingHandler.decide(m, view());
        assertThat(decision.reservation()).isEmpty();
        SriovMigrationStatus status = decision.outcome().transition().orElseThrow().applyTo(m, NOW)
                .getStatus();
        // These unit-test NICs publish no SF or bond inventory: the target agent's checks fail, and say so.
        assertThat(status.phase).isEqualTo(MigrationPhase.Failed);
        assertThat(Conditions.find(status.conditions, ConditionTypes.PREFLIGHT_SF_NETDEV).orElseThrow().getMessage())
                .contains("reports no SF netdev meth0");
        for (String check : DryRunHandler.CHECKS) {
            assertThat(Conditions.find(status.conditions, check)).as(check).isPresent();
        }
        assertThat(Conditions.isTrue(status.conditions, ConditionTypes.PREFLIGHT_TARGET)).isTrue();
        assertThat(Conditions.isTrue(status.conditions, ConditionTypes.DRY_RUN)).isTrue();
    }

    /** hv2 publishes the SF netdev and the bond vm-01 needs, so the operator's dry-run checks pass. */
    private void hv2Prepared() {
        var status = nics.get("hv2").getStatus();
        var sf = new io.sriovlm.api.v1alpha1.HypervisorNicStatus.SfStatus();
        sf.netdev = "meth0";
        status.sfs.add(sf);
        var bond = new io.sriovlm.api.v1alpha1.HypervisorNicStatus.BondStatus();
        bond.name = "bond0";
        status.bonds.add(bond);
        onStandby("hv2", "bond0");
    }

    /** The agent of {@code node} reports {@code bond} on its SF representor, as a free VF's bond is. */
    private void onStandby(String node, String bond) {
        var path = new io.sriovlm.api.v1alpha1.VmInventoryStatus.BondPath();
        path.name = bond;
        path.activeSlave = "en6s0f0pf0sf0";
        Objects.running(nics.get(node)).getStatus().bonds.add(path);
    }

    @Test
    void aDryRunTakesAnSfNetdevMadeOutsideSriovlmAsPreparingDoesFromTheBondReport() {
        // No spec.sfs on hv2: the admin made the SF (the runbook's way), so status.sfs is empty; the agent reports
        // whether the bond's SF netdev exists, which is what the target's Preparing step checks.
        var bond = new io.sriovlm.api.v1alpha1.HypervisorNicStatus.BondStatus();
        bond.name = "bond0";
        bond.sfNetdev = "meth0";
        bond.sfNetdevPresent = true;
        nics.get("hv2").getStatus().bonds.add(bond);
        onStandby("hv2", "bond0");
        SriovMigration m = migration("m1", "vm-01", MigrationPhase.Pending);
        m.getSpec().dryRun = true;
        SriovMigrationStatus asking = decideAndApply(m);
        assertThat(asking.phase).as("the operator's checks, SF netdev included, passed").isEqualTo(MigrationPhase.Pending);
        assertThat(asking.message).contains("operator checks passed");

        bond.sfNetdevPresent = false;
        SriovMigration again = migration("m2", "vm-01", MigrationPhase.Pending);
        again.getSpec().dryRun = true;
        SriovMigrationStatus failed = decideAndApply(again);
        assertThat(failed.phase).isEqualTo(MigrationPhase.Failed);
        var missing = Conditions.find(failed.conditions, ConditionTypes.PREFLIGHT_SF_NETDEV).orElseThrow();
        assertThat(missing.getStatus()).isEqualTo(Conditions.FALSE);
        assertThat(missing.getMessage()).contains("reports no SF netdev meth0");
    }

    @Test
    void aTargetWithoutTlsIsRefusedUnlessTheSpecTurnsTlsOffAndAHostileUriAlways() {
        nics.get("hv2").getStatus().migrationUri = "qemu+tcp://hv2/system";
        SriovMigrationStatus refused = decideAndApply(migration("m1", "vm-01", MigrationPhase.Pending));
        assertThat(refused.phase).isEqualTo(MigrationPhase.Failed);
        assertThat(refused.failureReason).isEqualTo(Reasons.TRANSPORT_REFUSED);
        assertThat(refused.message).contains("target hv2", "qemu+tcp://hv2/system", "spec.options.tls: false");

        SriovMigration plain = migration("m2", "vm-01", MigrationPhase.Pending);
        plain.getSpec().options = new io.sriovlm.api.v1alpha1.MigrationOptions();
        plain.getSpec().options.tls = false;
        assertThat(decideAndApply(plain).phase).isEqualTo(MigrationPhase.Scheduling);

        nics.get("hv2").getStatus().migrationUri = "qemu+ext:///system?command=/bin/sh";
        SriovMigrationStatus hostile = decideAndApply(plain);
        assertThat(hostile.phase).isEqualTo(MigrationPhase.Failed);
        assertThat(hostile.failureReason).isEqualTo(Reasons.TRANSPORT_REFUSED);
        assertThat(hostile.message).contains("not one sriovlm opens");
    }

    @Test
    void aDryRunReportsATransportTheTargetCannotOffer() {
        hv2Prepared();
        nics.get("hv2").getStatus().migrationUri = "qemu+tcp://hv2/system";
        SriovMigration m = migration("m1", "vm-01", MigrationPhase.Pending);
        m.getSpec().dryRun = true;
        SriovMigrationStatus status = decideAndApply(m);
        assertThat(status.phase).isEqualTo(MigrationPhase.Failed);
        var libvirt = Conditions.find(status.conditions, ConditionTypes.PREFLIGHT_LIBVIRT).orElseThrow();
        assertThat(libvirt.getStatus()).isEqualTo("False");
        assertThat(libvirt.getReason()).isEqualTo(Reasons.TRANSPORT_REFUSED);
    }

    @Test
    void aDryRunWhoseOperatorChecksPassAsksTheSourceAgentAndStaysPending() {
        hv2Prepared();
        SriovMigration m = migration("m1", "vm-01", MigrationPhase.Pending);
        m.getSpec().dryRun = true;
        SriovMigrationStatus status = decideAndApply(m);
        assertThat(status.phase).isEqualTo(MigrationPhase.Pending);
        assertThat(status.sourceNode).isEqualTo("hv1");
        assertThat(status.targetNode).isNull();
        assertThat(status.targetMigrationUri).isEqualTo("qemu+tls://hv2/system");
        var asked = Conditions.find(status.conditions, ConditionTypes.PREFLIGHT_LIBVIRT).orElseThrow();
        assertThat(asked.getStatus()).isEqualTo("Unknown");
        assertThat(asked.getReason()).isEqualTo(Reasons.CHECKING);

        // Asked again before the answer: nothing to write, look again soon.
        m.setStatus(status);
        assertThat(PendingHandler.decide(m, view()).outcome().transition()).isEmpty();

        // The source agent's answer ends the dry run with it.
        Conditions.set(status.conditions, ConditionTypes.PREFLIGHT_LIBVIRT, "False", Reasons.LIBVIRT_UNREACHABLE,
                "libvirt on hv1 cannot open qemu+tls://hv2/system: No route to host", 1L, NOW);
        SriovMigrationStatus done = decideAndApply(m);
        assertThat(done.phase).isEqualTo(MigrationPhase.Failed);
        assertThat(done.failureReason).isEqualTo(Reasons.PREFLIGHT_FAILED);
        assertThat(Conditions.find(done.conditions, ConditionTypes.PREFLIGHT_LIBVIRT).orElseThrow().getMessage())
                .contains("No route to host");
    }

    @Test
    void aDryRunWhoseSourceAgentDoesNotAnswerEndsWithThatCheckUnknownAfterTheStepTimeout() {
        hv2Prepared();
        SriovMigration m = migration("m1", "vm-01", MigrationPhase.Pending);
        m.getSpec().dryRun = true;
        m.setStatus(decideAndApply(m));
        // Asked a step timeout ago (default) and more.
        Conditions.find(m.getStatus().conditions, ConditionTypes.PREFLIGHT_LIBVIRT).orElseThrow().setLastTransitionTime(
                io.sriovlm.common.Timestamps.format(NOW.minusSeconds(
                        m.getSpec().optionsOrDefaults().stepTimeoutSecondsOrDefault() + 1)));
        SriovMigrationStatus done = decideAndApply(m);
        assertThat(done.phase).isEqualTo(MigrationPhase.Succeeded);
        var libvirt = Conditions.find(done.conditions, ConditionTypes.PREFLIGHT_LIBVIRT).orElseThrow();
        assertThat(libvirt.getStatus()).isEqualTo("Unknown");
        assertThat(libvirt.getReason()).isEqualTo(Reasons.NO_ANSWER);
        assertThat(libvirt.getMessage()).contains("agent of hv1");
        // These unit-test NICs do not report the guests' failover either: also not verified, and said so.
        assertThat(done.message).contains("(not verified: " + ConditionTypes.PREFLIGHT_GUEST_FAILOVER + ", "
                + ConditionTypes.PREFLIGHT_CPU + ", " + ConditionTypes.PREFLIGHT_LIBVIRT + ")");
        assertThat(Conditions.find(done.conditions, ConditionTypes.PREFLIGHT_CPU).orElseThrow().getReason())
                .isEqualTo(Reasons.NO_ANSWER);
    }

    @Test
    void aDryRunOfAMissingVmFailsThatCheckAndSkipsTheOnesThatDependOnIt() {
        SriovMigration m = migration("m1", "vm-77", MigrationPhase.Pending);
        m.getSpec().dryRun = true;
        SriovMigrationStatus status = decideAndApply(m);
        assertThat(status.phase).isEqualTo(MigrationPhase.Failed);
        assertThat(status.failureReason).isEqualTo(Reasons.PREFLIGHT_FAILED);
        assertThat(Conditions.find(status.conditions, ConditionTypes.PREFLIGHT_SOURCE).orElseThrow().getStatus())
                .isEqualTo("False");
        assertThat(Conditions.find(status.conditions, ConditionTypes.PREFLIGHT_TARGET).orElseThrow().getStatus())
                .isEqualTo("Unknown");
        assertThat(Conditions.find(status.conditions, ConditionTypes.PREFLIGHT_POOL).orElseThrow().getStatus())
                .isEqualTo("True");
    }

    @Test
    void aVmNoAgentReportsFailsWithItsNameAndTheNodesChecked() {
        SriovMigrationStatus status = decideAndApply(migration("m1", "vm-77", MigrationPhase.Pending));
        assertThat(status.phase).isEqualTo(MigrationPhase.Failed);
        assertThat(status.failureReason).isEqualTo(Reasons.VM_NOT_FOUND);
        assertThat(status.message).contains("vm-77").contains("hv1, hv2");
        assertThat(Conditions.find(status.conditions, ConditionTypes.VALID).orElseThrow().getStatus()).isEqualTo("False");
    }

    @Test
    void onABigFleetTheNodesCheckedAreNamedFirstFewThenCounted() {
        for (int n = 3; n <= 1000; n++) {
            String node = String.format("hv%04d", n);
            nics.put(node, nic(node, Map.of()));
            nodes.put(node, node(node));
        }
        SriovMigrationStatus status = decideAndApply(migration("m1", "vm-77", MigrationPhase.Pending));
        assertThat(status.failureReason).isEqualTo(Reasons.VM_NOT_FOUND);
        assertThat(status.message).contains("and 995 more node(s)").hasSizeLessThan(300);
    }

    @Test
    void aWrongSourceNodeSaysWhereTheVmRuns() {
        SriovMigration m = migration("m1", "vm-03", MigrationPhase.Pending);
        m.getSpec().sourceNode = "hv1";
        SriovMigrationStatus status = decideAndApply(m);
        assertThat(status.failureReason).isEqualTo(Reasons.VM_NOT_FOUND);
        assertThat(status.message).contains("it runs on hv2");
    }

    @Test
    void brokenTeamingFailsWithTheAgentsProblems() {
        var vm = Objects.running(nics.get("hv1")).getStatus().vms.get(0);
        vm.teamingValid = false;
        vm.problems = List.of("MAC mismatch: persistent ua-net0 has 52:54:00:00:00:00, transient has 52:54:00:aa:aa:aa");
        SriovMigrationStatus status = decideAndApply(migration("m1", vm.name, MigrationPhase.Pending));
        assertThat(status.failureReason).isEqualTo(Reasons.TEAMING_INVALID);
        assertThat(status.message).contains("MAC mismatch");
    }

    @Test
    void sourceEqualToTargetIsRefused() {
        SriovMigration m = migration("m1", "vm-01", MigrationPhase.Pending);
        m.getSpec().targetNode = "hv1";
        assertThat(decideAndApply(m).failureReason).isEqualTo(Reasons.SOURCE_IS_TARGET);
    }

    @Test
    void anUnknownTargetIsRefusedAndANotReadyOneIsWaitedFor() {
        SriovMigration m = migration("m1", "vm-01", MigrationPhase.Pending);
        m.getSpec().targetNode = "hv9";
        assertThat(decideAndApply(m).failureReason).isEqualTo(Reasons.TARGET_NOT_FOUND);

        m.getSpec().targetNode = "hv2";
        Objects.lastReported(nics.get("hv2"), NOW.minusSeconds(300));
        Decision decision = PendingHandler.decide(m, view());
        assertThat(decision.outcome().recheckAfter()).isPresent();
        SriovMigrationStatus status = decision.outcome().transition().orElseThrow().applyTo(m, NOW).getStatus();
        assertThat(status.phase).isEqualTo(MigrationPhase.Pending);
        var scheduled = Conditions.find(status.conditions, ConditionTypes.SCHEDULED).orElseThrow();
        assertThat(scheduled.getReason()).isEqualTo(Reasons.TARGET_NOT_READY);
        assertThat(scheduled.getMessage()).contains("hv2").contains("waits");
    }

    @Test
    void aSecondMigrationOfTheSameVmIsRefusedNamingTheFirst() {
        SriovMigration first = migrationFrom("first", "vm-01", MigrationPhase.Migrating, "hv1");
        migrations.add(first);
        SriovMigration second = migration("second", "vm-01", MigrationPhase.Pending);
        migrations.add(second);
        SriovMigrationStatus status = decideAndApply(second);
        assertThat(status.failureReason).isEqualTo(Reasons.ALREADY_MIGRATING);
        assertThat(status.message).contains("default/first");
    }

    @Test
    void ofTwoPendingMigrationsOfOneVmTheOlderGoesFirst() {
        SriovMigration older = migration("older", "vm-01", MigrationPhase.Pending);
        SriovMigration newer = migration("newer", "vm-01", MigrationPhase.Pending);
        newer.getMetadata().setCreationTimestamp(io.sriovlm.common.Timestamps.format(NOW));
        migrations.addAll(List.of(older, newer));
        assertThat(decideAndApply(older).phase).isEqualTo(MigrationPhase.Scheduling);
        assertThat(decideAndApply(newer).failureReason).isEqualTo(Reasons.ALREADY_MIGRATING);
    }

    @Test
    void theClusterAndPerNodeLimitsMakeMigrationsWaitForASlot() {
        config = new OperatorConfig(1, 2, 2, java.time.Duration.ofSeconds(30));
        SriovMigration running = migrationFrom("running", "vm-03", MigrationPhase.Migrating, "hv2");
        migrations.add(running);
        SriovMigration waiting = migration("waiting", "vm-01", MigrationPhase.Pending);
        Decision decision = PendingHandler.decide(waiting, view());
        SriovMigrationStatus status = decision.outcome().transition().orElseThrow().applyTo(waiting, NOW).getStatus();
        assertThat(status.phase).isEqualTo(MigrationPhase.Pending);
        assertThat(Conditions.find(status.conditions, ConditionTypes.SCHEDULED).orElseThrow().getReason())
                .isEqualTo(Reasons.WAITING_FOR_SLOT);
        // Nothing changed: the same wait is not written again.
        assertThat(PendingHandler.decide(decision.outcome().transition().get().applyTo(waiting, NOW), view())
                .outcome().transition()).isEmpty();
    }

    @Test
    void aMigrationThatLeftItsSourceFreesTheOutboundSlotButStillCountsInFlight() {
        config = new OperatorConfig(5, 1, 2, java.time.Duration.ofSeconds(30)).withPrepareAhead(false);
        SriovMigration leaving = migrationFrom("leaving", "vm-02", MigrationPhase.Migrating, "hv1");
        migrations.add(leaving);
        SriovMigration waiting = migration("waiting", "vm-01", MigrationPhase.Pending);
        Decision decision = PendingHandler.decide(waiting, view());
        assertThat(decision.outcome().transition().orElseThrow().applyTo(waiting, NOW).getStatus().message)
                .contains("leaving hv1");
        // Migrating -> RestoringFastPath: the domain has left hv1; the rest is the target's work (inbound limit).
        leaving.getStatus().phase = MigrationPhase.RestoringFastPath;
        assertThat(PendingHandler.decide(waiting, view()).outcome().transition().orElseThrow().to())
                .isEqualTo(MigrationPhase.Scheduling);
        assertThat(view().inFlight()).hasSize(1);
        config = new OperatorConfig(1, 1, 2, java.time.Duration.ofSeconds(30)).withPrepareAhead(false);
        assertThat(PendingHandler.decide(waiting, view()).outcome().transition()
                .orElseThrow().applyTo(waiting, NOW).getStatus().message).contains("1 migrations are in flight");
    }

    @Test
    void aBusyLaneAdmitsOneMigrationBehindItsHeadToPrepareItsTarget() {
        config = new OperatorConfig(5, 1, 2, java.time.Duration.ofSeconds(30));
        SriovMigration copying = migrationFrom("copying", "vm-02", MigrationPhase.Migrating, "hv1");
        migrations.add(copying);
        SriovMigration next = migration("next", "vm-01", MigrationPhase.Pending);
        Decision decision = PendingHandler.decide(next, view());
        assertThat(decision.reservation()).as("its target VF is reserved now, as for any admission").isPresent();
        SriovMigrationStatus status = decision.outcome().transition().orElseThrow().applyTo(next, NOW).getStatus();
        assertThat(status.phase).isEqualTo(MigrationPhase.Scheduling);
        assertThat(status.predecessor).isEqualTo("default/copying");
        assertThat(status.predecessorUid).isEqualTo(copying.getMetadata().getUid());
        assertThat(status.message).contains("takes next");

        // One behind each head: a third migration of hv1 waits, and says so.
        next.setStatus(status);
        migrations.add(next);
        nics.put("hv1", nic("hv1", Map.of("vm-01", 0, "vm-02", 1, "vm-04", 3)));
        SriovMigration third = migration("third", "vm-04", MigrationPhase.Pending);
        SriovMigrationStatus waits = decideAndApply(third);
        assertThat(waits.phase).isEqualTo(MigrationPhase.Pending);
        assertThat(waits.message).contains("1 migrations are leaving hv1 (the per-node limit is 1) and 1 are"
                + " prepared behind them");

        // The head left hv1: the one behind it holds the lane now, and the third goes behind that one.
        copying.getStatus().phase = MigrationPhase.RestoringFastPath;
        SriovMigrationStatus behindNext = decideAndApply(third);
        assertThat(behindNext.phase).isEqualTo(MigrationPhase.Scheduling);
        assertThat(behindNext.predecessor).isEqualTo("default/next");
    }

    @Test
    void withPrepareAheadOffABusyLaneAdmitsNobody() {
        config = new OperatorConfig(5, 1, 2, java.time.Duration.ofSeconds(30)).withPrepareAhead(false);
        SriovMigration copying = migrationFrom("copying", "vm-02", MigrationPhase.Migrating, "hv1");
        migrations.add(copying);
        SriovMigrationStatus status = decideAndApply(migration("next", "vm-01", MigrationPhase.Pending));
        assertThat(status.phase).isEqualTo(MigrationPhase.Pending);
        assertThat(status.message).contains("1 migrations are leaving hv1 (the per-node limit is 1); waiting");
    }

    @Test
    void aVmWhoseTeamingMacAnotherVmUsesIsRefusedNamingTheOther() {
        // vm-07 on hv2 has SF index 0 as vm-01 on hv1: the same teaming MAC (the helper derives it from the index).
        nics.put("hv2", nic("hv2", Map.of("vm-03", 2, "vm-07", 0)));
        SriovMigrationStatus status = decideAndApply(migration("m1", "vm-01", MigrationPhase.Pending));
        assertThat(status.phase).isEqualTo(MigrationPhase.Failed);
        assertThat(status.failureReason).isEqualTo(Reasons.DUPLICATE_MAC);
        assertThat(status.message).contains("VM vm-01 on hv1").contains("as does VM vm-07 on hv2")
                .contains("give one of them another MAC");
        SriovMigrationStatus other = decideAndApply(migration("m7", "vm-07", MigrationPhase.Pending));
        assertThat(other.failureReason).isEqualTo(Reasons.DUPLICATE_MAC);
        assertThat(other.message).contains("as does VM vm-01 on hv1");

        SriovMigration dryRun = migration("m1-dry", "vm-01", MigrationPhase.Pending);
        dryRun.getSpec().dryRun = true;
        var teaming = Conditions.find(decideAndApply(dryRun).conditions, ConditionTypes.PREFLIGHT_TEAMING)
                .orElseThrow();
        assertThat(teaming.getStatus()).as("a dry run says so as well").isEqualTo("False");
        assertThat(teaming.getReason()).isEqualTo(Reasons.DUPLICATE_MAC);
        assertThat(teaming.getMessage()).contains("vm-07 on hv2");
    }

    @Test
    void aTargetVfSetUpDifferentlyKeepsTheMigrationWaitingAndADryRunSaysWhichSettingAndItsFix() {
        // vm-01 holds VF 0 of hv1, trusted; hv2 and hv3's VF 0 (paired with meth0) are not.
        Objects.running(nics.get("hv1")).getStatus().vfs.get(0).trust = true;
        for (String node : List.of("hv2", "hv3")) {
            if (nics.containsKey(node)) {
                Objects.running(nics.get(node)).getStatus().vfs.get(0).trust = false;
            }
        }
        SriovMigration waiting = migration("m1", "vm-01", MigrationPhase.Pending);
        Transition wait = PendingHandler.decide(waiting, view()).outcome().transition().orElseThrow();
        assertThat(wait.announce()).as("a new reason to wait gets a Warning Event").isTrue();
        SriovMigrationStatus status = decideAndApply(waiting);
        assertThat(status.phase).as("nothing is touched: the migration waits").isEqualTo(MigrationPhase.Pending);
        waiting.setStatus(status);
        Objects.running(nics.get("hv2")).getStatus().vfs.get(0).trust = null; // hv2 no longer judged on trust: another message
        Objects.running(nics.get("hv2")).getStatus().vfs.get(0).adminMac = "52:54:00:99:99:99";
        Transition again = PendingHandler.decide(waiting, view()).outcome().transition().orElseThrow();
        assertThat(again.message()).isNotEqualTo(wait.message()).contains("keeps MAC 52:54:00:99:99:99");
        assertThat(again.announce()).as("the same reason with another message: no second Event").isFalse();
        Objects.running(nics.get("hv2")).getStatus().vfs.get(0).trust = false;
        Objects.running(nics.get("hv2")).getStatus().vfs.get(0).adminMac = null;
        var scheduled = Conditions.find(status.conditions, ConditionTypes.SCHEDULED).orElseThrow();
        assertThat(scheduled.getReason()).isEqualTo(Reasons.VF_CONFIG_MISMATCH);
        assertThat(scheduled.getMessage()).contains("has trust off, vm-01's VF on hv1 has trust on; run: ip link set"
                + " dev ens2 vf 0 trust on");

        SriovMigration dryRun = migration("m1-dry", "vm-01", MigrationPhase.Pending);
        dryRun.getSpec().dryRun = true;
        var check = Conditions.find(decideAndApply(dryRun).conditions, ConditionTypes.PREFLIGHT_VF_CONFIG).orElseThrow();
        assertThat(check.getStatus()).isEqualTo("False");
        assertThat(check.getReason()).isEqualTo(Reasons.VF_CONFIG_MISMATCH);
        assertThat(check.getMessage()).contains("trust on");

        nics.values().forEach(n -> Objects.running(n).getStatus().vfs.get(0).trust = true);
        var passed = Conditions.find(decideAndApply(dryRun).conditions, ConditionTypes.PREFLIGHT_VF_CONFIG).orElseThrow();
        assertThat(passed.getStatus()).isEqualTo("True");
        assertThat(passed.getMessage()).contains("matches vm-01's VF on hv1").contains("trust on");
    }

    @Test
    void aGuestWithoutActiveFailoverIsRefusedBeforeAnythingIsTouchedAndADryRunSaysWhy() {
        var vm01 = Objects.running(nics.get("hv1")).getStatus().vms.stream().filter(v -> v.name.equals("vm-01")).findFirst().orElseThrow();
        vm01.guestFailover = io.sriovlm.api.v1alpha1.GuestFailover.NotNegotiated;
        SriovMigrationStatus status = decideAndApply(migration("m1", "vm-01", MigrationPhase.Pending));
        assertThat(status.phase).isEqualTo(MigrationPhase.Failed);
        assertThat(status.failureReason).isEqualTo(Reasons.GUEST_FAILOVER_INACTIVE);
        assertThat(status.message).contains("did not accept VIRTIO_NET_F_STANDBY on its standby NIC ua-net0");

        vm01.guestFailover = io.sriovlm.api.v1alpha1.GuestFailover.NotOffered;
        SriovMigration dryRun = migration("m1-dry", "vm-01", MigrationPhase.Pending);
        dryRun.getSpec().dryRun = true;
        var check = Conditions.find(decideAndApply(dryRun).conditions, ConditionTypes.PREFLIGHT_GUEST_FAILOVER).orElseThrow();
        assertThat(check.getStatus()).isEqualTo("False");
        assertThat(check.getMessage()).contains("is not offered VIRTIO_NET_F_STANDBY").contains("failover=on");

        vm01.guestFailover = null; // the agent cannot tell: not a refusal, but not verified either
        assertThat(decideAndApply(migration("m2", "vm-01", MigrationPhase.Pending)).phase).isEqualTo(MigrationPhase.Scheduling);
        var unknown = Conditions.find(decideAndApply(dryRun).conditions, ConditionTypes.PREFLIGHT_GUEST_FAILOVER).orElseThrow();
        assertThat(unknown.getStatus()).isEqualTo("Unknown");
        assertThat(unknown.getReason()).isEqualTo(Reasons.NOT_REPORTED);

        vm01.guestFailover = io.sriovlm.api.v1alpha1.GuestFailover.Negotiated;
        assertThat(Conditions.find(decideAndApply(dryRun).conditions, ConditionTypes.PREFLIGHT_GUEST_FAILOVER)
                .orElseThrow().getStatus()).isEqualTo("True");
    }
}
