package io.sriovlm.agent.steps;

import io.sriovlm.statemachine.Outcome;
import io.sriovlm.agent.AgentConfig;
import io.sriovlm.agent.HostObservation;
import io.sriovlm.agent.hostnet.HostNetwork;
import io.sriovlm.agent.hostnet.HostNetworkException;
import io.sriovlm.agent.libvirt.Hypervisor;
import io.sriovlm.agent.libvirt.Hypervisor.DomainSnapshot;
import io.sriovlm.agent.libvirt.Hypervisor.MigrationRequest;
import io.sriovlm.agent.libvirt.Hypervisor.MigrationResult;
import io.sriovlm.agent.libvirt.HypervisorException;
import io.sriovlm.agent.libvirt.TeamingReport;
import io.sriovlm.agent.libvirt.TeamingXml;
import io.sriovlm.agent.libvirt.UnplugPendingException;
import io.sriovlm.api.v1alpha1.HypervisorNicSpec;
import io.sriovlm.api.v1alpha1.HypervisorNicSpec.BondSpec;
import io.sriovlm.api.v1alpha1.MigrationMethod;
import io.sriovlm.api.v1alpha1.MigrationOptions;
import io.sriovlm.api.v1alpha1.MigrationPhase;
import io.sriovlm.api.v1alpha1.MigrationProgress;
import io.sriovlm.api.v1alpha1.SriovMigration;
import io.sriovlm.api.v1alpha1.SriovMigrationStatus;
import io.sriovlm.api.v1alpha1.StandbyLinkPolicy;
import io.sriovlm.api.v1alpha1.TeamingSummary;
import io.sriovlm.api.v1alpha1.VfHandoff;
import io.sriovlm.common.Conditions;
import io.sriovlm.common.Timestamps;
import io.sriovlm.api.v1alpha1.ConditionTypes;
import io.sriovlm.api.v1alpha1.MigrationTransport;
import io.sriovlm.api.v1alpha1.Reasons;
import io.sriovlm.statemachine.Transition;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * The source agent's phases: SwitchingToStandby, Migrating, RollingBack. Each step first looks at the host and only
 * acts where the world is not yet as wanted, so re-running it after a crash converges on the same result.
 */
public final class SourceAgentSteps {
    private static final Duration SOON = Duration.ofMillis(100);
    /** A migration waiting for its lane is woken when its predecessor leaves; this is the safety net. */
    private static final Duration LANE_RECHECK = Duration.ofSeconds(2);

    private final Hypervisor hypervisor;
    private final HostNetwork network;
    private final Supplier<Optional<HypervisorNicSpec>> nicSpec;
    private final MigrationJobs jobs;
    private final AgentConfig config;
    private final Clock clock;
    private final Consumer<SriovMigration> onJobDone;
    private final Runnable reportInventory;
    private final Predicate<String> laneHeldBy;

    /**
     * @param laneHeldBy whether the migration with this UID still holds an outbound lane of this node (it is known
     *                   here and its domain has not left); true when this agent cannot tell yet
     */
    public SourceAgentSteps(Hypervisor hypervisor, HostNetwork network, Supplier<Optional<HypervisorNicSpec>> nicSpec,
            MigrationJobs jobs, AgentConfig config, Clock clock, Consumer<SriovMigration> onJobDone,
            Runnable reportInventory, Predicate<String> laneHeldBy) {
        this.hypervisor = hypervisor;
        this.network = network;
        this.nicSpec = nicSpec;
        this.jobs = jobs;
        this.config = config;
        this.clock = clock;
        this.onJobDone = onJobDone;
        this.reportInventory = reportInventory;
        this.laneHeldBy = laneHeldBy;
        hypervisor.addDeviceListener(this::onDeviceEvent);
    }

    /** A migration with automatic VF handoff: QEMU unplugs the VF, and the bond follows libvirt's event. */
    private record AutoHandoff(String alias, BondSpec bond, java.util.concurrent.atomic.AtomicReference<Instant> removedAt,
            java.util.concurrent.atomic.AtomicReference<Instant> switchedAt) {
    }

