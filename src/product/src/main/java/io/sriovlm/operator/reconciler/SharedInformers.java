package io.sriovlm.operator.reconciler;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.sriovlm.api.v1alpha1.HypervisorNic;
import io.sriovlm.api.v1alpha1.Labels;
import io.sriovlm.api.v1alpha1.VfClaim;
import io.sriovlm.api.v1alpha1.VfPool;
import io.sriovlm.api.v1alpha1.VmInventory;
import io.sriovlm.operator.placement.ReportedVms;

/**
 * The informers the operator's controllers share, beside the one on each controller's own primaries: one watch per
 * kind for the process, whatever the number of controllers that read it. One set per operator instance.
 */
public final class SharedInformers {
    final SharedInformer<HypervisorNic> nics = new SharedInformer<>(HypervisorNic.class, "HypervisorNic",
            client -> client.resources(HypervisorNic.class));
    final SharedInformer<VmInventory> inventories = new SharedInformer<>(VmInventory.class, "VmInventory",
            client -> client.resources(VmInventory.class), ReportedVms.INDEXERS);
    final SharedInformer<Node> nodes = new SharedInformer<>(Node.class, "Node", client -> client.nodes());
    final SharedInformer<VfPool> pools = new SharedInformer<>(VfPool.class, "VfPool",
            client -> client.resources(VfPool.class));
    final SharedInformer<VfClaim> claims = new SharedInformer<>(VfClaim.class, "VfClaim",
            client -> client.resources(VfClaim.class));
    /** The agents' heartbeat Leases: those labelled with their node, in {@link #agentLeaseNamespace}. */
    final SharedInformer<Lease> agentLeases;
    final String agentLeaseNamespace;

    /** @param agentLeaseNamespace where the agents renew their heartbeat Leases */
    public SharedInformers(String agentLeaseNamespace) {
        this.agentLeaseNamespace = agentLeaseNamespace;
        this.agentLeases = new SharedInformer<>(Lease.class, "AgentLease",
                client -> client.leases().inNamespace(agentLeaseNamespace).withLabel(Labels.NODE));
    }
}
