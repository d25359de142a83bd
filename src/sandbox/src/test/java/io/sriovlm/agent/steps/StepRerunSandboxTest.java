package io.sriovlm.agent.steps;

import io.sriovlm.statemachine.Outcome;
import io.sriovlm.sandbox.faults.Fault;
import io.sriovlm.api.v1alpha1.Reasons;
import io.sriovlm.agent.AgentConfig;
import io.sriovlm.agent.hostnet.SysfsHostNetwork;
import io.sriovlm.agent.libvirt.TeamingXml;
import io.sriovlm.api.v1alpha1.HypervisorNicSpec;
import io.sriovlm.api.v1alpha1.MigrationPhase;
import io.sriovlm.api.v1alpha1.SriovMigration;
import io.sriovlm.statemachine.Transition;
import io.sriovlm.sandbox.Sandbox;
import io.sriovlm.testing.host.FakeNicNames;
import io.sriovlm.testing.host.FakeSysfsTree;
import io.sriovlm.sandbox.host.SimulatedFabric;
import io.sriovlm.sandbox.host.SimulatedHypervisor;
import io.sriovlm.testing.Objects;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Sandbox tier (simulated hosts, no API server): every agent step is run, then run again as if the agent had
 * crashed after acting and before its status write landed. The re-run must decide the same next phase and leave
 * the host as the first run did: the VF detached or attached once, the bond where it should be.
 */
@Tag("sandbox")
class StepRerunSandboxTest {
    private static final String VF = FakeNicNames.pciAddressOfVf(Sandbox.PF_PCI, 0);

    @TempDir
    Path work;
    SimulatedFabric fabric;
    SimulatedHypervisor hv1;
    SimulatedHypervisor hv2;
    FakeSysfsTree sys1;
    FakeSysfsTree sys2;
    HypervisorNicSpec spec;
    final AtomicInteger jobDone = new AtomicInteger();
    /** Whether the predecessor of a migration prepared behind it still holds hv1's outbound lane. */
    final java.util.concurrent.atomic.AtomicBoolean laneHeld = new java.util.concurrent.atomic.AtomicBoolean();

    @BeforeEach
    void hosts() throws Exception {
        fabric = new SimulatedFabric();
        hv1 = fabric.newHost("hv1");
        hv2 = fabric.newHost("hv2");
        hv1.setCopyTime(Duration.ofMillis(300));
        List<FakeSysfsTree.BondDef> bonds1 = new ArrayList<>();
        List<FakeSysfsTree.BondDef> bonds2 = new ArrayList<>();
        spec = Objects.nic("hv1", java.util.Map.of()).getSpec();
        for (int i = 0; i < 4; i++) {
            FakeSysfsTree.BondDef b = FakeSysfsTree.BondDef.standard(Sandbox.PF, Sandbox.PF_PCI, i);
            bonds2.add(b);
            bonds1.add(i == 0 ? new FakeSysfsTree.BondDef(b.name(), b.sfNetdev(), b.sfRepresentor(), b.vfRepresentor(),
                    b.vfIndex(), b.vfRepresentor()) : b);
        }
        sys1 = FakeSysfsTree.create(work.resolve("hv1"), Sandbox.PF, Sandbox.PF_PCI, 4, bonds1);
        sys2 = FakeSysfsTree.create(work.resolve("hv2"), Sandbox.PF, Sandbox.PF_PCI, 4, bonds2);
        hv1.define(Sandbox.teamedDomain("vm-01", 0, VF), true);
    }

    @AfterEach
    void close() {
        fabric.close();
    }

    private SourceAgentSteps source(MigrationJobs jobs) {
        return new SourceAgentSteps(hv1, new SysfsHostNetwork(sys1.root()), () -> Optional.of(spec), jobs,
                AgentConfig.defaults("hv1", SimulatedFabric.uriOf("hv1")), Clock.systemUTC(),
                m -> jobDone.incrementAndGet(), () -> { }, uid -> laneHeld.get());
    }

    private TargetAgentSteps target() {
        return new TargetAgentSteps(hv2, new SysfsHostNetwork(sys2.root()), () -> Optional.of(spec),
                AgentConfig.defaults("hv2", SimulatedFabric.uriOf("hv2")), Clock.systemUTC(), () -> { });
    }

