package io.sriovlm.operator.phases;

import io.fabric8.kubernetes.api.model.Node;
import io.sriovlm.api.v1alpha1.VmInventoryStatus.VfStatus;
import io.sriovlm.api.v1alpha1.VmInventoryStatus.VmStatus;
import io.sriovlm.api.v1alpha1.MigrationMethod;
import io.sriovlm.api.v1alpha1.Reasons;
import io.sriovlm.api.v1alpha1.SriovMigrationSpec;
import io.sriovlm.api.v1alpha1.VfPool;
import io.sriovlm.api.v1alpha1.VmInventory;
import io.sriovlm.operator.placement.PoolMembership;
import io.sriovlm.operator.placement.VfLedger;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Which method moves a VM (docs/decisions/020-vf-state-method.md). What is asked for comes from spec.method, else the
 * VfPool's defaultMethod, else Failover. The VM's form then decides: a teamed VF cannot carry its state (QEMU unplugs
 * a VF with a failover pair whenever a migration starts), and a VF outside any teaming pair has no standby to fail over
 * to. The hosts' part of VfState is judged in placement. Pure.
 */
public final class MethodChoice {
    private MethodChoice() {
    }

    public sealed interface Result permits Chosen, Refused {
    }

    /** @param sourceVf the VF whose state leaves (VfState); null for Failover */
    public record Chosen(MigrationMethod method, String reason, String message, VfStatus sourceVf) implements Result {
    }

    public record Refused(String message) implements Result {
    }

    /** spec.method, else the defaultMethod of spec.vfPool or of the source node's pools when they agree, else Failover. */
    public static MigrationMethod requested(SriovMigrationSpec spec, List<VfPool> pools, Node sourceNode) {
        if (spec.method != null) {
            return spec.method;
        }
        Set<MigrationMethod> defaults = pools.stream()
                .filter(p -> spec.vfPool == null ? sourceNode != null && PoolMembership.coversNode(p, sourceNode)
                        : p.getMetadata().getName().equals(spec.vfPool))
                .map(p -> p.getSpec() == null || p.getSpec().defaultMethod == null ? MigrationMethod.Failover
                        : p.getSpec().defaultMethod)
                .collect(Collectors.toSet());
        return defaults.size() == 1 ? defaults.iterator().next() : MigrationMethod.Failover;
    }

    /** The VF passed through to the VM outside any teaming pair on its source, as the agent reports it. */
    public static Optional<VfStatus> vfOutsideTeaming(VmInventory sourceInventory, String vm) {
        return VfLedger.vfsOf(sourceInventory).stream()
                .filter(v -> vm.equals(v.attachedTo) && Boolean.TRUE.equals(v.attachedOutsideTeaming)).findFirst();
    }

    /**
     * @param requested what {@link #requested} resolved
     * @param vm        the VM as its source agent reports it
     * @param plainVf   {@link #vfOutsideTeaming}
     */
    public static Result of(MigrationMethod requested, String vmName, String source, VmStatus vm,
            Optional<VfStatus> plainVf) {
        boolean teamed = Boolean.TRUE.equals(vm.teamingValid);
        String teamedWhy = "its VF is teamed (<teaming type='transient'>): QEMU unplugs a teamed VF whenever a"
                + " migration starts, so its state cannot move with it";
        return switch (requested) {
            case Failover -> new Chosen(MigrationMethod.Failover, Reasons.FAILOVER_CHOSEN,
                    "method Failover: the VF is unplugged, the VM runs on its virtio standby while it moves, and a VF"
                            + " is plugged on the target", null);
            case VfState -> teamed
                    ? new Refused("method VfState cannot move VM " + vmName + ": " + teamedWhy
                            + "; use method Failover or Auto, or pass the VF through without <teaming>")
                    : plainVf.<Result>map(vf -> new Chosen(MigrationMethod.VfState, Reasons.VF_STATE_QUALIFIED,
                            "method VfState", vf))
                            .orElseGet(() -> new Refused("method VfState cannot move VM " + vmName + ": no VF is"
                                    + " passed through to it on " + source));
            case Auto -> teamed || plainVf.isEmpty()
                    ? new Chosen(MigrationMethod.Failover, Reasons.FAILOVER_CHOSEN, "method Auto chose Failover: "
                            + (teamed ? teamedWhy : "no VF outside a teaming pair is passed through to it"), null)
                    : new Chosen(MigrationMethod.VfState, Reasons.VF_STATE_QUALIFIED,
                            "method Auto chose VfState: its VF is passed through without teaming", plainVf.get());
        };
    }
}
