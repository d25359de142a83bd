package io.sriovlm.operator.placement;

import io.sriovlm.api.v1alpha1.HypervisorNic;
import io.sriovlm.common.Timestamps;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * When each node's agent last vouched for its HypervisorNic status: the status's heartbeatTime (the time of the
 * observation it carries, written when something changed) or its heartbeat Lease's renewTime (a later observation
 * that found nothing new), whichever is later (docs/decisions/023-heartbeat-leases.md).
 * <p>
 * A renewal counts only for the status it vouches for. The Lease and the HypervisorNic reach the operator through
 * two watches, and a small Lease event overtakes a large status event: without this check a renewal that vouches for
 * a status the operator has not seen yet would date the older copy it holds, and the ledger would release a VF that
 * the newer status shows attached.
 *
 * @param now            the time decisions are made at
 * @param staleAfter     an agent silent for longer is treated as NotReady
 * @param leaseRenewals  the agents' Lease renewals, by node
 */
public record AgentLiveness(Instant now, Duration staleAfter, Renewals leaseRenewals) {

    /**
     * The last renewal of each node's heartbeat Lease, looked up one node at a time: a decision reads a node or a
     * few, and copying every node's into a map at each reconcile cost the operator a fifth of its CPU at 1,000 nodes.
     */
    @FunctionalInterface
    public interface Renewals {
        /** The renewal of {@code node}'s Lease; null when there is none. */
        Renewal of(String node);

        Renewals NONE = node -> null;

        static Renewals of(Map<String, Renewal> byNode) {
            return byNode::get;
        }
    }

    /**
     * One renewal of an agent's heartbeat Lease.
     *
     * @param renewTime     the time of the observation that found the status current
     * @param vouchesFor    the heartbeatTime of the status it found current; null from an agent that predates it,
     *                      whose renewal vouches for whatever status the operator holds, as it did before
     */
    public record Renewal(Instant renewTime, Instant vouchesFor) {
        /** Whether this renewal speaks for a status whose heartbeatTime is {@code statusHeartbeat}. */
        boolean vouchesFor(Instant statusHeartbeat) {
            return vouchesFor == null || statusHeartbeat != null && !statusHeartbeat.isBefore(vouchesFor);
        }
    }

    /** Judged from the statuses alone (no Lease seen). */
    public static AgentLiveness fromStatus(Instant now, Duration staleAfter) {
        return new AgentLiveness(now, staleAfter, Renewals.NONE);
    }

    /** The time of the agent's last word on {@code nic}'s host; null when it never reported. */
    public Instant lastReport(HypervisorNic nic) {
        return lastReport(nic, leaseRenewals);
    }

    /** The time of the agent's last word on {@code nic}'s host, given the Leases' renewals; null when never. */
    public static Instant lastReport(HypervisorNic nic, Renewals leaseRenewals) {
        Instant status = nic == null || nic.getStatus() == null ? null : Timestamps.parse(nic.getStatus().heartbeatTime);
        Renewal renewal = nic == null || nic.getSpec() == null ? null : leaseRenewals.of(nic.getSpec().nodeName);
        Instant lease = renewal == null || !renewal.vouchesFor(status) ? null : renewal.renewTime();
        if (status == null || lease == null) {
            return status == null ? lease : status;
        }
        return lease.isAfter(status) ? lease : status;
    }

    /** Whether the agent's last word is older than {@link #staleAfter}. */
    public boolean stale(Instant lastReport) {
        return lastReport == null || Duration.between(lastReport, now).compareTo(staleAfter) > 0;
    }
}
