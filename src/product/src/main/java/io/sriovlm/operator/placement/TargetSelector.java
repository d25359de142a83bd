package io.sriovlm.operator.placement;

import io.sriovlm.api.v1alpha1.Reasons;
import io.fabric8.kubernetes.api.model.Node;
import io.sriovlm.api.v1alpha1.HypervisorNic;
import io.sriovlm.api.v1alpha1.HypervisorNicSpec.BondSpec;
import io.sriovlm.api.v1alpha1.HypervisorNicStatus;
import io.sriovlm.api.v1alpha1.VmInventoryStatus.VfStatus;
import io.sriovlm.common.Listing;
import io.sriovlm.common.VfStateSupport;
import io.sriovlm.api.v1alpha1.VfPool;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * Chooses the target node and VF of a migration. A node qualifies when it is Ready and schedulable, it carries the SF
 * netdev the VM's standby NIC sits on (same name on every
 * host), has the bond pairing that SF's representor with a VF representor, that VF is in the VM's pool, free and set
 * up as the VM's VF now ({@link VfConfigMatch}), it sees the VM's disks ({@link StorageMatch}), and the node has an
 * inbound slot. For method VfState the host must qualify with the source instead of the bond pairing, and the VF is
 * any free one bound to the variant driver ({@link #evaluateVfState}). Among qualifying nodes the choice is
 * deterministic: most free VFs in the pool, then fewest inbound migrations, then name. Pure.
 */
public final class TargetSelector {

    /**
     * Everything the choice depends on.
     *
     * @param expected what the VM's guest has now, which the target VF must match; null: not judged
     * @param storage  the VM's disks and whether they are copied; null: not judged
     * @param vfState  set when the migration uses method VfState: the target VF is any free one of the pool bound
     *                 to the variant driver, on a host that qualifies with the source (no bond pairing)
     */
    public record Request(String vm, String standbyDevice, String sourceNode, String requestedTarget,
            List<VfPool> pools, VfLedger ledger, Map<String, HypervisorNic> nics, Map<String, Node> nodes,
            Map<String, Integer> inboundByNode, int maxInboundPerNode, AgentLiveness liveness,
            VfConfigMatch.Expected expected, StorageMatch.Needs storage, VfStateNeeds vfState) {

        /** A failover migration's request. */
        public Request(String vm, String standbyDevice, String sourceNode, String requestedTarget,
                List<VfPool> pools, VfLedger ledger, Map<String, HypervisorNic> nics, Map<String, Node> nodes,
                Map<String, Integer> inboundByNode, int maxInboundPerNode, AgentLiveness liveness,
                VfConfigMatch.Expected expected, StorageMatch.Needs storage) {
            this(vm, standbyDevice, sourceNode, requestedTarget, pools, ledger, nics, nodes, inboundByNode,
                    maxInboundPerNode, liveness, expected, storage, null);
        }
    }

    /** The source side of a VF-state migration: its host's facts and the VF whose state leaves. */
    public record VfStateNeeds(HypervisorNicStatus.VfStateHost sourceHost, VfStatus sourceVf) {
    }

    public sealed interface Result permits Choice, Refusal {
    }

    /** @param bond the bond the VF pairs with; null for a VF-state migration, which switches no bond */
    public record Choice(String node, String pool, String vfPciAddress, int vfIndex, BondSpec bond, String reason)
            implements Result {
    }

    /**
     * @param retryable true when waiting can help (VFs or slots may free up, a node may become Ready)
     */
    public record Refusal(String reason, String message, boolean retryable) implements Result {
    }

    private TargetSelector() {
    }

    public static Result select(Request request) {
        if (request.pools().isEmpty()) {
            return new Refusal(io.sriovlm.api.v1alpha1.Reasons.POOL_NOT_FOUND,
                    "no VfPool covers the VM's nodes; create a VfPool or set spec.vfPool", false);
        }
        List<String> candidates = new ArrayList<>(new TreeSet<>(request.nics().keySet()));
        if (request.requestedTarget() != null) {
            if (request.requestedTarget().equals(request.sourceNode())) {
                return new Refusal(io.sriovlm.api.v1alpha1.Reasons.SOURCE_IS_TARGET, "spec.targetNode "
                        + request.requestedTarget() + " is the node " + request.vm()
                        + " already runs on; choose another node or leave targetNode empty", false);
            }
            if (!request.nics().containsKey(request.requestedTarget())) {
                return new Refusal(io.sriovlm.api.v1alpha1.Reasons.TARGET_NOT_FOUND, "spec.targetNode "
                        + request.requestedTarget() + " has no HypervisorNic (known nodes: "
                        + Listing.firstFew(candidates, ", ", "node(s)") + "); fix spec.targetNode", false);
            }
            candidates = List.of(request.requestedTarget());
        }
        List<Choice> qualified = new ArrayList<>();
        List<String> rejections = new ArrayList<>();
        boolean anyRetryable = false;
        boolean onlyPoolExhausted = true;
        boolean onlyVfConfig = true;
        boolean onlyStorage = true;
        boolean onlyVfState = true;
        for (String node : candidates) {
            if (node.equals(request.sourceNode())) {
                continue;
            }
            Evaluation evaluation = evaluate(request, node);
            if (evaluation.choice != null) {
                qualified.add(evaluation.choice);
            } else {
                rejections.add(node + ": " + evaluation.problem);
                anyRetryable |= evaluation.retryable;
                onlyPoolExhausted &= evaluation.poolExhausted;
                onlyVfConfig &= evaluation.vfConfigMismatch;
                onlyStorage &= evaluation.storageNotSeen;
                onlyVfState &= evaluation.vfStateImpossible;
            }
        }
        if (qualified.isEmpty()) {
            String reason;
            if (rejections.isEmpty()) {
                reason = io.sriovlm.api.v1alpha1.Reasons.NO_TARGET;
                rejections.add("no node other than the source " + request.sourceNode() + " has a HypervisorNic");
            } else if (onlyPoolExhausted) {
                reason = io.sriovlm.api.v1alpha1.Reasons.POOL_EXHAUSTED;
            } else if (onlyVfConfig) {
                reason = io.sriovlm.api.v1alpha1.Reasons.VF_CONFIG_MISMATCH;
            } else if (onlyVfState) {
                reason = io.sriovlm.api.v1alpha1.Reasons.VF_STATE_NOT_POSSIBLE;
            } else if (onlyStorage) {
                reason = io.sriovlm.api.v1alpha1.Reasons.STORAGE_NOT_SHARED;
            } else if (request.requestedTarget() != null) {
                reason = io.sriovlm.api.v1alpha1.Reasons.TARGET_NOT_READY;
            } else {
                reason = io.sriovlm.api.v1alpha1.Reasons.NO_TARGET;
            }
            return new Refusal(reason, "no target for " + request.vm() + ": " + summary(rejections), anyRetryable);
        }
        qualified.sort(Comparator.<Choice>comparingInt(c -> -freeInPool(request, c.pool(), c.node()))
                .thenComparingInt(c -> request.inboundByNode().getOrDefault(c.node(), 0))
                .thenComparing(Choice::node));
        Choice best = qualified.get(0);
        String why = (request.requestedTarget() != null ? "requested by spec.targetNode" : "chose " + best.node()
                + " among " + qualified.size() + " qualifying node(s): most free VFs in the pool ("
                + freeInPool(request, best.pool(), best.node()) + "), then fewest inbound migrations ("
                + request.inboundByNode().getOrDefault(best.node(), 0) + ")")
                + (best.bond() == null ? "; VF " + best.vfPciAddress() + " is bound to "
                        + VfStateSupport.VARIANT_DRIVER + " and free"
                        : "; VF " + best.vfPciAddress() + " pairs with bond " + best.bond().name + " on SF netdev "
                                + best.bond().sfNetdev);
        return new Choice(best.node(), best.pool(), best.vfPciAddress(), best.vfIndex(), best.bond(), why);
    }

    /**
     * The first rejections and how many more: a fleet of a thousand nodes would otherwise write a condition message
     * of a hundred kilobytes into the migration's status, again whenever one of them changes.
     */
    static String summary(List<String> rejections) {
        return Listing.firstFew(rejections, "; ", "node(s) rejected");
    }

    private record Evaluation(Choice choice, String problem, boolean retryable, boolean poolExhausted,
            boolean vfConfigMismatch, boolean storageNotSeen, boolean vfStateImpossible) {
        static Evaluation no(String problem, boolean retryable) {
            return new Evaluation(null, problem, retryable, false, false, false, false);
        }

        static Evaluation of(Choice choice) {
            return new Evaluation(choice, null, false, false, false, false, false);
        }
    }

    private static Evaluation evaluate(Request request, String nodeName) {
        HypervisorNic nic = request.nics().get(nodeName);
        Node node = request.nodes().get(nodeName);
        Optional<String> unhealthy = NicHealth.problem(nic, node, request.liveness());
        if (unhealthy.isPresent()) {
            return Evaluation.no("not Ready: " + unhealthy.get(), true);
        }
        if (!NicHealth.schedulable(node)) {
            return Evaluation.no("node is cordoned (spec.unschedulable)", true);
        }
        if (request.vfState() != null) {
            return evaluateVfState(request, nodeName, nic);
        }
        Optional<BondSpec> bond = nic.getSpec().bonds.stream()
                .filter(b -> b.sfNetdev.equals(request.standbyDevice())).findFirst();
        if (bond.isEmpty()) {
            return Evaluation.no("no bond for SF netdev " + request.standbyDevice()
                    + " (the VM's standby NIC needs the same SF netdev name on every host)", false);
        }
        if (bond.get().vfIndex == null) {
            return Evaluation.no("bond " + bond.get().name + " does not say which VF it pairs with (spec.bonds[].vfIndex)", false);
        }
        Optional<VfStatus> vf = request.ledger().vfsOn(nodeName).stream()
                .filter(v -> bond.get().vfIndex.equals(v.index)).findFirst();
        if (vf.isEmpty()) {
            return Evaluation.no("VF " + bond.get().vfIndex + " of bond " + bond.get().name + " is not present", true);
        }
        if (request.inboundByNode().getOrDefault(nodeName, 0) >= request.maxInboundPerNode()) {
            return Evaluation.no("already receives " + request.maxInboundPerNode() + " migration(s) (the inbound limit)", true);
        }
        for (VfPool pool : request.pools()) {
            Optional<VfLedger.Entry> entry = request.ledger().find(pool, nodeName, vf.get().pciAddress);
            if (entry.isEmpty()) {
                continue;
            }
            if (entry.get().state() != VfLedger.State.Free) {
                return new Evaluation(null, "VF " + vf.get().pciAddress + " paired with " + request.standbyDevice()
                        + " in pool " + pool.getMetadata().getName() + " is " + entry.get().state() + " by "
                        + entry.get().holder(), true, true, false, false, false);
            }
            // Retryable: a MAC left behind is cleared by the agent, other settings by an administrator meanwhile.
            List<String> mismatches = VfConfigMatch.mismatches(request.expected(), nodeName,
                    nic.getSpec().pf == null ? "PF" : nic.getSpec().pf.name, vf.get());
            if (!mismatches.isEmpty()) {
                return new Evaluation(null, String.join("; ", mismatches), true, false, true, false, false);
            }
            // Not retryable: copying the disks is the spec's to ask for.
            List<String> unseen = StorageMatch.problems(request.storage(), nodeName, nic.getStatus());
            if (!unseen.isEmpty()) {
                return new Evaluation(null, String.join("; ", unseen), false, false, false, true, false);
            }
            return Evaluation.of(new Choice(nodeName, pool.getMetadata().getName(), vf.get().pciAddress,
                    vf.get().index, bond.get(), null));
        }
        return Evaluation.no("VF " + vf.get().pciAddress + " paired with " + request.standbyDevice()
                + " is in no VfPool the VM may use", false);
    }

    /**
     * A VF-state target: the host qualifies with the source (model, versions, PSID and firmware), then the first free
     * VF of a pool bound to the variant driver and set up as the VM's VF. A host that does not qualify cannot become
     * one by waiting (not retryable); a host whose variant VFs are all taken can.
     */
    private static Evaluation evaluateVfState(Request request, String nodeName, HypervisorNic nic) {
        List<String> hostProblems = VfStateSupport.problems(request.sourceNode(), request.vfState().sourceHost(),
                nodeName, nic.getStatus().vfStateMigration);
        if (!hostProblems.isEmpty()) {
            return new Evaluation(null, "VF-state migration not possible: " + String.join("; ", hostProblems), false,
                    false, false, false, true);
        }
        if (request.inboundByNode().getOrDefault(nodeName, 0) >= request.maxInboundPerNode()) {
            return Evaluation.no("already receives " + request.maxInboundPerNode() + " migration(s) (the inbound limit)", true);
        }
        int freeOtherDriver = 0;
        int variantTaken = 0;
        List<String> mismatched = new ArrayList<>();
        boolean inAnyPool = false;
        String pf = nic.getSpec().pf == null ? "PF" : nic.getSpec().pf.name;
        for (VfPool pool : request.pools()) {
            for (VfStatus vf : request.ledger().vfsOn(nodeName)) {
                Optional<VfLedger.Entry> entry = request.ledger().find(pool, nodeName, vf.pciAddress);
                if (entry.isEmpty()) {
                    continue;
                }
                inAnyPool = true;
                if (entry.get().state() != VfLedger.State.Free) {
                    variantTaken += VfStateSupport.stateMigratable(vf) ? 1 : 0;
                    continue;
                }
                if (!VfStateSupport.stateMigratable(vf)) {
                    freeOtherDriver++;
                    continue;
                }
                List<String> mismatches = VfConfigMatch.mismatches(request.expected(), nodeName, pf, vf);
                if (!mismatches.isEmpty()) {
                    mismatched.addAll(mismatches);
                    continue;
                }
                List<String> unseen = StorageMatch.problems(request.storage(), nodeName, nic.getStatus());
                if (!unseen.isEmpty()) {
                    return new Evaluation(null, String.join("; ", unseen), false, false, false, true, false);
                }
                return Evaluation.of(new Choice(nodeName, pool.getMetadata().getName(), vf.pciAddress, vf.index, null,
                        null));
            }
        }
        if (!inAnyPool) {
            return Evaluation.no("none of its VFs is in a VfPool the VM may use", false);
        }
        if (!mismatched.isEmpty()) {
            return new Evaluation(null, String.join("; ", mismatched), true, false, true, false, false);
        }
        if (freeOtherDriver > 0 && variantTaken == 0) {
            return new Evaluation(null, "VF-state migration not possible: no free VF bound to "
                    + VfStateSupport.VARIANT_DRIVER + " (" + freeOtherDriver + " free VF(s) bound to other drivers);"
                    + " bind one (driverctl set-override PCI " + VfStateSupport.VARIANT_DRIVER + ")", false, false,
                    false, false, true);
        }
        return new Evaluation(null, "every VF of the pool bound to " + VfStateSupport.VARIANT_DRIVER
                + " is reserved or allocated", true, true, false, false, false);
    }

    private static int freeInPool(Request request, String pool, String node) {
        return request.pools().stream().filter(p -> p.getMetadata().getName().equals(pool)).findFirst()
                .map(p -> request.ledger().freeCount(p, node)).orElse(0);
    }
}