    private SriovMigration migration(MigrationPhase phase) {
        SriovMigration m = Objects.migration("m", "vm-01", phase);
        var s = m.getStatus();
        s.sourceNode = "hv1";
        s.targetNode = "hv2";
        s.sourceVf = VF;
        s.targetVf = VF;
        s.targetMigrationUri = SimulatedFabric.uriOf("hv2");
        s.teaming = TeamingXml.inspect(hv1.domain("vm-01").orElseThrow().xml()).toSummary();
        s.phaseDeadline = io.sriovlm.common.Timestamps.format(java.time.Instant.now().plusSeconds(60));
        return m;
    }

    private static Transition transitionOf(Outcome result) {
        return result.transition().orElseThrow(() -> new AssertionError("no transition: " + result));
    }

    private static SriovMigration written(SriovMigration m, Outcome result) {
        return transitionOf(result).applyTo(m, java.time.Instant.now());
    }

    private boolean vfAttachedOn(SimulatedHypervisor host) {
        return host.domain("vm-01").map(d -> VF.equals(TeamingXml.inspect(d.xml()).primaryPciAddress())).orElse(false);
    }

    @Test
    void preparingTwiceDecidesTheSameAndLeavesTheTargetBondOnTheSfRepresentor() {
        SriovMigration m = migration(MigrationPhase.Preparing);
        sys2.forceActiveSlave("bond0", "ens2_0");
        assertThat(transitionOf(target().step(m)).to()).isEqualTo(MigrationPhase.SwitchingToStandby);
        assertThat(transitionOf(target().step(m)).to()).isEqualTo(MigrationPhase.SwitchingToStandby);
        assertThat(sys2.activeSlave("bond0")).isEqualTo("en6s0f0pf0sf0");
    }

    @Test
    void preparingBehindAnotherMigrationWaitsInTargetReady() {
        SriovMigration m = migration(MigrationPhase.Preparing);
        m.getStatus().predecessor = "default/before";
        m.getStatus().predecessorUid = "uid-before";
        Transition prepared = transitionOf(target().step(m));
        assertThat(prepared.to()).isEqualTo(MigrationPhase.TargetReady);
        assertThat(prepared.message()).contains("waits for default/before to leave hv1");
    }

    @Test
    void targetReadyTouchesNothingUntilThePredecessorHasLeftTheLaneAndThenSwitchesOnce() {
        SriovMigration m = migration(MigrationPhase.TargetReady);
        m.getStatus().predecessor = "default/before";
        m.getStatus().predecessorUid = "uid-before";
        laneHeld.set(true);
        Outcome waiting = source(new MigrationJobs()).step(m);
        assertThat(waiting.transition()).isEmpty();
        assertThat(waiting.recheckAfter()).isPresent();
        assertThat(vfAttachedOn(hv1)).isTrue();
        laneHeld.set(false);
        Transition go = transitionOf(source(new MigrationJobs()).step(m));
        assertThat(go.to()).isEqualTo(MigrationPhase.SwitchingToStandby);
        assertThat(go.reason()).isEqualTo(Reasons.OUTBOUND_LANE_FREE);
        assertThat(transitionOf(source(new MigrationJobs()).step(m)).to()).as("re-run after a crash")
                .isEqualTo(MigrationPhase.SwitchingToStandby);
        assertThat(vfAttachedOn(hv1)).as("the VF leaves only in SwitchingToStandby").isTrue();
        SriovMigration switching = go.applyTo(m, java.time.Instant.now());
        assertThat(transitionOf(source(new MigrationJobs()).step(switching)).to()).isEqualTo(MigrationPhase.Migrating);
        assertThat(vfAttachedOn(hv1)).isFalse();
    }

    @Test
    void switchingToStandbyTwiceDetachesOnce() {
        SriovMigration m = migration(MigrationPhase.SwitchingToStandby);
        SourceAgentSteps steps = source(new MigrationJobs());
        Outcome first = steps.step(m);
        assertThat(transitionOf(first).to()).isEqualTo(MigrationPhase.Migrating);
        Outcome rerun = source(new MigrationJobs()).step(m);
        assertThat(transitionOf(rerun).to()).isEqualTo(MigrationPhase.Migrating);
        assertThat(vfAttachedOn(hv1)).isFalse();
        assertThat(sys1.activeSlave("bond0")).isEqualTo("en6s0f0pf0sf0");
        assertThat(written(m, rerun).getStatus().standbyStartedAt).isNotNull();
    }

