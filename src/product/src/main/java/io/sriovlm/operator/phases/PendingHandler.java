package io.sriovlm.operator.phases;

import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.sriovlm.api.v1alpha1.GuestFailover;
import io.sriovlm.api.v1alpha1.HypervisorNic;
import io.sriovlm.api.v1alpha1.VmInventoryStatus.VmStatus;
import io.sriovlm.api.v1alpha1.MigrationMethod;
import io.sriovlm.common.VfStateSupport;
import io.sriovlm.api.v1alpha1.MigrationPhase;
import io.sriovlm.api.v1alpha1.SriovMigration;
import io.sriovlm.api.v1alpha1.SriovMigrationSpec;
import io.sriovlm.common.Conditions;
import io.sriovlm.common.Listing;
import io.sriovlm.api.v1alpha1.ConditionTypes;
import io.sriovlm.api.v1alpha1.MigrationTransport;
import io.sriovlm.api.v1alpha1.Reasons;
import io.sriovlm.api.v1alpha1.VmInventoryStatus;
import io.sriovlm.statemachine.Outcome;
import io.sriovlm.statemachine.Transition;
import io.sriovlm.operator.placement.NicHealth;
import io.sriovlm.operator.placement.TargetSelector;
import io.sriovlm.operator.placement.TeamingMacs;

import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Pending (owner: operator): validate the spec against the world, resolve the source node, refuse a second active
 * migration of the same VM, and wait for a concurrency slot and a possible target. Pure.
 */
public final class PendingHandler {
    static final Duration RECHECK = Duration.ofSeconds(5);

    private PendingHandler() {
    }

