package io.sriovlm.operator.phases;

import io.sriovlm.api.v1alpha1.HypervisorNic;
import io.sriovlm.api.v1alpha1.HypervisorNicStatus.BondStatus;
import io.sriovlm.api.v1alpha1.VmInventoryStatus.VmStatus;
import io.sriovlm.api.v1alpha1.MigrationMethod;
import io.sriovlm.api.v1alpha1.MigrationPhase;
import io.sriovlm.api.v1alpha1.SriovMigration;
import io.sriovlm.api.v1alpha1.SriovMigrationSpec;
import io.sriovlm.api.v1alpha1.VfPool;
import io.sriovlm.api.v1alpha1.VmInventory;
import io.sriovlm.common.Conditions;
import io.sriovlm.api.v1alpha1.ConditionTypes;
import io.sriovlm.api.v1alpha1.MigrationTransport;
import io.sriovlm.api.v1alpha1.Reasons;
import io.sriovlm.api.v1alpha1.VmInventoryStatus;
import io.sriovlm.statemachine.Outcome;
import io.sriovlm.statemachine.Transition;
import io.sriovlm.operator.placement.NicHealth;
import io.sriovlm.operator.placement.TargetSelector;
import io.sriovlm.operator.placement.TeamingMacs;
import io.sriovlm.operator.placement.VfConfigMatch;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A dry run ({@code spec.dryRun: true}): every check of Pending, Scheduling and Preparing, each reported as its own
 * condition, decided from the operator's informer caches and ended in a terminal phase. Nothing is written but the
 * migration's own status and its source-node label: no VF reservation, no concurrency slot, no target label. The
 * target agent's Preparing checks (SF netdev, bond on the SF representor, paired VF present and unattached) are read
 * from the inventory that agent publishes in its HypervisorNic. What no inventory shows (whether the source's
 * libvirt can open the target's URI, and whether the target's libvirt can run the VM's CPU) is asked of the source
 * agent: once the operator's checks pass, the migration
 * stays Pending with {@code PreflightLibvirtReachable=Unknown/Checking} and the source-node label, the source agent
 * writes the answer, and the operator ends the dry run (or, past {@code stepTimeoutSeconds}, ends it with that check
 * Unknown/NoAnswer). See docs/decisions/006-dry-run.md. Pure.
 */
public final class DryRunHandler {
    /** The checks, in the order a migration meets them. */
    public static final List<String> CHECKS = List.of(ConditionTypes.PREFLIGHT_SOURCE, ConditionTypes.METHOD_CHOSEN,
            ConditionTypes.PREFLIGHT_TEAMING,
            ConditionTypes.PREFLIGHT_GUEST_FAILOVER, ConditionTypes.PREFLIGHT_POOL, ConditionTypes.PREFLIGHT_TARGET,
            ConditionTypes.PREFLIGHT_VF_CONFIG, ConditionTypes.PREFLIGHT_STORAGE, ConditionTypes.PREFLIGHT_SF_NETDEV,
            ConditionTypes.PREFLIGHT_BOND, ConditionTypes.PREFLIGHT_CPU, ConditionTypes.PREFLIGHT_LIBVIRT);

    private DryRunHandler() {
    }

    /** One check's outcome; status is True, False or Unknown. */
    public record Check(String type, String status, String reason, String message) {
        static Check ok(String type, String message) {
            return new Check(type, Conditions.TRUE, Reasons.PREFLIGHT_PASSED, message);
        }

        static Check no(String type, String reason, String message) {
            return new Check(type, Conditions.FALSE, reason, message);
        }

        static Check unknown(String type, String reason, String message) {
            return new Check(type, Conditions.UNKNOWN, reason, message);
        }
    }

    /** How often the operator looks again while the source agent tests libvirt reachability. */
    static final java.time.Duration SOURCE_POLL = java.time.Duration.ofSeconds(1);

    public static Outcome decide(SriovMigration m, ClusterView view) {
        Evaluation e = evaluate(m, view);
        List<Check> checks = new ArrayList<>(e.checks());
        boolean operatorFailed = checks.stream().anyMatch(c -> Conditions.FALSE.equals(c.status()));
        if (!operatorFailed && e.destinationUri() != null) {
            // The last check belongs to the source agent: ask it, wait for its answer, or give up at the deadline.
            Optional<io.fabric8.kubernetes.api.model.Condition> asked = m.getStatus() == null ? Optional.empty()
                    : Conditions.find(m.getStatus().conditions, ConditionTypes.PREFLIGHT_LIBVIRT);
            boolean requested = asked.isPresent() && e.source().equals(m.getStatus().sourceNode)
                    && e.destinationUri().equals(m.getStatus().targetMigrationUri)
                    && (Reasons.CHECKING.equals(asked.get().getReason()) || !Conditions.UNKNOWN.equals(asked.get().getStatus()));
            if (!requested) {
                return askSource(m, view, e);
            }
            io.fabric8.kubernetes.api.model.Condition answer = asked.get();
            if (Reasons.CHECKING.equals(answer.getReason())) {
                int limit = m.getSpec().optionsOrDefaults().stepTimeoutSecondsOrDefault();
                java.time.Instant since = answer.getLastTransitionTime() == null ? view.now()
                        : io.sriovlm.common.Timestamps.parse(answer.getLastTransitionTime());
                if (view.now().isBefore(since.plusSeconds(limit))) {
                    return Outcome.recheckAfter(SOURCE_POLL);
                }
                checks.set(checks.size() - 1, Check.unknown(ConditionTypes.PREFLIGHT_LIBVIRT, Reasons.NO_ANSWER,
                        "the agent of " + e.source() + " did not answer within " + limit + "s whether its libvirt can "
                                + "open " + e.destinationUri() + "; is the agent on " + e.source() + " running?"));
                checks.set(checks.size() - 2, Check.unknown(ConditionTypes.PREFLIGHT_CPU, Reasons.NO_ANSWER,
                        "the agent of " + e.source() + " did not answer within " + limit + "s"));
            } else {
                checks.set(checks.size() - 1, new Check(ConditionTypes.PREFLIGHT_LIBVIRT, answer.getStatus(),
                        answer.getReason(), answer.getMessage()));
                // The source agent answers both from one connection to the target; an older agent only the first.
                checks.set(checks.size() - 2, Conditions.find(m.getStatus().conditions, ConditionTypes.PREFLIGHT_CPU)
                        .map(c -> new Check(ConditionTypes.PREFLIGHT_CPU, c.getStatus(), c.getReason(), c.getMessage()))
                        .orElse(Check.unknown(ConditionTypes.PREFLIGHT_CPU, Reasons.NO_ANSWER, "the agent of "
                                + e.source() + " did not compare the CPU")));
            }
        }
        return finish(m, view, checks);
    }

    /**
     * Stays in Pending and asks the source agent for its check: the source-node label wakes its informer, and
     * {@code status.sourceNode}/{@code status.targetMigrationUri} say where it runs and what to open. No target label:
     * the target agent has nothing to do for a dry run.
     */
    private static Outcome askSource(SriovMigration m, ClusterView view, Evaluation e) {
        String message = "dry run: operator checks passed; asking the agent of " + e.source()
                + " whether its libvirt can open " + e.destinationUri();
        return Outcome.writeAndRecheck(Transition.to(MigrationPhase.Pending, Reasons.CHECKING, message).with(s -> {
            s.sourceNode = e.source();
            s.targetMigrationUri = e.destinationUri();
            Conditions.set(s.conditions, ConditionTypes.PREFLIGHT_LIBVIRT, Conditions.UNKNOWN, Reasons.CHECKING,
                    "asking the agent of " + e.source() + " to open " + e.destinationUri() + " (read-only)",
                    m.getMetadata().getGeneration(), view.now());
        }), SOURCE_POLL);
    }

    private static Outcome finish(SriovMigration m, ClusterView view, List<Check> checks) {
        List<String> failed = checks.stream().filter(c -> Conditions.FALSE.equals(c.status())).map(Check::type).toList();
        List<String> unknown = checks.stream().filter(c -> Conditions.UNKNOWN.equals(c.status()))
                .filter(c -> !Reasons.PREFLIGHT_SKIPPED.equals(c.reason())).map(Check::type).toList();
        boolean wouldGo = failed.isEmpty();
        String summary = (wouldGo ? "dry run: the migration would go" : "dry run: the migration would not go; failed: "
                + String.join(", ", failed))
                + (unknown.isEmpty() ? "" : " (not verified: " + String.join(", ", unknown) + ")")
                + ". Nothing was changed.";
        Transition t = wouldGo ? Transition.to(MigrationPhase.Succeeded, Reasons.DRY_RUN, summary)
                : Transition.failure(MigrationPhase.Failed, Reasons.PREFLIGHT_FAILED, summary);
        Long generation = m.getMetadata().getGeneration();
        return Outcome.write(t.with(s -> {
            for (Check c : checks) {
                Conditions.set(s.conditions, c.type(), c.status(), c.reason(), c.message(), generation, view.now());
            }
            Conditions.set(s.conditions, ConditionTypes.PREFLIGHT, wouldGo ? Conditions.TRUE : Conditions.FALSE,
                    wouldGo ? Reasons.PREFLIGHT_PASSED : Reasons.PREFLIGHT_FAILED, summary, generation, view.now());
            Conditions.set(s.conditions, ConditionTypes.DRY_RUN, true, Reasons.DRY_RUN,
                    "spec.dryRun: checks only, no VF reserved, nothing on the hosts touched", generation, view.now());
        }));
    }

    /** The operator's checks, and what the source agent is to test when they all passed (null URI: nothing). */
    private record Evaluation(List<Check> checks, String source, String destinationUri) {
    }

    /** The operator's checks (the libvirt one left Unknown/Checking for the source agent). */
    public static List<Check> checks(SriovMigration m, ClusterView view) {
        return evaluate(m, view).checks();
    }

    /** The chosen VF matched (placement refuses one that does not): say what it was compared with. */
    private static Check vfConfigCheck(SriovMigration m, String source, VmStatus vmStatus, ClusterView view,
            TargetSelector.Choice choice, VmInventoryStatus.VfStatus vfStateSource) {
        VfConfigMatch.Expected expected = SchedulingHandler.expectedVf(m.getSpec().vmName, source, vmStatus, view,
                vfStateSource);
        VmInventoryStatus.VfStatus target = view.vfsOn(choice.node()).stream()
                .filter(v -> choice.vfPciAddress().equals(v.pciAddress)).findFirst().orElse(null);
        if (expected == null || expected.sourceVf() == null || target == null) {
            return Check.unknown(ConditionTypes.PREFLIGHT_VF_CONFIG, Reasons.PREFLIGHT_SKIPPED, "the agent of "
                    + (target == null ? choice.node() : source) + " does not report the VF's settings: not checked");
        }
        return Check.ok(ConditionTypes.PREFLIGHT_VF_CONFIG, "VF " + choice.vfPciAddress() + " on " + choice.node()
                + " (" + VfConfigMatch.describe(target) + ") matches " + m.getSpec().vmName + "'s VF on " + source
                + " (" + VfConfigMatch.describe(expected.sourceVf()) + ")"
                + (expected.xmlVlan() == null ? "" : "; libvirt sets VLAN " + expected.xmlVlan() + " from the domain XML"));
    }

    /** The chosen target sees the VM's disks, or they are copied (placement refuses one that does not). */
    private static Check storageCheck(SriovMigration m, VmStatus vmStatus, ClusterView view, TargetSelector.Choice choice) {
        var copy = m.getSpec().optionsOrDefaults().copyStorageOrDefault();
        var pools = view.nicsByNode().get(choice.node()).getStatus().storagePools;
        int disks = vmStatus.disks == null ? 0 : vmStatus.disks.size();
        if (disks == 0) {
            return Check.ok(ConditionTypes.PREFLIGHT_STORAGE, m.getSpec().vmName + " has no disk with a source");
        }
        if (copy != io.sriovlm.api.v1alpha1.CopyStorage.none) {
            return Check.ok(ConditionTypes.PREFLIGHT_STORAGE, "libvirt copies the " + disks + " disk(s) of "
                    + m.getSpec().vmName + " (spec.options.copyStorage: " + copy + ")");
        }
        if (pools == null) {
            return Check.unknown(ConditionTypes.PREFLIGHT_STORAGE, Reasons.NOT_REPORTED, "the agent of " + choice.node()
                    + " does not report its libvirt's storage pools: not checked");
        }
        return Check.ok(ConditionTypes.PREFLIGHT_STORAGE, "the " + disks + " disk(s) of " + m.getSpec().vmName
                + " are on storage " + choice.node() + " sees (its storage pools or network storage)");
    }

    /** Every check; the later ones are Unknown when an earlier one they depend on failed. */
    private static Evaluation evaluate(SriovMigration m, ClusterView view) {
        SriovMigrationSpec spec = m.getSpec();
        String vm = spec.vmName;
        List<Check> out = new ArrayList<>();
        // Source: the domain runs on exactly one Ready node and no other migration moves it.
        String source = null;
        List<String> nodesWithVm = view.nodesReporting(vm);
        Optional<SriovMigration> earlier = PendingHandler.earlierActiveMigrationOf(m, view);
        if (earlier.isPresent()) {
            out.add(Check.no(ConditionTypes.PREFLIGHT_SOURCE, Reasons.ALREADY_MIGRATING, "VM " + vm
                    + " is being moved by SriovMigration " + earlier.get().getMetadata().getNamespace() + "/"
                    + earlier.get().getMetadata().getName()));
        } else if (spec.sourceNode != null && !nodesWithVm.contains(spec.sourceNode)) {
            out.add(Check.no(ConditionTypes.PREFLIGHT_SOURCE, Reasons.VM_NOT_FOUND, "VM " + vm + " is not running on "
                    + spec.sourceNode + (nodesWithVm.isEmpty() ? "" : "; it runs on " + String.join(", ", nodesWithVm))));
        } else if (spec.sourceNode == null && nodesWithVm.isEmpty()) {
            out.add(Check.no(ConditionTypes.PREFLIGHT_SOURCE, Reasons.VM_NOT_FOUND, "VM " + vm
                    + " is not running on any node with a HypervisorNic"));
        } else if (spec.sourceNode == null && nodesWithVm.size() > 1) {
            out.add(Check.no(ConditionTypes.PREFLIGHT_SOURCE, Reasons.VM_ON_SEVERAL_NODES, "VM " + vm
                    + " is reported on " + String.join(" and ", nodesWithVm) + "; set spec.sourceNode"));
        } else {
            String candidate = spec.sourceNode != null ? spec.sourceNode : nodesWithVm.get(0);
            Optional<String> problem = NicHealth.problem(view.nicsByNode().get(candidate), view.nodes().get(candidate),
                    view.liveness());
            if (problem.isPresent()) {
                out.add(Check.no(ConditionTypes.PREFLIGHT_SOURCE, Reasons.SOURCE_NOT_READY, "source " + candidate
                        + " is not Ready: " + problem.get()));
            } else {
                source = candidate;
                out.add(Check.ok(ConditionTypes.PREFLIGHT_SOURCE, "VM " + vm + " runs on " + source
                        + ", whose agent is Ready"));
            }
        }
        VmStatus vmStatus = source == null ? null : view.vmOn(source, vm).orElse(null);
        // The method, as Pending resolves it; VfState's host checks come with placement below.
        MethodChoice.Chosen chosen = null;
        int methodCheck = out.size();
        if (vmStatus == null) {
            out.add(Check.unknown(ConditionTypes.METHOD_CHOSEN, Reasons.PREFLIGHT_SKIPPED, "no source: not checked"));
        } else {
            MethodChoice.Result method = MethodChoice.of(MethodChoice.requested(spec, view.pools(),
                    view.nodes().get(source)), vm, source, vmStatus,
                    MethodChoice.vfOutsideTeaming(view.inventoriesByNode().get(source), vm));
            if (method instanceof MethodChoice.Refused refused) {
                out.add(Check.no(ConditionTypes.METHOD_CHOSEN, Reasons.VF_STATE_NOT_POSSIBLE, refused.message()));
            } else {
                chosen = (MethodChoice.Chosen) method;
                out.add(new Check(ConditionTypes.METHOD_CHOSEN, Conditions.TRUE, chosen.reason(), chosen.message()));
            }
        }
        boolean vfState = chosen != null && chosen.method() == MigrationMethod.VfState;
        VmInventoryStatus.VfStatus vfStateSource = vfState ? chosen.sourceVf() : null;
        String notNeeded = "method VfState: the VF stays attached and no standby is used; not needed";
        // Teaming XML and MAC, as the source agent read them from the live domain XML; the MAC no other VM's.
        boolean teamingOk = false;
        Optional<String> sharedMac = vmStatus == null || vmStatus.teaming == null ? Optional.empty()
                : TeamingMacs.refusal(vm, source, vmStatus.teaming.mac, view.inventoriesUsingMac(vmStatus.teaming.mac));
        if (vmStatus == null) {
            out.add(Check.unknown(ConditionTypes.PREFLIGHT_TEAMING, Reasons.PREFLIGHT_SKIPPED, "no source: not checked"));
        } else if (vfState) {
            out.add(Check.unknown(ConditionTypes.PREFLIGHT_TEAMING, Reasons.PREFLIGHT_SKIPPED, notNeeded));
        } else if (!Boolean.TRUE.equals(vmStatus.teamingValid) || vmStatus.teaming == null) {
            out.add(Check.no(ConditionTypes.PREFLIGHT_TEAMING, Reasons.TEAMING_INVALID, "VM " + vm
                    + " has no valid teaming pair: " + String.join("; ", vmStatus.problems == null
                            ? List.of("unknown problem") : vmStatus.problems)));
        } else if (vmStatus.teaming.mac == null || vmStatus.teaming.standbyDevice == null) {
            out.add(Check.no(ConditionTypes.PREFLIGHT_TEAMING, Reasons.TEAMING_INVALID, "VM " + vm
                    + "'s teaming pair names no shared MAC or no standby netdev"));
        } else if (sharedMac.isPresent()) {
            out.add(Check.no(ConditionTypes.PREFLIGHT_TEAMING, Reasons.DUPLICATE_MAC, sharedMac.get()));
        } else {
            teamingOk = true;
            out.add(Check.ok(ConditionTypes.PREFLIGHT_TEAMING, "virtio " + vmStatus.teaming.standbyAlias
                    + " (persistent, on " + vmStatus.teaming.standbyDevice + ") and VF "
                    + vmStatus.teaming.primaryPciAddress + " (transient) share MAC " + vmStatus.teaming.mac));
        }
        // net_failover in the guest, as the source agent asked its QEMU.
        if (vfState) {
            out.add(Check.unknown(ConditionTypes.PREFLIGHT_GUEST_FAILOVER, Reasons.PREFLIGHT_SKIPPED, notNeeded));
        } else if (!teamingOk) {
            out.add(Check.unknown(ConditionTypes.PREFLIGHT_GUEST_FAILOVER, Reasons.PREFLIGHT_SKIPPED,
                    "no valid teaming pair: not checked"));
        } else if (vmStatus.guestFailover == null) {
            out.add(Check.unknown(ConditionTypes.PREFLIGHT_GUEST_FAILOVER, Reasons.NOT_REPORTED, "the agent of "
                    + source + " does not report whether the guest accepted VIRTIO_NET_F_STANDBY (its hypervisor"
                    + " cannot tell: QEMU < 7.2, or no monitor access)"));
        } else {
            Optional<String> problem = PendingHandler.guestFailoverProblem(vm, source, vmStatus);
            out.add(problem.isPresent()
                    ? Check.no(ConditionTypes.PREFLIGHT_GUEST_FAILOVER, Reasons.GUEST_FAILOVER_INACTIVE, problem.get())
                    : Check.ok(ConditionTypes.PREFLIGHT_GUEST_FAILOVER, "the guest accepted VIRTIO_NET_F_STANDBY on "
                            + vmStatus.teaming.standbyAlias + ": net_failover is active in it"));
        }
        // Pool.
        List<VfPool> pools = spec.vfPool == null ? view.pools()
                : view.pools().stream().filter(p -> p.getMetadata().getName().equals(spec.vfPool)).toList();
        boolean poolOk = !pools.isEmpty();
        if (poolOk) {
            out.add(Check.ok(ConditionTypes.PREFLIGHT_POOL, "VfPool " + String.join(", ", pools.stream()
                    .map(p -> p.getMetadata().getName()).toList()) + " exists"));
        } else {
            out.add(Check.no(ConditionTypes.PREFLIGHT_POOL, Reasons.POOL_NOT_FOUND, spec.vfPool == null
                    ? "no VfPool exists" : "VfPool " + spec.vfPool + " does not exist"));
        }
        // Target: placement exactly as Scheduling would decide it now, without reserving.
        TargetSelector.Choice choice = null;
        if (source == null || chosen == null || !(teamingOk || vfState) || !poolOk) {
            out.add(Check.unknown(ConditionTypes.PREFLIGHT_TARGET, Reasons.PREFLIGHT_SKIPPED,
                    "not checked: needs a source, a method, a valid teaming pair (or VfState) and a pool"));
            out.add(Check.unknown(ConditionTypes.PREFLIGHT_VF_CONFIG, Reasons.PREFLIGHT_SKIPPED, "no target: not checked"));
            out.add(Check.unknown(ConditionTypes.PREFLIGHT_STORAGE, Reasons.PREFLIGHT_SKIPPED, "no target: not checked"));
        } else {
            TargetSelector.Result r = SchedulingHandler.select(m, source, vmStatus, view, vfStateSource);
            if (r instanceof TargetSelector.Refusal refusal) {
                if (Reasons.VF_STATE_NOT_POSSIBLE.equals(refusal.reason())) {
                    out.set(methodCheck, Check.no(ConditionTypes.METHOD_CHOSEN, refusal.reason(), refusal.message()));
                }
                out.add(Check.no(ConditionTypes.PREFLIGHT_TARGET, refusal.reason(), refusal.message()));
                out.add(Reasons.VF_CONFIG_MISMATCH.equals(refusal.reason())
                        ? Check.no(ConditionTypes.PREFLIGHT_VF_CONFIG, refusal.reason(), refusal.message())
                        : Check.unknown(ConditionTypes.PREFLIGHT_VF_CONFIG, Reasons.PREFLIGHT_SKIPPED, "no target: not checked"));
                out.add(Reasons.STORAGE_NOT_SHARED.equals(refusal.reason())
                        ? Check.no(ConditionTypes.PREFLIGHT_STORAGE, refusal.reason(), refusal.message())
                        : Check.unknown(ConditionTypes.PREFLIGHT_STORAGE, Reasons.PREFLIGHT_SKIPPED, "no target: not checked"));
            } else {
                choice = (TargetSelector.Choice) r;
                out.set(methodCheck, new Check(ConditionTypes.METHOD_CHOSEN, Conditions.TRUE, chosen.reason(),
                        PendingHandler.methodMessage(chosen, source, choice, view)));
                out.add(Check.ok(ConditionTypes.PREFLIGHT_TARGET, "target " + choice.node() + " with VF "
                        + choice.vfPciAddress() + " free in pool " + choice.pool() + ": " + choice.reason()));
                out.add(vfConfigCheck(m, source, vmStatus, view, choice, vfStateSource));
                out.add(storageCheck(m, vmStatus, view, choice));
            }
        }
        // The target agent's Preparing checks, from the inventory it publishes.
        HypervisorNic targetNic = choice == null ? null : view.nicsByNode().get(choice.node());
        if (choice == null) {
            out.add(Check.unknown(ConditionTypes.PREFLIGHT_SF_NETDEV, Reasons.PREFLIGHT_SKIPPED, "no target: not checked"));
            out.add(Check.unknown(ConditionTypes.PREFLIGHT_BOND, Reasons.PREFLIGHT_SKIPPED, "no target: not checked"));
            out.add(Check.unknown(ConditionTypes.PREFLIGHT_CPU, Reasons.PREFLIGHT_SKIPPED, "no target: not checked"));
            out.add(Check.unknown(ConditionTypes.PREFLIGHT_LIBVIRT, Reasons.PREFLIGHT_SKIPPED, "no target: not checked"));
            return new Evaluation(out, source, null);
        }
        if (vfState) {
            out.add(Check.unknown(ConditionTypes.PREFLIGHT_SF_NETDEV, Reasons.PREFLIGHT_SKIPPED, notNeeded));
            out.add(Check.unknown(ConditionTypes.PREFLIGHT_BOND, Reasons.PREFLIGHT_SKIPPED, notNeeded));
        } else {
            preparingChecks(out, vmStatus, choice, targetNic, view.inventoriesByNode().get(choice.node()));
        }
        return libvirtCheck(m, out, source, choice, targetNic);
    }

    /** The target agent's Preparing checks of a failover migration: SF netdev and bond. */
    private static void preparingChecks(List<Check> out, VmStatus vmStatus, TargetSelector.Choice choice,
            HypervisorNic targetNic, VmInventory targetInventory) {
        String sf = vmStatus.teaming.standbyDevice;
        // As Preparing checks it: the netdev exists, whether sriovlm created the SF (status.sfs) or not (the bonds').
        boolean sfPresent = targetNic.getStatus().sfs.stream().anyMatch(s -> sf.equals(s.netdev))
                || targetNic.getStatus().bonds.stream().anyMatch(b -> sf.equals(b.sfNetdev)
                        && Boolean.TRUE.equals(b.sfNetdevPresent));
        out.add(sfPresent ? Check.ok(ConditionTypes.PREFLIGHT_SF_NETDEV, "SF netdev " + sf + " exists on " + choice.node())
                : Check.no(ConditionTypes.PREFLIGHT_SF_NETDEV, Reasons.TARGET_NOT_PREPARED, "the agent of "
                        + choice.node() + " reports no SF netdev " + sf + " (the standby NIC needs the same name there)"));
        String bondName = choice.bond().name;
        Optional<BondStatus> bond = targetNic.getStatus().bonds.stream().filter(b -> bondName.equals(b.name)).findFirst();
        String active = targetInventory == null || targetInventory.getStatus() == null ? null
                : targetInventory.getStatus().bonds.stream().filter(b -> bondName.equals(b.name))
                        .map(b -> b.activeSlave).findFirst().orElse(null);
        if (bond.isEmpty()) {
            out.add(Check.no(ConditionTypes.PREFLIGHT_BOND, Reasons.TARGET_NOT_PREPARED, "bond " + bondName
                    + " is in the spec of " + choice.node() + "'s HypervisorNic but its agent does not report it"));
        } else if (active != null && !active.equals(choice.bond().sfRepresentor)) {
            out.add(Check.no(ConditionTypes.PREFLIGHT_BOND, Reasons.TARGET_NOT_PREPARED, "bond " + bondName + " on "
                    + choice.node() + " is on " + active + ", not on the SF representor "
                    + choice.bond().sfRepresentor + ": something else uses its VF"));
        } else {
            out.add(Check.ok(ConditionTypes.PREFLIGHT_BOND, "bond " + bondName + " on " + choice.node() + " pairs "
                    + choice.bond().sfRepresentor + " with " + choice.bond().vfRepresentor + ", active slave "
                    + (active == null ? "not reported" : active)));
        }
    }

    /** Whether the source can be asked to open the target's URI; the answer is the source agent's. */
    private static Evaluation libvirtCheck(SriovMigration m, List<Check> out, String source,
            TargetSelector.Choice choice, HypervisorNic targetNic) {
        String uri = targetNic.getStatus().migrationUri;
        Optional<String> transport = uri == null ? Optional.empty()
                : MigrationTransport.problem(uri, MigrationTransport.of(m.getSpec().options));
        out.add(uri == null || transport.isPresent()
                ? Check.unknown(ConditionTypes.PREFLIGHT_CPU, Reasons.PREFLIGHT_SKIPPED, "the target's libvirt is not"
                        + " to be opened: not checked")
                : Check.unknown(ConditionTypes.PREFLIGHT_CPU, Reasons.CHECKING, "only the agent of " + source
                        + " can ask libvirt at " + uri + " about the VM's CPU"));
        if (uri == null) {
            out.add(Check.no(ConditionTypes.PREFLIGHT_LIBVIRT, Reasons.TARGET_NOT_READY, "the agent of " + choice.node()
                    + " publishes no libvirt migration URI"));
            return new Evaluation(out, source, null);
        }
        if (transport.isPresent()) {
            out.add(Check.no(ConditionTypes.PREFLIGHT_LIBVIRT, Reasons.TRANSPORT_REFUSED, "target " + choice.node()
                    + ": " + transport.get()));
            return new Evaluation(out, source, null);
        }
        out.add(Check.unknown(ConditionTypes.PREFLIGHT_LIBVIRT, Reasons.CHECKING, "only the agent of " + source
                + " can test whether its libvirt opens " + uri));
        return new Evaluation(out, source, uri);
    }
}