    @Test
    void aTargetWhoseLibvirtCannotBeAskedAboutTheCpuIsNotAskedAgainBeforeTheNextSwitch() throws Exception {
        // The agent cannot open this URI (as where only the source's libvirtd reaches the target): the switch goes
        // on, libvirt decides at the copy; the next migration to that target does not wait for it again.
        SourceAgentSteps steps = source(new MigrationJobs());
        SriovMigration first = migration(MigrationPhase.SwitchingToStandby);
        first.getStatus().targetMigrationUri = "qemu+tls://unreachable.example/system";
        assertThat(transitionOf(steps.step(first)).to()).isEqualTo(MigrationPhase.Migrating);
        assertThat(hv1.cpuQuestions()).isEqualTo(1);

        hv1.attachDevice("vm-01", TeamingXml.primaryInterface(first.getStatus().teaming.mac, VF,
                first.getStatus().teaming.standbyAlias, first.getStatus().teaming.primaryAlias));
        SriovMigration second = migration(MigrationPhase.SwitchingToStandby);
        second.getMetadata().setUid("uid-second");
        second.getStatus().targetMigrationUri = first.getStatus().targetMigrationUri;
        assertThat(transitionOf(steps.step(second)).to()).isEqualTo(MigrationPhase.Migrating);
        assertThat(hv1.cpuQuestions()).as("not asked again within the back-off").isEqualTo(1);

        // A reachable target is asked as before.
        hv1.attachDevice("vm-01", TeamingXml.primaryInterface(first.getStatus().teaming.mac, VF,
                first.getStatus().teaming.standbyAlias, first.getStatus().teaming.primaryAlias));
        SriovMigration third = migration(MigrationPhase.SwitchingToStandby);
        third.getMetadata().setUid("uid-third");
        assertThat(transitionOf(steps.step(third)).to()).isEqualTo(MigrationPhase.Migrating);
        assertThat(hv1.cpuQuestions()).isEqualTo(2);
    }

    @Test
    void migratingAfterAnAgentRestartWaitsForTheRunningJobInsteadOfStartingAnother() throws Exception {
        hv1.setCopyTime(Duration.ofSeconds(3)); // long enough to still be running on a loaded machine
        SriovMigration m = written(migration(MigrationPhase.SwitchingToStandby),
                source(new MigrationJobs()).step(migration(MigrationPhase.SwitchingToStandby)));
        Outcome started = source(new MigrationJobs()).step(m);
        assertThat(started.recheckAfter()).isPresent();
        assertThat(hv1.jobStats("vm-01")).isPresent();
        // The agent restarts: its registry of jobs is gone, libvirt's job is not.
        Outcome afterRestart = source(new MigrationJobs()).step(m);
        assertThat(afterRestart.transition()).isEmpty();
        await().atMost(Duration.ofSeconds(15)).until(() -> hv2.domain("vm-01").isPresent());
        Outcome ended = source(new MigrationJobs()).step(m);
        assertThat(transitionOf(ended).to()).isEqualTo(MigrationPhase.RestoringFastPath);
        assertThat(transitionOf(source(new MigrationJobs()).step(m)).to()).isEqualTo(MigrationPhase.RestoringFastPath);
        assertThat(hv1.domain("vm-01")).isEmpty();
    }

    /** vm-01 migrated to hv2 by the source steps, entering RestoringFastPath. */
    private SriovMigration restoringOnHv2() {
        SriovMigration switched = written(migration(MigrationPhase.SwitchingToStandby),
                source(new MigrationJobs()).step(migration(MigrationPhase.SwitchingToStandby)));
        MigrationJobs jobs = new MigrationJobs();
        source(jobs).step(switched);
        await().atMost(Duration.ofSeconds(5)).until(() -> jobDone.get() == 1);
        return written(switched, source(jobs).step(switched));
    }

