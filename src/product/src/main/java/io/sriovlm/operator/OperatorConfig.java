package io.sriovlm.operator;

import java.time.Duration;

/**
 * The operator's tunables.
 *
 * @param maxInFlight          migrations past Pending at once, cluster-wide (KubeVirt's default: 5)
 * @param maxOutboundPerNode   migrations leaving one node at once, from Scheduling until the domain has left it
 *                             (KubeVirt's default: 2; docs/decisions/008-outbound-slot.md)
 * @param maxInboundPerNode    migrations arriving on one node at once
 * @param heartbeatStaleAfter  an agent whose last report is older is treated as NotReady
 */
public record OperatorConfig(int maxInFlight, int maxOutboundPerNode, int maxInboundPerNode,
        Duration heartbeatStaleAfter) {

    public static OperatorConfig defaults() {
        return new OperatorConfig(5, 2, 2, Duration.ofSeconds(30));
    }
}