    public static Decision decide(SriovMigration m, ClusterView view) {
        SriovMigrationSpec spec = m.getSpec();
        String vm = spec.vmName;
        if (spec.dryRunRequested()) {
            return Decision.of(DryRunHandler.decide(m, view));
        }
        Optional<SriovMigration> earlier = earlierActiveMigrationOf(m, view);
        if (earlier.isPresent()) {
            String other = Cache.metaNamespaceKeyFunc(earlier.get());
            return Decision.of(fail(view, Reasons.ALREADY_MIGRATING, "VM " + vm + " is already being moved by SriovMigration " + other
                    + "; wait for it to finish (or cancel it), then create a new SriovMigration"));
        }
        List<String> nodesWithVm = view.nodesReporting(vm);
        String source;
        if (spec.sourceNode != null) {
            if (!view.nicsByNode().containsKey(spec.sourceNode)) {
                return Decision.of(fail(view, Reasons.VM_NOT_FOUND, "spec.sourceNode " + spec.sourceNode
                        + " has no HypervisorNic, so no agent reports VMs there; fix spec.sourceNode"
                        + (nodesWithVm.isEmpty() ? "" : " (" + vm + " runs on " + String.join(", ", nodesWithVm) + ")")));
            }
            if (!nodesWithVm.contains(spec.sourceNode)) {
                return Decision.of(fail(view, Reasons.VM_NOT_FOUND, "VM " + vm + " is not running on " + spec.sourceNode
                        + (nodesWithVm.isEmpty() ? " nor on any other node with a HypervisorNic"
                                : "; it runs on " + String.join(", ", nodesWithVm))
                        + "; fix spec.vmName or spec.sourceNode"));
            }
            source = spec.sourceNode;
        } else if (nodesWithVm.isEmpty()) {
            return Decision.of(fail(view, Reasons.VM_NOT_FOUND, "VM " + vm + " is not running on any node with a HypervisorNic (checked "
                    + Listing.firstFew(view.nicsByNode().keySet().stream().sorted().toList(), ", ", "node(s)")
                    + "); fix spec.vmName or start the VM"));
        } else if (nodesWithVm.size() > 1) {
            return Decision.of(fail(view, Reasons.VM_ON_SEVERAL_NODES, "VM " + vm + " is reported on " + String.join(" and ", nodesWithVm)
                    + "; set spec.sourceNode, and check that only one copy of the domain runs"));
        } else {
            source = nodesWithVm.get(0);
        }
        HypervisorNic sourceNic = view.nicsByNode().get(source);
        Optional<String> sourceProblem = NicHealth.problem(sourceNic, view.nodes().get(source),
                view.liveness());
        if (sourceProblem.isPresent()) {
            return Decision.of(waitWith(view, m, ConditionTypes.VALID, Reasons.SOURCE_NOT_READY, "source " + source + " is not Ready: "
                    + sourceProblem.get()));
        }
        VmStatus vmStatus = view.vmOn(source, vm).orElseThrow();
        Optional<VmInventoryStatus.VfStatus> plainVf = MethodChoice.vfOutsideTeaming(
                view.inventoriesByNode().get(source), vm);
        MethodChoice.Result method = MethodChoice.of(MethodChoice.requested(spec, view.pools(),
                view.nodes().get(source)), vm, source, vmStatus, plainVf);
        if (method instanceof MethodChoice.Refused refused) {
            return Decision.of(fail(view, Reasons.VF_STATE_NOT_POSSIBLE, refused.message()));
        }
        MethodChoice.Chosen chosen = (MethodChoice.Chosen) method;
        boolean vfState = chosen.method() == MigrationMethod.VfState;
        if (!vfState && !Boolean.TRUE.equals(vmStatus.teamingValid)) {
            return Decision.of(fail(view, Reasons.TEAMING_INVALID, "VM " + vm + " on " + source + " has no valid teaming pair: "
                    + String.join("; ", vmStatus.problems == null ? List.of("unknown problem") : vmStatus.problems)
                    + ". Fix the domain XML (see docs/troubleshooting.md)" + plainVf.map(v -> "; its VF " + v.pciAddress
                            + " is passed through without teaming: spec.method VfState (or Auto) moves it between"
                            + " hosts that support VF-state migration").orElse("")));
        }
        if (!vfState) {
            String mac = vmStatus.teaming == null ? null : vmStatus.teaming.mac;
            Optional<String> sameMac = TeamingMacs.refusal(vm, source, mac, view.inventoriesUsingMac(mac));
            if (sameMac.isPresent()) {
                return Decision.of(fail(view, Reasons.DUPLICATE_MAC, sameMac.get()));
            }
            Optional<String> noFailover = guestFailoverProblem(vm, source, vmStatus);
            if (noFailover.isPresent()) {
                return Decision.of(fail(view, Reasons.GUEST_FAILOVER_INACTIVE, noFailover.get()));
            }
        }
        if (spec.targetNode != null && spec.targetNode.equals(source)) {
            return Decision.of(fail(view, Reasons.SOURCE_IS_TARGET, "spec.targetNode " + spec.targetNode + " is the node " + vm
                    + " already runs on; choose another node or leave targetNode empty"));
        }
        // The VF is reserved as the migration leaves Pending, under the same admission decision that gives it a
        // slot: a migration admitted on a VF that another one then reserves would hold a slot while it waits.
        Optional<TargetSelector.Choice> held = SchedulingHandler.heldReservation(m, view);
        TargetSelector.Result placement = held.<TargetSelector.Result>map(c -> c)
                .orElseGet(() -> SchedulingHandler.select(m, source, vmStatus, view, chosen.sourceVf()));
        if (placement instanceof TargetSelector.Refusal refusal) {
            if (!refusal.retryable()) {
                return Decision.of(fail(view, refusal.reason(), refusal.message()));
            }
            return Decision.of(waitForPlacement(view, m, refusal));
        }
        Optional<String> transport = transportProblem(m, ((TargetSelector.Choice) placement).node(), view);
        if (transport.isPresent()) {
            return Decision.of(fail(view, Reasons.TRANSPORT_REFUSED, transport.get()));
        }
        long inFlight = view.inFlight().size();
        if (inFlight >= view.config().maxInFlight()) {
            return Decision.of(waitWith(view, m, ConditionTypes.SCHEDULED, Reasons.WAITING_FOR_SLOT, inFlight
                    + " migrations are in flight (the cluster limit is " + view.config().maxInFlight()
                    + "); waiting for a slot"));
        }
        OutboundLanes.Admission lane = OutboundLanes.of(view, source).admit(view.config().maxOutboundPerNode(),
                view.config().prepareAhead());
        if (lane instanceof OutboundLanes.Full full) {
            return Decision.of(waitWith(view, m, ConditionTypes.SCHEDULED, Reasons.WAITING_FOR_SLOT, full.heads()
                    + " migrations are leaving " + source + " (the per-node limit is "
                    + view.config().maxOutboundPerNode() + ")" + (view.config().prepareAhead() ? " and "
                            + full.followers() + " are prepared behind them" : "") + "; waiting for a slot"));
        }
        SriovMigration predecessor = lane instanceof OutboundLanes.Behind behind ? behind.predecessor() : null;
        String message = "VM " + vm + " found on " + source + (vfState ? " with VF " + chosen.sourceVf().pciAddress
                + " passed through (method VfState)" : " with a valid teaming pair") + (predecessor == null ? ""
                : "; its target is prepared while " + Cache.metaNamespaceKeyFunc(predecessor) + " leaves " + source
                        + ", whose outbound lane it takes next");
        Transition next = Transition.to(MigrationPhase.Scheduling, Reasons.ACCEPTED, message).with(s -> {
            s.sourceNode = source;
            s.method = chosen.method();
            s.teaming = vfState ? null : vmStatus.teaming;
            s.sourceVf = vfState ? chosen.sourceVf().pciAddress
                    : vmStatus.teaming == null ? null : vmStatus.teaming.primaryPciAddress;
            Conditions.set(s.conditions, ConditionTypes.METHOD_CHOSEN, true, chosen.reason(),
                    methodMessage(chosen, source, placement, view), m.getMetadata().getGeneration(), view.now());
            s.predecessor = predecessor == null ? null : Cache.metaNamespaceKeyFunc(predecessor);
            s.predecessorUid = predecessor == null ? null : predecessor.getMetadata().getUid();
            if (held.isEmpty()) {
                s.placementReason = ((TargetSelector.Choice) placement).reason();
            }
            Conditions.set(s.conditions, ConditionTypes.VALID, true, Reasons.ACCEPTED, message,
                    m.getMetadata().getGeneration(), view.now());
        });
        return held.isPresent() ? Decision.of(Outcome.write(next))
                : Decision.reserveAndMove((TargetSelector.Choice) placement, next);
    }

