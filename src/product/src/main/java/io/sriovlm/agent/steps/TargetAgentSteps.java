package io.sriovlm.agent.steps;

import io.sriovlm.statemachine.Outcome;
import io.sriovlm.agent.AgentConfig;
import io.sriovlm.agent.HostObservation;
import io.sriovlm.agent.hostnet.HostNetwork;
import io.sriovlm.agent.hostnet.HostNetworkException;
import io.sriovlm.agent.libvirt.Hypervisor;
import io.sriovlm.agent.libvirt.Hypervisor.DomainSnapshot;
import io.sriovlm.agent.libvirt.HypervisorException;
import io.sriovlm.agent.libvirt.TeamingReport;
import io.sriovlm.agent.libvirt.TeamingXml;
import io.sriovlm.api.v1alpha1.HypervisorNicSpec;
import io.sriovlm.api.v1alpha1.HypervisorNicSpec.BondSpec;
import io.sriovlm.api.v1alpha1.MigrationPhase;
import io.sriovlm.api.v1alpha1.SriovMigration;
import io.sriovlm.api.v1alpha1.StandbyLinkPolicy;
import io.sriovlm.api.v1alpha1.TeamingSummary;
import io.sriovlm.api.v1alpha1.VfHandoff;
import io.sriovlm.common.Conditions;
import io.sriovlm.common.Timestamps;
import io.sriovlm.api.v1alpha1.ConditionTypes;
import io.sriovlm.api.v1alpha1.Reasons;
import io.sriovlm.statemachine.Transition;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * The target agent's phases: Preparing (check the standby path and the reserved VF) and RestoringFastPath (attach
 * the reserved VF, bond to the VF representor). RestoringFastPath retries with backoff and never gives up by
 * itself: the VM already runs here on its standby path, which works, and the status says so.
 */
