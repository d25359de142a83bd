package io.sriovlm.operator;

import java.time.Duration;

/**
 * The operator's limits, as its code uses them: from {@link OperatorSettings} ({@link OperatorSettings#limits}).
 *
 * @param maxInFlight          migrations past Pending at once, cluster-wide (KubeVirt's default: 5)
 * @param maxOutboundPerNode   migrations leaving one node at once, from Scheduling until the domain has left it
 *                             (KubeVirt's default: 2; docs/decisions/008-outbound-slot.md)
 * @param maxInboundPerNode    migrations arriving on one node at once
 * @param heartbeatStaleAfter  an agent whose last report is older is treated as NotReady
 * @param history              how long finished migrations are kept
 * @param prepareAhead         admit one migration behind each busy outbound lane and prepare its target while the
 *                             lane's copy runs (docs/decisions/014-prepare-ahead.md)
 * @param agentLeaseNamespace  where the agents renew their heartbeat Leases (docs/decisions/023-heartbeat-leases.md)
 */
public record OperatorConfig(int maxInFlight, int maxOutboundPerNode, int maxInboundPerNode,
        Duration heartbeatStaleAfter, HistoryConfig history, boolean prepareAhead, String agentLeaseNamespace) {

    /** These limits, with the default history retention, preparing ahead, the default Lease namespace. */
    public OperatorConfig(int maxInFlight, int maxOutboundPerNode, int maxInboundPerNode, Duration heartbeatStaleAfter) {
        this(maxInFlight, maxOutboundPerNode, maxInboundPerNode, heartbeatStaleAfter, HistoryConfig.defaults(), true,
                OperatorSettings.defaults().agentLeaseNamespace());
    }

    public OperatorConfig withHistory(HistoryConfig retention) {
        return new OperatorConfig(maxInFlight, maxOutboundPerNode, maxInboundPerNode, heartbeatStaleAfter, retention,
                prepareAhead, agentLeaseNamespace);
    }

    public OperatorConfig withPrepareAhead(boolean on) {
        return new OperatorConfig(maxInFlight, maxOutboundPerNode, maxInboundPerNode, heartbeatStaleAfter, history, on,
                agentLeaseNamespace);
    }

    /** The defaults of {@link OperatorSettings}. */
    public static OperatorConfig defaults() {
        return OperatorSettings.defaults().limits();
    }
}