    /**
     * Why the target's published migration URI does not fit the transport the spec asks for (TLS unless turned off),
     * decided before any slot, reservation or host step. A target whose agent has not published a URI yet is the
     * source agent's to report.
     */
    static Optional<String> transportProblem(SriovMigration m, String target, ClusterView view) {
        HypervisorNic nic = view.nicsByNode().get(target);
        String uri = nic == null || nic.getStatus() == null ? null : nic.getStatus().migrationUri;
        if (uri == null) {
            return Optional.empty();
        }
        return MigrationTransport.problem(uri, MigrationTransport.of(m.getSpec().options))
                .map(p -> "target " + target + ": " + p);
    }

    /** The oldest other unfinished migration of the same VM, if it is older than this one or already running. */
    static Optional<SriovMigration> earlierActiveMigrationOf(SriovMigration m, ClusterView view) {
        Comparator<SriovMigration> age = Comparator
                .comparing((SriovMigration o) -> o.getMetadata().getCreationTimestamp() == null ? ""
                        : o.getMetadata().getCreationTimestamp())
                .thenComparing(o -> o.getMetadata().getNamespace() + "/" + o.getMetadata().getName());
        return view.migrations().stream()
                .filter(o -> !o.getMetadata().getUid().equals(m.getMetadata().getUid()))
                .filter(o -> m.getSpec().vmName.equals(o.getSpec().vmName))
                .filter(o -> !o.getSpec().dryRunRequested()) // a dry run waiting for its source check moves nothing
                .filter(ClusterView::isActive)
                .filter(o -> ClusterView.holdsSlot(o) || age.compare(o, m) < 0)
                .min(age);
    }

    static Outcome fail(ClusterView view, String reason, String message) {
        String type = reason.equals(Reasons.POOL_NOT_FOUND) || reason.equals(Reasons.NO_TARGET) ? ConditionTypes.SCHEDULED
                : reason.equals(Reasons.VF_STATE_NOT_POSSIBLE) ? ConditionTypes.METHOD_CHOSEN : ConditionTypes.VALID;
        return Outcome.write(Transition.failure(MigrationPhase.Failed, reason, message).with(s -> Conditions.set(
                s.conditions, type, false, reason, message, s.observedGeneration, view.now())));
    }