    /** Fault matrix, ATTACH_REFUSED / BOND_WRITE_IGNORED at RestoringFastPath: Succeeded carried AttachFailed. */
    @Test
    void aRetriedFastPathIsNotAFailure() {
        SriovMigration restoring = restoringOnHv2();
        hv2.faults().failNextAttaches(1, null);
        Transition retry = transitionOf(target().step(restoring));
        assertThat(retry.to()).isEqualTo(MigrationPhase.RestoringFastPath);
        assertThat(retry.warning()).isFalse();
        SriovMigration retried = retry.applyTo(restoring, java.time.Instant.now());
        assertThat(retried.getStatus().conditions).anyMatch(c -> "FastPathRestored".equals(c.getType())
                && "False".equals(c.getStatus()) && "AttachFailed".equals(c.getReason()));
        SriovMigration done = written(retried, target().step(retried));
        assertThat(done.getStatus().phase).isEqualTo(MigrationPhase.Succeeded);
        assertThat(done.getStatus().failureReason).isNull();
    }

    @Test
    void restoringTheFastPathTwiceAttachesOnce() throws Exception {
        SriovMigration restoring = restoringOnHv2();
        assertThat(restoring.getStatus().phase).isEqualTo(MigrationPhase.RestoringFastPath);
        Outcome first = target().step(restoring);
        assertThat(transitionOf(first).to()).isEqualTo(MigrationPhase.Succeeded);
        Outcome rerun = target().step(restoring);
        assertThat(transitionOf(rerun).to()).isEqualTo(MigrationPhase.Succeeded);
        assertThat(vfAttachedOn(hv2)).isTrue();
        assertThat(sys2.activeSlave("bond0")).isEqualTo("ens2_0");
        assertThat(written(restoring, rerun).getStatus().standbyWindowMs).isPositive();
    }

    @Test
    void rollingBackTwiceReattachesOnce() {
        SriovMigration switched = written(migration(MigrationPhase.SwitchingToStandby),
                source(new MigrationJobs()).step(migration(MigrationPhase.SwitchingToStandby)));
        SriovMigration rollingBack = Transition.to(MigrationPhase.RollingBack, "Test", "roll back")
                .applyTo(switched, java.time.Instant.now());
        assertThat(transitionOf(source(new MigrationJobs()).step(rollingBack)).to()).isEqualTo(MigrationPhase.RolledBack);
        assertThat(transitionOf(source(new MigrationJobs()).step(rollingBack)).to()).isEqualTo(MigrationPhase.RolledBack);
        assertThat(vfAttachedOn(hv1)).isTrue();
        assertThat(sys1.activeSlave("bond0")).isEqualTo("ens2_0");
    }

    @Test
    void withAutomaticHandoffTheTargetBondFollowsTheDeviceAddedEventBeforeThePhaseChange() throws Exception {
        hv1.setCopyTime(Duration.ofMillis(100));
        TargetAgentSteps target = target();
        SriovMigration preparing = migration(MigrationPhase.Preparing);
        preparing.getSpec().vfHandoff = io.sriovlm.api.v1alpha1.VfHandoff.Automatic;
        assertThat(transitionOf(target.step(preparing)).to()).isEqualTo(MigrationPhase.SwitchingToStandby);
        assertThat(sys2.activeSlave("bond0")).isEqualTo("en6s0f0pf0sf0");

        MigrationJobs jobs = new MigrationJobs();
        SriovMigration switching = written(preparing, target.step(preparing));
        SriovMigration migrating = written(switching, source(jobs).step(switching));
        assertThat(migrating.getStatus().phase).isEqualTo(MigrationPhase.Migrating);
        source(jobs).step(migrating); // starts the job with the destination XML naming the reserved VF

        // No step of the target runs here: only libvirt's device-added event can move hv2's bond.
        await().atMost(Duration.ofSeconds(10)).until(() -> "ens2_0".equals(sys2.activeSlave("bond0")));
        assertThat(vfAttachedOn(hv2)).isTrue();

        await().atMost(Duration.ofSeconds(5)).until(() -> jobDone.get() == 1);
        SriovMigration restoring = written(migrating, source(jobs).step(migrating));
        assertThat(restoring.getStatus().phase).isEqualTo(MigrationPhase.RestoringFastPath);
        SriovMigration done = written(restoring, target.step(restoring));
        assertThat(done.getStatus().phase).isEqualTo(MigrationPhase.Succeeded);
        assertThat(done.getStatus().bondSwitchLagMs).isNotNull();
    }

