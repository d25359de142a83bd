package io.sriovlm.operator.placement;

import io.sriovlm.api.v1alpha1.ConditionTypes;
import io.fabric8.kubernetes.api.model.Node;
import io.sriovlm.api.v1alpha1.HeartbeatLeases;
import io.sriovlm.api.v1alpha1.HypervisorNic;
import io.sriovlm.common.Conditions;
import io.sriovlm.common.Timestamps;

import java.time.Instant;
import java.util.Optional;

/** Whether a node can take part in a migration, judged from its HypervisorNic and Node. Pure. */
public final class NicHealth {
    private NicHealth() {
    }

    /** Why the node is not ready, or empty when it is. */
    public static Optional<String> problem(HypervisorNic nic, Node node, AgentLiveness liveness) {
        String name = nic == null ? "?" : nic.getSpec().nodeName;
        if (nic == null) {
            return Optional.of("no HypervisorNic reports on this node");
        }
        if (node == null) {
            return Optional.of("HypervisorNic " + nic.getMetadata().getName() + " names node " + name
                    + ", which does not exist; fix spec.nodeName or delete the HypervisorNic");
        }
        Optional<String> nodeNotReady = node.getStatus() == null ? Optional.empty() : node.getStatus().getConditions()
                .stream().filter(c -> "Ready".equals(c.getType()) && !"True".equals(c.getStatus())).findFirst()
                .map(c -> "node " + name + " is NotReady (Ready=" + c.getStatus() + ", " + c.getReason() + ": "
                        + c.getMessage() + ")");
        if (nodeNotReady.isPresent()) {
            // The kubelet is silent: its agent may be down too even if its last heartbeat is recent.
            return nodeNotReady;
        }
        if (nic.getStatus() == null || nic.getStatus().heartbeatTime == null) {
            return Optional.of("the node agent on " + name + " has not reported yet; check the sriovlm-agent pod on that node");
        }
        Instant heartbeat = liveness.lastReport(nic);
        if (liveness.stale(heartbeat)) {
            return Optional.of("the node agent on " + name + " last reported at " + Timestamps.format(heartbeat)
                    + " (more than " + liveness.staleAfter().toSeconds() + "s ago, by its HypervisorNic status and its"
                    + " Lease " + HeartbeatLeases.nameFor(name) + ")" + liveness.uncountedRenewal(nic).map(r -> "; " + r)
                            .orElse("") + "; check the sriovlm-agent pod on that node");
        }
        if (!Conditions.isTrue(nic.getStatus().conditions, ConditionTypes.AGENT_READY)) {
            String why = Conditions.find(nic.getStatus().conditions, ConditionTypes.AGENT_READY).map(c -> c.getMessage())
                    .orElse("the agent has not reported its host ready");
            return Optional.of(why);
        }
        return Optional.empty();
    }

    public static boolean schedulable(Node node) {
        return node != null && (node.getSpec() == null || !Boolean.TRUE.equals(node.getSpec().getUnschedulable()));
    }
}