    /** The MethodChosen condition's message: the method and why, with both hosts' facts for VfState. */
    static String methodMessage(MethodChoice.Chosen chosen, String source, TargetSelector.Result placement,
            ClusterView view) {
        if (chosen.method() != MigrationMethod.VfState || !(placement instanceof TargetSelector.Choice choice)) {
            return chosen.message();
        }
        HypervisorNic target = view.nicsByNode().get(choice.node());
        HypervisorNic from = view.nicsByNode().get(source);
        return chosen.message() + ": VF " + chosen.sourceVf().pciAddress + " on " + source + " and VF "
                + choice.vfPciAddress() + " on " + choice.node() + " are bound to " + VfStateSupport.VARIANT_DRIVER
                + "; " + source + ": " + VfStateSupport.describe(from == null || from.getStatus() == null ? null
                        : from.getStatus().vfStateMigration) + "; " + choice.node() + ": "
                + VfStateSupport.describe(target == null || target.getStatus() == null ? null
                        : target.getStatus().vfStateMigration);
    }

    /**
     * Why the guest would lose its network when its VF is unplugged, as its QEMU reports the standby NIC's
     * VIRTIO_NET_F_STANDBY; empty when failover is active or the agent cannot tell.
     */
    static Optional<String> guestFailoverProblem(String vm, String source, VmStatus vmStatus) {
        String alias = vmStatus.teaming == null ? "(unknown)" : vmStatus.teaming.standbyAlias;
        if (vmStatus.guestFailover == GuestFailover.NotOffered) {
            return Optional.of("the standby NIC " + alias + " of VM " + vm + " on " + source + " is not offered"
                    + " VIRTIO_NET_F_STANDBY: QEMU runs it without failover=on, which libvirt adds for <teaming"
                    + " type='persistent'/> when the domain starts; restart the VM with its teamed XML");
        }
        if (vmStatus.guestFailover == GuestFailover.NotNegotiated) {
            return Optional.of("the guest of VM " + vm + " on " + source + " did not accept VIRTIO_NET_F_STANDBY on its"
                    + " standby NIC " + alias + ": net_failover is not active in it, and unplugging the VF would leave"
                    + " it without a network; the guest needs a kernel with virtio_net and net_failover (Linux ≥ 4.18)"
                    + " that has bound the NIC (retry once it has booted)");
        }
        return Optional.empty();
    }

    /** Stay in the current phase and say why, writing only when the reason or message changed. */
    static Outcome waitWith(ClusterView view, SriovMigration m, String conditionType, String reason, String message) {
        return waitWith(view, m, conditionType, reason, message, false);
    }

    /**
     * The same for a wait a person may have to end (no target qualifies, the target VF is set up differently): a
     * Warning Event each time the reason to wait changes, as the scheduler's FailedScheduling.
     */
    static Outcome waitForPlacement(ClusterView view, SriovMigration m, TargetSelector.Refusal refusal) {
        return waitWith(view, m, ConditionTypes.SCHEDULED, refusal.reason(), refusal.message()
                + "; the migration waits and retries", true);
    }

    private static Outcome waitWith(ClusterView view, SriovMigration m, String conditionType, String reason,
            String message, boolean announceNewReason) {
        var current = Conditions.find(m.getStatus().conditions, conditionType);
        boolean unchanged = current.map(c -> reason.equals(c.getReason()) && message.equals(c.getMessage())).orElse(false);
        if (unchanged) {
            return Outcome.recheckAfter(RECHECK);
        }
        boolean newReason = current.map(c -> !reason.equals(c.getReason())).orElse(true);
        Transition t = Transition.to(m.getStatus().phase, reason, message).with(s -> Conditions.set(
                s.conditions, conditionType, false, reason, message, m.getMetadata().getGeneration(), view.now()));
        return Outcome.writeAndRecheck(announceNewReason && newReason ? t.announced() : t, RECHECK);
    }
}