    private final Map<String, AutoHandoff> automatic = new java.util.concurrent.ConcurrentHashMap<>();
    /**
     * Migrations whose VM's CPU the target has judged in this process: the switch step runs again while a slow guest
     * releases its VF, and must neither ask again nor fail once it asked for the unplug. A crash between the question
     * and the unplug request asks once more.
     */
    private final java.util.Set<String> cpuJudged = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /**
     * Targets whose libvirt could not be asked about a CPU, and when: where this agent cannot open a target's URI
     * (peer-to-peer setups, where only the source's libvirtd reaches it), each switch would otherwise wait for the
     * connection's timeout before the VF leaves. Such a target is not asked again before the switch for
     * {@link #CPU_QUESTION_BACKOFF}; a dry run always asks.
     */
    private final Map<String, Instant> unanswered = new java.util.concurrent.ConcurrentHashMap<>();
    static final Duration CPU_QUESTION_BACKOFF = Duration.ofMinutes(5);

    /** Automatic handoff: the guest released the VF at the migration's start; the host path follows it at once. */
    private void onDeviceEvent(Hypervisor.DeviceEvent event) {
        AutoHandoff handoff = automatic.get(event.domain());
        if (handoff == null || event.kind() != Hypervisor.DeviceEvent.Kind.REMOVED || !handoff.alias().equals(event.alias())) {
            return;
        }
        try {
            handoff.removedAt().compareAndSet(null, event.at());
            handoff.switchedAt().compareAndSet(null, network.setActiveSlave(handoff.bond().name,
                    handoff.bond().sfRepresentor));
        } catch (HostNetworkException | RuntimeException e) {
            org.jboss.logging.Logger.getLogger(SourceAgentSteps.class).warnf(e,
                    "bond %s not switched to the SF representor on %s's device-removed event", handoff.bond().name,
                    event.domain());
        }
    }

    public Outcome step(SriovMigration m) {
        MigrationPhase phase = m.getStatus().phase;
        // The steps that find the VM's bond read the HypervisorNic once: a stopping agent's informer empties
        // between two reads. Migrating needs it only to start a job with automatic handoff: a copy under way goes on
        // without it.
        boolean findsBond = phase == MigrationPhase.SwitchingToStandby || phase == MigrationPhase.RollingBack;
        Optional<HypervisorNicSpec> spec = findsBond || phase == MigrationPhase.Migrating ? nicSpec.get()
                : Optional.empty();
        if (findsBond && spec.isEmpty()) {
            // A just-started agent may run a step before its HypervisorNic informer has synced, a stopping one after
            // it stopped: that is not the host failing. Look again; the phase deadline bounds the wait.
            return Outcome.recheckAfter(SOON);
        }
        try {
            return switch (phase) {
                case TargetReady -> startWhenLaneFree(m);
                case SwitchingToStandby -> switchToStandby(m, spec.get());
                case Migrating -> migrate(m, spec);
                case RollingBack -> rollBack(m, spec.get());
                case Pending -> dryRunReachability(m);
                default -> Outcome.nothing();
            };
        } catch (HypervisorException | HostNetworkException e) {
            if (interrupted(e)) {
                // The agent is shutting down (its step thread interrupted): the host did not fail. Decide nothing;
                // the next agent re-runs the step.
                Thread.currentThread().interrupt();
                return Outcome.recheckAfter(SOON);
            }
            return onError(m, e);
        }
    }

