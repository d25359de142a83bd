package io.sriovlm.operator.placement;

import io.sriovlm.common.VfStateSupport;
import io.fabric8.kubernetes.api.model.Node;
import io.sriovlm.api.v1alpha1.HypervisorNic;
import io.sriovlm.api.v1alpha1.VmInventoryStatus.VfStatus;
import io.sriovlm.api.v1alpha1.VfClaim;
import io.sriovlm.api.v1alpha1.VfClaimSpec;
import io.sriovlm.api.v1alpha1.VfPool;
import io.sriovlm.api.v1alpha1.VmInventory;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Attached VFs of a pool that the ledger cannot account for: a VF passed through to a domain otherwise than as its
 * teamed primary (a plain hostdev, or a hostdev NIC without transient teaming: left by a manual step, or given by
 * hand; one bound to the VF-state variant driver is not: method VfState moves it), and a VF attached to another
 * domain than the VM its claim names. The ledger counts both as allocated, so no
 * migration gets them; they are reported so that a person can end them. Pure.
 */
public final class VfDrift {
    private VfDrift() {
    }

    /** One line per VF, each with what to do; in node and PCI order. */
    public static List<String> of(VfPool pool, Map<String, HypervisorNic> nics, Map<String, VmInventory> inventories,
            Map<String, Node> nodes, Collection<VfClaim> claims) {
        Map<String, VfClaimSpec> claimByVf = new HashMap<>();
        for (VfClaim c : claims) {
            if (c.getSpec() != null && c.getSpec().node != null && c.getSpec().pciAddress != null) {
                claimByVf.put(VfClaim.nameFor(c.getSpec().node, c.getSpec().pciAddress), c.getSpec());
            }
        }
        List<String> out = new ArrayList<>();
        for (String node : new TreeSet<>(nics.keySet())) {
            HypervisorNic nic = nics.get(node);
            Node n = nodes.get(node);
            if (nic.getStatus() == null || n == null || !PoolMembership.coversNode(pool, n)) {
                continue;
            }
            for (VfStatus vf : VfLedger.vfsOf(inventories.get(node))) {
                if (vf.attachedTo == null || !PoolMembership.coversVf(pool, nic, vf)) {
                    continue;
                }
                String which = "VF " + vf.pciAddress + " on " + node;
                VfClaimSpec claim = claimByVf.get(VfClaim.nameFor(node, vf.pciAddress));
                if (Boolean.TRUE.equals(vf.attachedOutsideTeaming) && !VfStateSupport.stateMigratable(vf)) {
                    out.add(which + " is passed through to domain " + vf.attachedTo + " outside any teaming pair:"
                            + " sriovlm cannot migrate it; detach it (virsh detach-device) or team it with a standby NIC");
                } else if (claim != null && claim.vm != null && !claim.vm.equals(vf.attachedTo)) {
                    out.add(which + " is attached to domain " + vf.attachedTo + " but held for VM " + claim.vm
                            + (claim.migration == null ? "" : " by migration " + claim.migration)
                            + "; detach it from " + vf.attachedTo);
                }
            }
        }
        return out;
    }
}