    /** Fault matrix, AGENT_RESTART at Scheduling/Preparing: a restarted agent ran Preparing before it saw its NIC. */
    @Test
    void aStepRunBeforeTheAgentSeesItsHypervisorNicWaitsRatherThanFailing() {
        TargetAgentSteps blindTarget = new TargetAgentSteps(hv2, new SysfsHostNetwork(sys2.root()), Optional::empty,
                AgentConfig.defaults("hv2", SimulatedFabric.uriOf("hv2")), Clock.systemUTC(), () -> { });
        Outcome preparing = blindTarget.step(migration(MigrationPhase.Preparing));
        assertThat(preparing.transition()).isEmpty();
        assertThat(preparing.recheckAfter()).isPresent();
        SourceAgentSteps blindSource = new SourceAgentSteps(hv1, new SysfsHostNetwork(sys1.root()), Optional::empty,
                new MigrationJobs(), AgentConfig.defaults("hv1", SimulatedFabric.uriOf("hv1")), Clock.systemUTC(),
                m -> { }, () -> { }, uid -> false);
        Outcome switching = blindSource.step(migration(MigrationPhase.SwitchingToStandby));
        assertThat(switching.transition()).isEmpty();
        assertThat(vfAttachedOn(hv1)).as("nothing was done on the source").isTrue();
    }

    /** The informers of a stopping agent empty mid-step: a step reads its HypervisorNic once and decides on that. */
    @Test
    void aStepWhoseAgentStopsWhileItRunsDecidesOnWhatItRead() {
        TargetAgentSteps stoppingTarget = new TargetAgentSteps(hv2, new SysfsHostNetwork(sys2.root()),
                visibleOnce(), AgentConfig.defaults("hv2", SimulatedFabric.uriOf("hv2")), Clock.systemUTC(), () -> { });
        assertThat(transitionOf(stoppingTarget.step(migration(MigrationPhase.Preparing))).to())
                .as("prepared, not Failed/TargetNotPrepared").isEqualTo(MigrationPhase.SwitchingToStandby);
        SourceAgentSteps stoppingSource = new SourceAgentSteps(hv1, new SysfsHostNetwork(sys1.root()), visibleOnce(),
                new MigrationJobs(), AgentConfig.defaults("hv1", SimulatedFabric.uriOf("hv1")), Clock.systemUTC(),
                m -> { }, () -> { }, uid -> false);
        assertThat(transitionOf(stoppingSource.step(migration(MigrationPhase.SwitchingToStandby))).to())
                .as("switched, not RollingBack/BondSwitchFailed").isEqualTo(MigrationPhase.Migrating);
    }

    /** Migrating reads the NIC only to start a job with automatic handoff: a copy under way ends without it. */
    @Test
    void aCopyUnderWayEndsWhileTheAgentSeesNoNic() {
        MigrationJobs jobs = new MigrationJobs();
        SriovMigration migrating = written(migration(MigrationPhase.SwitchingToStandby),
                source(jobs).step(migration(MigrationPhase.SwitchingToStandby)));
        source(jobs).step(migrating); // starts the libvirt job
        SourceAgentSteps blind = new SourceAgentSteps(hv1, new SysfsHostNetwork(sys1.root()), Optional::empty, jobs,
                AgentConfig.defaults("hv1", SimulatedFabric.uriOf("hv1")), Clock.systemUTC(), m -> { }, () -> { },
                uid -> false);
        await().atMost(Duration.ofSeconds(10)).until(() -> blind.step(migrating).transition()
                .map(t -> t.to() == MigrationPhase.RestoringFastPath).orElse(false));
    }

    private java.util.function.Supplier<Optional<HypervisorNicSpec>> visibleOnce() {
        java.util.concurrent.atomic.AtomicBoolean read = new java.util.concurrent.atomic.AtomicBoolean();
        return () -> read.getAndSet(true) ? Optional.empty() : Optional.of(spec);
    }

    /** vm-01 switched to standby and its libvirt job started by {@code jobs}'s agent, then moved to RollingBack. */
    private SriovMigration rollingBackDuringTheCopy(MigrationJobs jobs, String cause) {
        SriovMigration switched = written(migration(MigrationPhase.SwitchingToStandby),
                source(jobs).step(migration(MigrationPhase.SwitchingToStandby)));
        source(jobs).step(switched); // starts the libvirt job
        return Transition.failure(MigrationPhase.RollingBack, cause,
                "rolling back").applyTo(switched, java.time.Instant.now());
    }