    static boolean interrupted(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof InterruptedException) {
                return true;
            }
        }
        return Thread.currentThread().isInterrupted();
    }

    /**
     * Drops the job of a migration that has left the phases that use it (Migrating, RollingBack): its outcome is in
     * the status by then. Forgetting it only here, and not when the outcome is first read, keeps the outcome for a
     * re-run of the step whose status write lost a race. The CPU verdict goes once the migration left its switch.
     */
    public void forgetFinishedJob(SriovMigration m) {
        MigrationPhase phase = m.getStatus() == null ? null : m.getStatus().phase;
        // Only past the job's phases: a version from before Migrating can still arrive after the job started (the
        // agent starts it on its own write of Migrating, before the informer delivers the versions in between).
        if (phase == MigrationPhase.RestoringFastPath || (phase != null && phase.isTerminal())) {
            jobs.forget(m.getMetadata().getUid());
        }
        if (phase != null && phase != MigrationPhase.SwitchingToStandby) {
            cpuJudged.remove(m.getMetadata().getUid());
        }
    }

    /**
     * A dry run's source-side checks (docs/decisions/006-dry-run.md): can this host's libvirt open the target's
     * migration URI, and can the libvirt there run the VM's CPU (decision 022)? Answered once, as the
     * PreflightLibvirtReachable and PreflightCpu conditions, with the migration's resourceVersion (a 409 means look
     * again). The operator then ends the dry run.
     */
    Outcome dryRunReachability(SriovMigration m) {
        if (!m.getSpec().dryRunRequested() || m.getStatus().targetMigrationUri == null
                || !Conditions.find(m.getStatus().conditions, ConditionTypes.PREFLIGHT_LIBVIRT)
                        .map(c -> Reasons.CHECKING.equals(c.getReason())).orElse(false)) {
            return Outcome.nothing();
        }
        String uri = m.getStatus().targetMigrationUri;
        boolean reachable;
        String message;
        try {
            hypervisor.checkReachable(uri);
            reachable = true;
            message = "libvirt on " + config.nodeName() + " opened " + uri + " (read-only, closed again)";
        } catch (HypervisorException e) {
            reachable = false;
            message = "libvirt on " + config.nodeName() + " cannot open " + uri + ": " + e.getMessage();
        }
        String reason = reachable ? Reasons.PREFLIGHT_PASSED : Reasons.LIBVIRT_UNREACHABLE;
        String status = reachable ? Conditions.TRUE : Conditions.FALSE;
        String said = message;
        Long generation = m.getMetadata().getGeneration();
        Instant now = clock.instant();
        Hypervisor.CpuCheck cpu = reachable ? compareCpu(m.getSpec().vmName, uri)
                : new Hypervisor.CpuCheck(null, "not checked: the target's libvirt cannot be opened");
        String cpuStatus = cpu.compatible() == null ? Conditions.UNKNOWN
                : cpu.compatible() ? Conditions.TRUE : Conditions.FALSE;
        String cpuReason = cpu.compatible() == null ? Reasons.NOT_REPORTED
                : cpu.compatible() ? Reasons.PREFLIGHT_PASSED : Reasons.CPU_INCOMPATIBLE;
        return Outcome.write(Transition.to(MigrationPhase.Pending, reason, null).with(s -> {
            Conditions.set(s.conditions, ConditionTypes.PREFLIGHT_LIBVIRT, status, reason, said, generation, now);
            Conditions.set(s.conditions, ConditionTypes.PREFLIGHT_CPU, cpuStatus, cpuReason, cpu.detail(), generation, now);
        }));
    }

    /**
     * The last moment nothing has changed: a CPU the target cannot run would fail the copy after the VF left (or, for
     * VfState, after the standby window was spent). Asked once per migration in this process; an answer that could
     * not be had lets the migration go on, and libvirt decides at the copy.
     */
    private Optional<Outcome> refuseCpu(SriovMigration m) {
        String uri = m.getStatus().targetMigrationUri;
        if (uri == null || !cpuJudged.add(m.getMetadata().getUid())) {
            return Optional.empty();
        }
        Instant failedAt = unanswered.get(uri);
        if (failedAt != null && clock.instant().isBefore(failedAt.plus(CPU_QUESTION_BACKOFF))) {
            return Optional.empty();
        }
        Hypervisor.CpuCheck cpu = compareCpu(m.getSpec().vmName, uri);
        return Boolean.FALSE.equals(cpu.compatible())
                ? Optional.of(Outcome.write(Transition.failure(MigrationPhase.Failed, Reasons.CPU_INCOMPATIBLE,
                        cpu.detail() + "; choose another target (spec.targetNode) or a CPU model both hosts provide;"
                                + " nothing was changed")))
                : Optional.empty();
    }

    /** The target's verdict on the VM's CPU; a failure to ask is "not compared", said in the detail. */
    private Hypervisor.CpuCheck compareCpu(String vm, String uri) {
        try {
            Hypervisor.CpuCheck check = hypervisor.checkCpu(vm, uri);
            unanswered.remove(uri);
            return check.compatible() == null ? check : new Hypervisor.CpuCheck(check.compatible(), (check.compatible()
                    ? "" : "libvirt at " + uri + " cannot run the CPU of " + vm + ": ") + check.detail());
        } catch (HypervisorException e) {
            unanswered.put(uri, clock.instant());
            return new Hypervisor.CpuCheck(null, "not compared: " + e.getMessage());
        }
    }

    /**
     * TargetReady: the target was prepared while the predecessor held this node's outbound lane
     * (docs/decisions/014-prepare-ahead.md). Nothing on the host changes until that one's domain has left, so at
     * most the operator's limit of migrations ever touch this node at once.
     */
    Outcome startWhenLaneFree(SriovMigration m) {
        String predecessor = m.getStatus().predecessorUid;
        // The lane frees when the predecessor's domain has left: libvirt's job ended well here (known before its
        // RestoringFastPath is written, which first reports this host's inventory), or its status says so.
        boolean predecessorLeft = predecessor == null || jobs.get(predecessor).flatMap(MigrationJobs.Job::outcome)
                .map(MigrationResult::succeeded).orElse(false);
        if (!predecessorLeft && laneHeldBy.test(predecessor)) {
            return Outcome.recheckAfter(LANE_RECHECK);
        }
        String message = "outbound lane of " + config.nodeName() + " free" + (predecessor == null ? ""
                : " (" + m.getStatus().predecessor + " has left it)") + "; switching " + m.getSpec().vmName
                + " to standby";
        return Outcome.write(Transition.to(MigrationPhase.SwitchingToStandby, Reasons.OUTBOUND_LANE_FREE, message));
    }

    Outcome switchToStandby(SriovMigration m, HypervisorNicSpec spec) throws HypervisorException, HostNetworkException {
        String vm = m.getSpec().vmName;
        Optional<DomainSnapshot> domain = hypervisor.domain(vm).filter(DomainSnapshot::isRunning);
        if (domain.isEmpty()) {
            return Outcome.write(Transition.failure(MigrationPhase.Failed, Reasons.VM_NOT_FOUND, "VM " + vm
                    + " is not running on " + config.nodeName() + "; nothing was changed"));
        }
        if (vfState(m)) {
            // Method VfState: nothing to switch. The VF stays attached; libvirt moves its state with the VM.
            String vf = m.getStatus().sourceVf;
            if (!TeamingXml.passedThroughPciAddresses(domain.get().xml()).contains(vf)) {
                return Outcome.write(Transition.failure(MigrationPhase.Failed, Reasons.VM_NOT_FOUND, "VF " + vf
                        + " is no longer passed through to " + vm + " on " + config.nodeName()
                        + "; nothing was changed"));
            }
            Optional<Outcome> refused = refuseCpu(m);
            if (refused.isPresent()) {
                return refused.get();
            }
            return Outcome.write(Transition.to(MigrationPhase.Migrating, Reasons.VF_STAYS_ATTACHED, "VF " + vf
                    + " stays attached to " + vm + " (method VfState): no unplug, no bond switch"));
        }
        TeamingReport teaming = TeamingXml.inspect(domain.get().xml(), config.primaryDevice());
        if (!teaming.valid()) {
            String problems = String.join("; ", teaming.problems());
            return teaming.primaryAttached()
                    ? Outcome.write(Transition.failure(MigrationPhase.Failed, Reasons.TEAMING_INVALID,
                            "VM " + vm + " has no valid teaming pair: " + problems + "; nothing was changed"))
                    : Outcome.write(Transition.failure(MigrationPhase.RollingBack, Reasons.TEAMING_INVALID,
                            "VM " + vm + " has no valid teaming pair: " + problems));
        }
        if (teaming.primaryAttached()) {
            Optional<Outcome> refused = refuseCpu(m);
            if (refused.isPresent()) {
                return refused.get();
            }
        }
        BondSpec bond = bondFor(spec, teaming.standbyDevice());
        if (m.getSpec().linkPolicy() == StandbyLinkPolicy.UpDuringMigration && !teaming.standbyLinkUp()) {
            // The standby link must carry traffic before the VF leaves.
            hypervisor.updateDevice(vm, TeamingXml.withLinkState(teaming.standbyXml(), true));
        }
        if (m.getSpec().handoff() == VfHandoff.Automatic) {
            // QEMU unplugs the transient VF when the migration starts; the bond follows its device-removed event.
            String message = "automatic VF handoff: QEMU unplugs the VF from " + vm + " when the migration starts;"
                    + " bond " + bond.name + " follows libvirt's device-removed event";
            return Outcome.write(Transition.to(MigrationPhase.Migrating, Reasons.ON_STANDBY, message).with(s -> {
                if (s.teaming == null) {
                    s.teaming = teaming.toSummary();
                }
            }));
        }
        Instant removedAt;
        if (teaming.primaryAttached()) {
            try {
                hypervisor.detachDevice(vm, teaming.primaryXml());
            } catch (UnplugPendingException e) {
                // An earlier run of this step asked already (before a crash, or the guest is slower than one wait):
                // the unplug is under way, keep waiting for it; the phase deadline bounds the wait.
            }
            Optional<Instant> removed = hypervisor.awaitDeviceRemoved(vm, teaming.primaryAlias(), waitBudget(m));
            if (removed.isEmpty()) {
                // The guest has not released the VF yet; look again (the phase deadline bounds the wait).
                return Outcome.recheckAfter(SOON);
            }
            removedAt = removed.get();
        } else {
            // A re-run after a crash: the VF already left. Keep the first measurement when there is one.
            removedAt = Optional.ofNullable(Timestamps.parse(m.getStatus().standbyStartedAt)).orElse(clock.instant());
        }
        Instant switched = network.setActiveSlave(bond.name, bond.sfRepresentor);
        long lag = Math.max(0, Duration.between(removedAt, switched).toMillis());
        String message = "VF detached from " + vm + "; bond " + bond.name + " on SF representor " + bond.sfRepresentor;
        return Outcome.write(Transition.to(MigrationPhase.Migrating, Reasons.ON_STANDBY, message).with(s -> {
            s.standbyStartedAt = Timestamps.format(removedAt);
            s.bondSwitchLagMs = max(s.bondSwitchLagMs, lag);
            if (s.teaming == null) {
                s.teaming = teaming.toSummary();
            }
            Conditions.set(s.conditions, ConditionTypes.ON_STANDBY, true, Reasons.ON_STANDBY, message,
                    s.observedGeneration, clock.instant());
        }));
    }

    Outcome migrate(SriovMigration m, Optional<HypervisorNicSpec> spec) throws HypervisorException {
        String uid = m.getMetadata().getUid();
        String vm = m.getSpec().vmName;
        Optional<MigrationJobs.Job> job = jobs.get(uid);
        if (job.isPresent()) {
            Optional<MigrationResult> outcome = job.get().outcome();
            if (outcome.isEmpty()) {
                return progress(m, job.get());
            }
            // Not forgotten yet: if the transition below loses a write race (409), the re-run must still find the
            // outcome (with libvirt's downtime) rather than only see that the domain has left. See forgetFinishedJob.
            return migrationEnded(m, outcome.get());
        }
        Optional<DomainSnapshot> domain = hypervisor.domain(vm).filter(DomainSnapshot::isRunning);
        if (domain.isEmpty()) {
            // The agent restarted after libvirt finished the move: the domain left this host.
            return migrationEnded(m, MigrationResult.success(m.getStatus().migrationDowntimeMs));
        }
        if (hypervisor.jobStats(vm).isPresent()) {
            // A job from before an agent restart is still running: wait for it rather than start another.
            return Outcome.recheckAfter(config.progressInterval());
        }
        if (m.getStatus().targetMigrationUri == null) {
            return Outcome.write(Transition.failure(MigrationPhase.RollingBack, Reasons.MIGRATION_FAILED,
                    "target " + m.getStatus().targetNode + " reported no migration URI; check its sriovlm-agent"));
        }
        MigrationOptions options = m.getSpec().optionsOrDefaults();
        MigrationTransport transport = MigrationTransport.of(options);
        Optional<String> refused = MigrationTransport.problem(m.getStatus().targetMigrationUri, transport);
        if (refused.isPresent()) {
            // The operator checked this at admission; the target's agent may have published another URI since.
            return Outcome.write(Transition.failure(MigrationPhase.RollingBack, Reasons.TRANSPORT_REFUSED,
                    "not migrating " + vm + " to " + m.getStatus().targetNode + ": " + refused.get()));
        }
        String destinationXml = null;
        if (vfState(m)) {
            // The same domain, with the VF on the target's address: libvirt moves the VF's state into it.
            try {
                destinationXml = TeamingXml.withPassthroughPciAddress(domain.get().xml(), m.getStatus().sourceVf,
                        m.getStatus().targetVf);
            } catch (IllegalArgumentException e) {
                return Outcome.write(Transition.failure(MigrationPhase.RollingBack, Reasons.MIGRATION_FAILED,
                        e.getMessage() + "; the migration did not start"));
            }
        } else if (m.getSpec().handoff() == VfHandoff.Automatic) {
            // The destination runs the domain with the VF reserved there; QEMU plugs it once the domain runs.
            TeamingReport teaming = TeamingXml.inspect(domain.get().xml());
            destinationXml = TeamingXml.withPrimaryPciAddress(domain.get().xml(), m.getStatus().targetVf);
            if (teaming.primaryAttached()) {
                if (spec.isEmpty()) {
                    // Not synced yet, or stopping: nothing has started; the phase deadline bounds the wait.
                    return Outcome.recheckAfter(SOON);
                }
                BondSpec bond;
                try {
                    bond = bondFor(spec.get(), teaming.standbyDevice());
                } catch (HostNetworkException e) {
                    return Outcome.write(Transition.failure(MigrationPhase.RollingBack, Reasons.BOND_SWITCH_FAILED,
                            e.getMessage() + "; the migration did not start"));
                }
                automatic.put(vm, new AutoHandoff(teaming.primaryAlias(), bond,
                        new java.util.concurrent.atomic.AtomicReference<>(),
                        new java.util.concurrent.atomic.AtomicReference<>()));
            }
        }
        MigrationRequest request = new MigrationRequest(m.getStatus().targetMigrationUri, options.maxDowntimeMs,
                options.bandwidthMiBps, Boolean.TRUE.equals(options.autoConverge), Boolean.TRUE.equals(options.postCopy),
                true, true, destinationXml, transport, options.copyStorageOrDefault());
        jobs.register(uid, vm, clock.instant(), hypervisor.startMigration(vm, request),
                () -> onJobDone.accept(m));
        String message = "migrating " + vm + " to " + m.getStatus().targetNode + " (" + request.destinationUri() + ")";
        return Outcome.writeAndRecheck(Transition.to(MigrationPhase.Migrating, Reasons.MIGRATION_STARTED, message),
                config.progressInterval());
    }

    private Outcome progress(SriovMigration m, MigrationJobs.Job job) throws HypervisorException {
        Optional<Hypervisor.JobStats> stats;
        try {
            stats = hypervisor.jobStats(job.domain());
        } catch (HypervisorException e) {
            // At the switch-over the domain leaves this host a moment before libvirt reports the job's end, and
            // asking for job stats in between fails (no such domain). That is the migration finishing, not failing:
            // wait for the outcome, whose arrival wakes this controller.
            if (job.outcome().isPresent()) {
                return migrationEnded(m, job.outcome().get());
            }
            if (hypervisor.domain(job.domain()).isEmpty()) {
                return Outcome.recheckAfter(SOON);
            }
            throw e;
        }
        MigrationProgress previous = m.getStatus().progress;
        // The first sample one interval after the job started (not at once: the start was just written).
        Instant last = previous == null ? job.startedAt() : Timestamps.parse(previous.updatedAt);
        Instant now = clock.instant();
        if (stats.isEmpty() || (last != null && Duration.between(last, now).compareTo(config.progressInterval()) < 0)) {
            return Outcome.recheckAfter(config.progressInterval());
        }
        Hypervisor.JobStats s = stats.get();
        return Outcome.writeAndRecheck(Transition.to(MigrationPhase.Migrating, Reasons.MIGRATION_STARTED, null).with(st -> {
            MigrationProgress p = new MigrationProgress();
            p.percent = s.percent();
            p.dataTotalBytes = s.dataTotalBytes();
            p.dataProcessedBytes = s.dataProcessedBytes();
            p.dataRemainingBytes = s.dataRemainingBytes();
            p.memoryIteration = s.memoryIteration();
            p.elapsedMs = s.elapsedMs();
            p.updatedAt = Timestamps.format(now);
            st.progress = p;
        }), config.progressInterval());
    }

    private Outcome migrationEnded(SriovMigration m, MigrationResult result) {
        String vm = m.getSpec().vmName;
        if (result.succeeded()) {
            // The VM and its VF left this host: say so now, not at the next heartbeat, so the ledger and a next
            // migration of the VM do not see it here.
            reportInventory.run();
            String message = vm + " now runs on " + m.getStatus().targetNode + (vfState(m) ? " with its VF's state on VF "
                    + m.getStatus().targetVf : " on its standby path");
            AutoHandoff handoff = automatic.remove(vm);
            Instant removedAt = handoff == null ? null : handoff.removedAt().get();
            Instant switchedAt = handoff == null ? null : handoff.switchedAt().get();
            return Outcome.write(Transition.to(MigrationPhase.RestoringFastPath, Reasons.MIGRATED, message).with(s -> {
                if (removedAt != null && s.standbyStartedAt == null) {
                    s.standbyStartedAt = Timestamps.format(removedAt);
                    if (switchedAt != null) {
                        s.bondSwitchLagMs = max(s.bondSwitchLagMs, Math.max(0, Duration.between(removedAt, switchedAt)
                                .toMillis()));
                    }
                }
                s.migrationDowntimeMs = result.downtimeMs();
                if (s.progress != null) {
                    s.progress.percent = 100;
                    s.progress.dataRemainingBytes = 0L;
                }
                Conditions.set(s.conditions, ConditionTypes.MIGRATED, true, Reasons.MIGRATED, message,
                        s.observedGeneration, clock.instant());
            }));
        }
        automatic.remove(vm);
        String message = "libvirt could not migrate " + vm + " to " + m.getStatus().targetNode + ": " + result.error()
                + "; rolling back to " + config.nodeName();
        return Outcome.write(Transition.failure(MigrationPhase.RollingBack, Reasons.MIGRATION_FAILED, message).with(s ->
                Conditions.set(s.conditions, ConditionTypes.MIGRATED, false, Reasons.MIGRATION_FAILED, message,
                        s.observedGeneration, clock.instant())));
    }

    Outcome rollBack(SriovMigration m, HypervisorNicSpec spec) throws HypervisorException, HostNetworkException {
        String uid = m.getMetadata().getUid();
        String vm = m.getSpec().vmName;
        automatic.remove(vm);
        Optional<MigrationJobs.Job> job = jobs.get(uid);
        if ((job.isPresent() && job.get().outcome().isEmpty())
                || (job.isEmpty() && hypervisor.domain(vm).isPresent() && hypervisor.jobStats(vm).isPresent())) {
            // (after an agent restart libvirt may have finished the move: the domain is gone from this host, and
            // asking for its job would fail every retry instead of finding the rollback too late below)
            try {
                hypervisor.abortJob(vm);
            } catch (HypervisorException e) {
                return retryRollback(m, Reasons.ABORT_FAILED, "aborting the migration job of " + vm
                        + " failed, retrying: " + e.getMessage());
            }
            return Outcome.recheckAfter(SOON);
        }
        boolean migrated = job.flatMap(MigrationJobs.Job::outcome).map(MigrationResult::succeeded).orElse(false);
        Optional<DomainSnapshot> domain = hypervisor.domain(vm).filter(DomainSnapshot::isRunning);
        if (domain.isEmpty() || migrated) {
            // The VM left this host: say so now, as after a normal end of the copy (see migrationEnded).
            reportInventory.run();
            String message = "rollback too late: libvirt finished moving " + vm + " to " + m.getStatus().targetNode
                    + " before the abort; completing the migration there";
            return Outcome.write(Transition.failure(MigrationPhase.RestoringFastPath, Reasons.ROLLBACK_TOO_LATE, message));
        }
        if (vfState(m)) {
            return rolledBackKeepingVf(m, domain.get());
        }
        TeamingReport teaming = TeamingXml.inspect(domain.get().xml(), config.primaryDevice());
        TeamingSummary wanted = m.getStatus().teaming;
        boolean reattached = !teaming.primaryAttached() && m.getStatus().sourceVf != null && wanted != null;
        if (reattached) {
            hypervisor.attachDevice(vm, config.primaryDevice().deviceXml(wanted.mac, m.getStatus().sourceVf,
                    wanted.standbyAlias, TeamingXml.userAlias(wanted.primaryAlias), wanted.primaryVlan));
        }
        Instant attachedAt = clock.instant();
        String standbyDevice = teaming.standbyDevice() != null ? teaming.standbyDevice()
                : wanted == null ? null : wanted.standbyDevice;
        BondSpec bond = bondFor(spec, standbyDevice);
        String slave = m.getStatus().sourceVf != null ? bond.vfRepresentor : bond.sfRepresentor;
        Instant switched = network.setActiveSlave(bond.name, slave);
        if (reattached) {
            announce(hypervisor, vm);
        }
        if (m.getSpec().linkPolicy() == StandbyLinkPolicy.UpDuringMigration && m.getStatus().sourceVf != null) {
            TeamingReport now = TeamingXml.inspect(hypervisor.domain(vm).orElseThrow().xml(), config.primaryDevice());
            if (now.standbyLinkUp()) {
                hypervisor.updateDevice(vm, TeamingXml.withLinkState(now.standbyXml(), false));
            }
        }
        long lag = Math.max(0, Duration.between(attachedAt, switched).toMillis());
        String message = vm + " stays on " + config.nodeName() + " with its VF " + m.getStatus().sourceVf
                + " and bond " + bond.name + " on " + slave;
        return Outcome.write(Transition.to(MigrationPhase.RolledBack, Reasons.ROLLED_BACK, message).with(s -> {
            s.fastPathRestoredAt = Timestamps.format(switched);
            if (s.standbyStartedAt != null) {
                s.standbyWindowMs = Timestamps.millisBetween(s.standbyStartedAt, switched);
            }
            s.bondSwitchLagMs = max(s.bondSwitchLagMs, lag);
            Conditions.set(s.conditions, ConditionTypes.FAST_PATH_RESTORED, true, Reasons.ROLLED_BACK, message,
                    s.observedGeneration, clock.instant());
        }));
    }

    /** Method VfState: the VF was never detached, so the VM stays here as it was; say whether its VF is there. */
    private Outcome rolledBackKeepingVf(SriovMigration m, DomainSnapshot domain) {
        String vm = m.getSpec().vmName;
        String vf = m.getStatus().sourceVf;
        boolean attached = TeamingXml.passedThroughPciAddresses(domain.xml()).contains(vf);
        String message = attached ? vm + " stays on " + config.nodeName() + " with its VF " + vf
                + " (never detached: method VfState)" : vm + " stays on " + config.nodeName() + " but its VF " + vf
                + " is no longer passed through to it: something outside sriovlm detached it; attach it again";
        String reason = attached ? Reasons.ROLLED_BACK : Reasons.ATTACH_FAILED;
        Instant now = clock.instant();
        return Outcome.write(Transition.to(MigrationPhase.RolledBack, Reasons.ROLLED_BACK, message).with(s -> {
            s.fastPathRestoredAt = attached ? Timestamps.format(now) : null;
            Conditions.set(s.conditions, ConditionTypes.FAST_PATH_RESTORED, attached, reason, message,
                    s.observedGeneration, now);
        }));
    }

    /**
     * After a VF came back into a guest: QEMU announces the guest again (best effort; a failure only loses the
     * announce). On the real-hypervisor tier it shortened the longest echo gap after the plug (docs/real-hypervisors.md).
     */
    static void announce(Hypervisor hypervisor, String vm) {
        try {
            hypervisor.announceGuest(vm);
        } catch (HypervisorException | RuntimeException e) {
            org.jboss.logging.Logger.getLogger(SourceAgentSteps.class).debugf("announce of %s not sent: %s", vm,
                    e.getMessage());
        }
    }

    static boolean vfState(SriovMigration m) {
        return m.getStatus() != null && m.getStatus().method == MigrationMethod.VfState;
    }

    private Outcome onError(SriovMigration m, Exception e) {
        MigrationPhase phase = m.getStatus().phase;
        String message = e.getMessage();
        return switch (phase) {
            case SwitchingToStandby -> Outcome.write(Transition.failure(MigrationPhase.RollingBack,
                    e instanceof HostNetworkException ? Reasons.BOND_SWITCH_FAILED : Reasons.DETACH_FAILED,
                    message + "; rolling back"));
            case Migrating -> Outcome.write(Transition.failure(MigrationPhase.RollingBack, Reasons.MIGRATION_FAILED,
                    message + "; rolling back"));
            default -> retryRollback(m, e instanceof HostNetworkException ? Reasons.BOND_SWITCH_FAILED
                    : Reasons.ATTACH_FAILED, "rollback step failed, retrying: " + message);
        };
    }

    /**
     * RollingBack must not give up: the VM is on its standby path until it succeeds. The retry is said in the
     * message and the FastPathRestored condition; failureReason keeps the cause of the rollback (the cancel, the
     * deadline, libvirt's error), which is what the migration ends with.
     */
    private Outcome retryRollback(SriovMigration m, String reason, String why) {
        return Outcome.writeAndRecheck(Transition.to(m.getStatus().phase, reason, why).with(s -> Conditions.set(
                s.conditions, ConditionTypes.FAST_PATH_RESTORED, false, reason, why, s.observedGeneration,
                clock.instant())), Duration.ofSeconds(1));
    }

    private BondSpec bondFor(HypervisorNicSpec spec, String standbyDevice) throws HostNetworkException {
        return HostObservation.bondFor(spec, standbyDevice).orElseThrow(() -> new HostNetworkException(
                "HypervisorNic of " + config.nodeName() + " has no bond for SF netdev " + standbyDevice
                        + "; add it to spec.bonds"));
    }

    private Duration waitBudget(SriovMigration m) {
        Instant deadline = Timestamps.parse(m.getStatus().phaseDeadline);
        Duration left = deadline == null ? config.maxStepWait() : Duration.between(clock.instant(), deadline);
        return left.compareTo(config.maxStepWait()) < 0 ? (left.isNegative() ? Duration.ZERO : left) : config.maxStepWait();
    }

    static Long max(Long a, long b) {
        return a == null ? b : Math.max(a, b);
    }

    static SriovMigrationStatus status(SriovMigration m) {
        return m.getStatus();
    }
}
