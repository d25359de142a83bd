package io.sriovlm.api.v1alpha1;

/**
 * The agents' heartbeat: one coordination.k8s.io Lease per node in sriovlm's namespace, renewed at each heartbeat
 * (as the kubelet renews its node Lease), so that a heartbeat does not rewrite the node's whole HypervisorNic status
 * (docs/decisions/023-heartbeat-leases.md).
 */
public final class HeartbeatLeases {
    /** Name of a node's heartbeat Lease: this prefix and the node's name. */
    public static final String NAME_PREFIX = "sriovlm-agent-";

    private HeartbeatLeases() {
    }

    public static String nameFor(String node) {
        return NAME_PREFIX + node;
    }
}