public final class TargetAgentSteps {
    private static final Duration SOON = Duration.ofMillis(100);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);
    /**
     * UpDuringMigration: how long the standby link stays up after the VF is back. net_failover uses the VF only once
     * the guest's VF driver has probed it and seen its link; lowering the standby link at the plug left the guest
     * without a working link until then (on the real-hypervisor tier the longest gap doubled, 0.40 → 0.84 s medians;
     * docs/real-hypervisors.md, "Standby link policies"). A real VF's driver needs a few seconds at most.
     */
    static final Duration STANDBY_LINK_GRACE = Duration.ofSeconds(3);

    private final Hypervisor hypervisor;
    private final HostNetwork network;
    private final Supplier<Optional<HypervisorNicSpec>> nicSpec;
    private final AgentConfig config;
    private final Clock clock;
    private final Runnable reportInventory;
    private final Map<String, Integer> attachAttempts = new ConcurrentHashMap<>();
    /** When the VF came back and the bond followed, by migration UID, kept while the standby link's grace runs. */
    private final Map<String, Restored> restored = new ConcurrentHashMap<>();
    /** Migrations whose guest was announced after its VF came back (once each; again after an agent restart). */
    private final java.util.Set<String> announced = ConcurrentHashMap.newKeySet();

    private record Restored(Instant attachedAt, Instant switchedAt) {
    }
    /** Automatic handoff: VMs whose reserved VF QEMU will plug here, by domain name. */
    private final Map<String, ExpectedPlug> expectedPlugs = new ConcurrentHashMap<>();

    /** The VF QEMU plugs at the end of an automatic-handoff migration, and when the bond followed it. */
    private record ExpectedPlug(String vfPciAddress, BondSpec bond, AtomicReference<Instant> pluggedAt,
            AtomicReference<Instant> switchedAt) {
    }

    public TargetAgentSteps(Hypervisor hypervisor, HostNetwork network, Supplier<Optional<HypervisorNicSpec>> nicSpec,
            AgentConfig config, Clock clock, Runnable reportInventory) {
        this.hypervisor = hypervisor;
        this.network = network;
        this.nicSpec = nicSpec;
        this.config = config;
        this.clock = clock;
        this.reportInventory = reportInventory;
        hypervisor.addDeviceListener(this::onDeviceEvent);
    }

    /**
     * Automatic handoff: QEMU plugs the reserved VF as the migration ends; the bond follows libvirt's device-added
     * event at once rather than waiting for the phase change to reach this agent through the API.
     */
    private void onDeviceEvent(Hypervisor.DeviceEvent event) {
        ExpectedPlug plug = expectedPlugs.get(event.domain());
        if (plug == null || event.kind() != Hypervisor.DeviceEvent.Kind.ADDED) {
            return;
        }
        try {
            Optional<DomainSnapshot> domain = hypervisor.domain(event.domain());
            if (domain.isEmpty() || !plug.vfPciAddress().equals(
                    TeamingXml.inspect(domain.get().xml(), config.primaryDevice()).primaryPciAddress())) {
                return;
            }
            plug.pluggedAt().compareAndSet(null, event.at());
            plug.switchedAt().compareAndSet(null, network.setActiveSlave(plug.bond().name, plug.bond().vfRepresentor));
        } catch (HostNetworkException | RuntimeException e) {
            org.jboss.logging.Logger.getLogger(TargetAgentSteps.class).warnf(e,
                    "bond %s not switched to the VF representor on %s's device-added event; RestoringFastPath will",
                    plug.bond().name, event.domain());
        }
    }

    public Outcome step(SriovMigration m) {
        MigrationPhase phase = m.getStatus().phase;
        if (phase != MigrationPhase.Preparing && phase != MigrationPhase.RestoringFastPath) {
            return Outcome.nothing();
        }
        // Read once per step: a stopping agent's informer empties between two reads.
        Optional<HypervisorNicSpec> spec = nicSpec.get();
        if (spec.isEmpty()) {
            // A just-started agent may run a step before its HypervisorNic informer has synced, a stopping one after
            // it stopped: that is not the host failing. Look again; the phase deadline bounds the wait.
            return Outcome.recheckAfter(SOON);
        }
        return phase == MigrationPhase.Preparing ? prepare(m, spec.get()) : restoreFastPath(m, spec.get());
    }

    /**
     * Drops what this process remembers of a migration's restore once it has left RestoringFastPath by any way
     * (succeeded, or ended by its deadline, a cancel or a deletion while it waited), which the step itself never sees.
     */
    public void forgetUnlessRestoring(SriovMigration m) {
        if (m.getStatus() != null && m.getStatus().phase != MigrationPhase.RestoringFastPath) {
            forget(m.getMetadata().getUid());
        }
    }

    private void forget(String uid) {
        restored.remove(uid);
        announced.remove(uid);
        attachAttempts.remove(uid);
    }

    Outcome prepare(SriovMigration m, HypervisorNicSpec spec) {
        String standbyDevice = m.getStatus().teaming == null ? null : m.getStatus().teaming.standbyDevice;
        String vf = m.getStatus().targetVf;
        try {
            if (SourceAgentSteps.vfState(m)) {
                requireFreeVf(spec, vf);
                return prepared(m, config.nodeName() + " ready: VF " + vf + " free to receive the VF state of "
                        + m.getSpec().vmName + " (method VfState)");
            }
            BondSpec bond = HostObservation.bondFor(spec, standbyDevice).orElseThrow(() -> new HostNetworkException(
                    "no bond for SF netdev " + standbyDevice + " in the HypervisorNic of " + config.nodeName()));
            if (!network.netdevExists(standbyDevice)) {
                throw new HostNetworkException("SF netdev " + standbyDevice + " (the VM's standby path) does not exist on "
                        + config.nodeName() + "; create and rename the SF as on the source");
            }
            requireFreeVf(spec, vf);
            network.setActiveSlave(bond.name, bond.sfRepresentor);
            if (m.getSpec().handoff() == VfHandoff.Automatic) {
                expectedPlugs.put(m.getSpec().vmName, new ExpectedPlug(vf, bond, new AtomicReference<>(),
                        new AtomicReference<>()));
            }
            return prepared(m, config.nodeName() + " ready: SF netdev " + standbyDevice + ", bond " + bond.name
                    + " on SF representor " + bond.sfRepresentor + ", VF " + vf + " free");
        } catch (HostNetworkException e) {
            if (SourceAgentSteps.interrupted(e)) {
                // The agent is shutting down (its step thread interrupted): the host did not fail. Decide nothing;
                // the next agent re-runs the step.
                Thread.currentThread().interrupt();
                return Outcome.recheckAfter(SOON);
            }
            String message = "target " + config.nodeName() + " is not ready for " + m.getSpec().vmName + ": "
                    + e.getMessage() + "; nothing was changed";
            return Outcome.write(Transition.failure(MigrationPhase.Failed, Reasons.TARGET_NOT_PREPARED, message).with(s ->
                    Conditions.set(s.conditions, ConditionTypes.TARGET_PREPARED, false, Reasons.TARGET_NOT_PREPARED,
                            message, s.observedGeneration, clock.instant())));
        }
    }

    /** The reserved VF is one of this PF's and no running domain has it (teamed or passed through otherwise). */
    private void requireFreeVf(HypervisorNicSpec spec, String vf) throws HostNetworkException {
        boolean present = network.listVfs(spec.pf.name).stream().anyMatch(v -> v.pciAddress().equals(vf));
        if (!present) {
            throw new HostNetworkException("reserved VF " + vf + " is not a VF of " + spec.pf.name + " on "
                    + config.nodeName());
        }
        for (DomainSnapshot domain : hypervisor.listDomains()) {
            if (domain.isRunning() && TeamingXml.passedThroughPciAddresses(domain.xml()).contains(vf)) {
                throw new HostNetworkException("reserved VF " + vf + " is attached to domain " + domain.name()
                        + " on " + config.nodeName() + "; the pool ledger is out of date");
            }
        }
    }

    /** Prepared: on to the source, at once or behind the predecessor that holds its outbound lane. */
    private Outcome prepared(SriovMigration m, String message) {
        // Admitted behind another migration of the source: the source agent starts it when that one has left.
        String predecessor = m.getStatus().predecessorUid == null ? null : m.getStatus().predecessor;
        MigrationPhase next = predecessor == null ? MigrationPhase.SwitchingToStandby : MigrationPhase.TargetReady;
        String said = predecessor == null ? message : message + "; waits for " + predecessor + " to leave "
                + m.getStatus().sourceNode;
        return Outcome.write(Transition.to(next, Reasons.PREPARED, said).with(s ->
                Conditions.set(s.conditions, ConditionTypes.TARGET_PREPARED, true, Reasons.PREPARED, message,
                        s.observedGeneration, clock.instant())));
    }

    Outcome restoreFastPath(SriovMigration m, HypervisorNicSpec spec) {
        String vm = m.getSpec().vmName;
        String uid = m.getMetadata().getUid();
        try {
            Optional<DomainSnapshot> domain = hypervisor.domain(vm).filter(DomainSnapshot::isRunning);
            if (domain.isEmpty()) {
                // libvirt is still finishing the switchover on this side.
                return Outcome.recheckAfter(SOON);
            }
            if (SourceAgentSteps.vfState(m)) {
                return arrivedWithVf(m, domain.get());
            }
            TeamingReport teaming = TeamingXml.inspect(domain.get().xml(), config.primaryDevice());
            TeamingSummary wanted = m.getStatus().teaming;
            String vf = m.getStatus().targetVf;
            Instant attachedAt = clock.instant();
            if (!vf.equals(teaming.primaryPciAddress())) {
                hypervisor.attachDevice(vm, config.primaryDevice().deviceXml(wanted.mac, vf, wanted.standbyAlias,
                        TeamingXml.userAlias(wanted.primaryAlias), wanted.primaryVlan));
                attachedAt = clock.instant();
            }
            BondSpec bond = HostObservation.bondFor(spec, wanted.standbyDevice).orElseThrow(() ->
                    new HostNetworkException("no bond for SF netdev " + wanted.standbyDevice + " on " + config.nodeName()));
            ExpectedPlug plug = expectedPlugs.get(vm);
            Instant switched;
            if (plug != null && plug.switchedAt().get() != null && vf.equals(plug.vfPciAddress())) {
                // The device-added event already moved the bond; measure from the plug, not from this step.
                network.setActiveSlave(bond.name, bond.vfRepresentor);
                attachedAt = plug.pluggedAt().get();
                switched = plug.switchedAt().get();
            } else {
                switched = network.setActiveSlave(bond.name, bond.vfRepresentor);
            }
            if (announced.add(uid)) {
                SourceAgentSteps.announce(hypervisor, vm);
            }
            if (m.getSpec().linkPolicy() == StandbyLinkPolicy.UpDuringMigration) {
                // The first pass's times count: a later pass (after the grace) only lowers the link.
                Restored pass = new Restored(attachedAt, switched);
                Restored first = restored.computeIfAbsent(uid, k -> pass);
                attachedAt = first.attachedAt();
                switched = first.switchedAt();
                TeamingReport now = TeamingXml.inspect(hypervisor.domain(vm).orElseThrow().xml(), config.primaryDevice());
                if (now.standbyLinkUp()) {
                    Duration left = STANDBY_LINK_GRACE.minus(Duration.between(first.attachedAt(), clock.instant()));
                    if (!left.isNegative() && !left.isZero()) {
                        return Outcome.recheckAfter(left);
                    }
                    hypervisor.updateDevice(vm, TeamingXml.withLinkState(now.standbyXml(), false));
                }
            }
            forget(uid);
            expectedPlugs.remove(vm);
            reportInventory.run();
            long lag = Math.max(0, Duration.between(attachedAt, switched).toMillis());
            Instant restoredAt = switched;
            String message = vm + " runs on " + config.nodeName() + " with VF " + vf + " and bond " + bond.name
                    + " on VF representor " + bond.vfRepresentor;
            return Outcome.write(Transition.to(MigrationPhase.Succeeded, Reasons.FAST_PATH_RESTORED, message).with(s -> {
                s.fastPathRestoredAt = Timestamps.format(restoredAt);
                if (s.standbyStartedAt != null) {
                    s.standbyWindowMs = Timestamps.millisBetween(s.standbyStartedAt, restoredAt);
                }
                s.bondSwitchLagMs = SourceAgentSteps.max(s.bondSwitchLagMs, lag);
                Conditions.set(s.conditions, ConditionTypes.FAST_PATH_RESTORED, true, Reasons.FAST_PATH_RESTORED,
                        message, s.observedGeneration, clock.instant());
            }));
        } catch (HypervisorException | HostNetworkException e) {
            return retryRestore(m, e);
        }
    }

    /**
     * Method VfState: libvirt brought the VM here with the reserved VF and its state; there is nothing to attach or
     * switch, only to confirm that the live XML passes that VF through.
     */
    private Outcome arrivedWithVf(SriovMigration m, DomainSnapshot domain) throws HypervisorException {
        String vm = m.getSpec().vmName;
        String vf = m.getStatus().targetVf;
        if (!TeamingXml.passedThroughPciAddresses(domain.xml()).contains(vf)) {
            throw new HypervisorException(vm + " arrived on " + config.nodeName() + " without VF " + vf
                    + " in its live XML (method VfState)");
        }
        attachAttempts.remove(m.getMetadata().getUid());
        reportInventory.run();
        Instant now = clock.instant();
        String message = vm + " runs on " + config.nodeName() + " with VF " + vf + ", its state moved by libvirt"
                + " (method VfState)";
        return Outcome.write(Transition.to(MigrationPhase.Succeeded, Reasons.FAST_PATH_RESTORED, message).with(s -> {
            s.fastPathRestoredAt = Timestamps.format(now);
            Conditions.set(s.conditions, ConditionTypes.FAST_PATH_RESTORED, true, Reasons.FAST_PATH_RESTORED,
                    message, s.observedGeneration, now);
        }));
    }

    private Outcome retryRestore(SriovMigration m, Exception e) {
        String vm = m.getSpec().vmName;
        int attempt = attachAttempts.merge(m.getMetadata().getUid(), 1, Integer::sum);
        Duration backoff = Duration.ofMillis(Math.min(MAX_BACKOFF.toMillis(), 500L << Math.min(attempt - 1, 6)));
        String where = SourceAgentSteps.vfState(m) ? vm + " runs on " + config.nodeName() + "; confirming its VF"
                : vm + " runs on " + config.nodeName() + " on its standby path (working, without the VF); restoring the"
                        + " fast path";
        String message = where + " failed (attempt " + attempt + "), retrying in " + backoff.toMillis() + " ms: "
                + e.getMessage();
        // A retry, not a verdict: failureReason stays as it is (a Succeeded migration does not carry it); the
        // cause is in the message and the FastPathRestored condition, which a deadline's Failed points to.
        String reason = e instanceof HostNetworkException ? Reasons.BOND_SWITCH_FAILED : Reasons.ATTACH_FAILED;
        return Outcome.writeAndRecheck(Transition.to(MigrationPhase.RestoringFastPath, reason, message)
                .with(s -> Conditions.set(s.conditions, ConditionTypes.FAST_PATH_RESTORED, false,
                        reason, message, s.observedGeneration, clock.instant())), backoff);
    }
}
