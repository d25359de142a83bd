package io.sriovlm.api.v1alpha1;

/**
 * The agents' heartbeat: one coordination.k8s.io Lease per node in sriovlm's namespace, renewed at each heartbeat
 * (as the kubelet renews its node Lease), so that a heartbeat does not rewrite the node's HypervisorNic and VmInventory
 * statuses (docs/decisions/023-heartbeat-leases.md).
 */
public final class HeartbeatLeases {
    /** Name of a node's heartbeat Lease: this prefix and the node's name. */
    public static final String NAME_PREFIX = "sriovlm-agent-";
    /**
     * Annotation on the Lease: the heartbeatTime of the HypervisorNic status the agent found current at the renewal.
     * The renewal counts only for that status or a later one, since the Lease can reach a watcher before it.
     */
    public static final String VOUCHES_FOR = Labels.GROUP + "/vouches-for-heartbeat";
    /** Annotation on the Lease: likewise, the heartbeatTime of the VmInventory status the agent found current. */
    public static final String VOUCHES_FOR_INVENTORY = Labels.GROUP + "/vouches-for-inventory";

    private HeartbeatLeases() {
    }

    public static String nameFor(String node) {
        return NAME_PREFIX + node;
    }
}