    /** Fault matrix, ABORT_FAILS at RollingBack: the retry said AttachFailed and replaced the rollback's cause. */
    @Test
    void aRefusedAbortIsRetriedAndTheRollbackKeepsItsCause() throws Exception {
        hv1.setCopyTime(Duration.ofSeconds(30));
        MigrationJobs jobs = new MigrationJobs();
        SriovMigration rollingBack = rollingBackDuringTheCopy(jobs, "Cancelled");
        assertThat(hv1.jobStats("vm-01")).isPresent();
        hv1.faults().failNextAborts(1, null);
        Transition retry = transitionOf(source(jobs).step(rollingBack));
        assertThat(retry.to()).isEqualTo(MigrationPhase.RollingBack);
        assertThat(retry.reason()).isEqualTo(io.sriovlm.api.v1alpha1.Reasons.ABORT_FAILED);
        SriovMigration retried = retry.applyTo(rollingBack, java.time.Instant.now());
        assertThat(retried.getStatus().failureReason).isEqualTo("Cancelled");
        assertThat(retried.getStatus().conditions).anyMatch(c -> "AbortFailed".equals(c.getReason()));
        assertThat(source(jobs).step(retried).transition()).as("the abort asked again").isEmpty();
        await().atMost(Duration.ofSeconds(5)).until(() -> hv1.jobStats("vm-01").isEmpty());
        await().atMost(Duration.ofSeconds(5)).until(() -> jobs.get(retried.getMetadata().getUid())
                .flatMap(MigrationJobs.Job::outcome).isPresent());
        SriovMigration rolledBack = written(retried, source(jobs).step(retried));
        assertThat(rolledBack.getStatus().phase).isEqualTo(MigrationPhase.RolledBack);
        assertThat(rolledBack.getStatus().failureReason).isEqualTo("Cancelled");
        assertThat(vfAttachedOn(hv1)).isTrue();
    }

    /**
     * Fault matrix, NODE_NOT_READY at RollingBack: the source agent was down while libvirt finished the copy. The
     * agent back (no job in memory) asked libvirt for the job of a domain no longer here, failed, and retried that
     * forever instead of seeing the rollback was too late.
     */
    @Test
    void aRollbackAfterARestartFindsTheVmGoneAndCompletesOnTheTarget() throws Exception {
        hv1.setCopyTime(Duration.ofMillis(100));
        // the job starts, then the agent "dies" with its jobs; libvirt finishes the copy meanwhile
        SriovMigration rollingBack = rollingBackDuringTheCopy(new MigrationJobs(), "DeadlineExceeded");
        await().atMost(Duration.ofSeconds(5)).until(() -> hv2.isRunning("vm-01"));
        Transition t = transitionOf(source(new MigrationJobs()).step(rollingBack));
        assertThat(t.to()).isEqualTo(MigrationPhase.RestoringFastPath);
        assertThat(t.reason()).isEqualTo(io.sriovlm.api.v1alpha1.Reasons.ROLLBACK_TOO_LATE);
    }

    /**
     * Fault matrix, NODE_NOT_READY at SwitchingToStandby: stopping the agent interrupted its wait for the guest's
     * unplug, and the step wrote that as DetachFailed and rolled back. A step cut short by its agent's shutdown
     * decides nothing; the next agent runs it again.
     */
    @Test
    void aStepInterruptedByTheAgentsShutdownDecidesNothing() throws Exception {
        hv1.faults().dropNextDeviceRemovedEvent();
        java.util.concurrent.atomic.AtomicReference<Outcome> result = new java.util.concurrent.atomic.AtomicReference<>();
        Thread step = new Thread(() -> result.set(source(new MigrationJobs()).step(migration(MigrationPhase.SwitchingToStandby))));
        step.start();
        await().atMost(Duration.ofSeconds(5)).until(() -> step.getState() == Thread.State.TIMED_WAITING);
        step.interrupt();
        step.join(5000);
        assertThat(result.get()).isNotNull();
        assertThat(result.get().transition()).as("no failure written for a shutdown").isEmpty();
    }
}
