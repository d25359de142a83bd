package io.sriovlm.operator.placement;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeConditionBuilder;
import io.fabric8.kubernetes.api.model.NodeStatus;
import io.sriovlm.testing.Objects;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** A node whose kubelet went silent is not a place to migrate to, even while its agent's last report is fresh. */
class NicHealthTest {
    private static Node withReady(String status) {
        Node node = Objects.node("hv2");
        node.setStatus(new NodeStatus());
        node.getStatus().getConditions().add(new NodeConditionBuilder().withType("Ready").withStatus(status)
                .withReason("NodeStatusUnknown").withMessage("Kubelet stopped posting node status.").build());
        return node;
    }

    private static final AgentLiveness LIVE = AgentLiveness.fromStatus(Objects.NOW, Duration.ofSeconds(30), Objects::running);

    @Test
    void aNotReadyNodeIsAProblemAndAReadyOneIsNot() {
        var nic = Objects.nic("hv2", Map.of());
        assertThat(NicHealth.problem(nic, withReady("Unknown"), LIVE))
                .hasValueSatisfying(p -> assertThat(p).contains("node hv2 is NotReady (Ready=Unknown"));
        assertThat(NicHealth.problem(nic, withReady("False"), LIVE)).isPresent();
        assertThat(NicHealth.problem(nic, withReady("True"), LIVE)).isEmpty();
        assertThat(NicHealth.problem(nic, Objects.node("hv2"), LIVE)).isEmpty();
    }

    @Test
    void theAgentIsLiveWhileItsStatusOrItsLeaseIsRecent() {
        var nic = Objects.nic("hv2", Map.of()); // reported NOW - 1 s
        AgentLiveness later = AgentLiveness.fromStatus(Objects.NOW.plusSeconds(40), Duration.ofSeconds(30), Objects::running);
        assertThat(NicHealth.problem(nic, Objects.node("hv2"), later)).hasValueSatisfying(p -> assertThat(p)
                .contains("the node agent on hv2 last reported at").contains("Lease sriovlm-agent-hv2"));
        AgentLiveness renewed = new AgentLiveness(Objects.NOW.plusSeconds(40), Duration.ofSeconds(30),
                renewed("hv2", Objects.NOW.plusSeconds(35), Objects.NOW.minusSeconds(1)), Objects::running);
        assertThat(NicHealth.problem(nic, Objects.node("hv2"), renewed)).isEmpty();
        assertThat(renewed.lastReport(nic)).isEqualTo(Objects.NOW.plusSeconds(35));
        // Another node's Lease says nothing about hv2.
        AgentLiveness elsewhere = new AgentLiveness(Objects.NOW.plusSeconds(40), Duration.ofSeconds(30),
                renewed("hv3", Objects.NOW.plusSeconds(35), Objects.NOW.minusSeconds(1)), Objects::running);
        assertThat(NicHealth.problem(nic, Objects.node("hv2"), elsewhere)).isPresent();
        // A Lease written before it vouched for the status it found (an older agent) still counts.
        AgentLiveness olderAgent = new AgentLiveness(Objects.NOW.plusSeconds(40), Duration.ofSeconds(30),
                renewed("hv2", Objects.NOW.plusSeconds(35), null), Objects::running);
        assertThat(olderAgent.lastReport(nic)).isEqualTo(Objects.NOW.plusSeconds(35));
    }

    /** A renewal for a status the operator has not received yet does not count, and the message says so. */
    @Test
    void aRenewalForAStatusNotYetReceivedIsNamedInTheStaleMessage() {
        var nic = Objects.nic("hv2", Map.of()); // reported NOW - 1 s
        AgentLiveness ahead = new AgentLiveness(Objects.NOW.plusSeconds(40), Duration.ofSeconds(30),
                renewed("hv2", Objects.NOW.plusSeconds(35), Objects.NOW.plusSeconds(20)), Objects::running);
        assertThat(NicHealth.problem(nic, Objects.node("hv2"), ahead)).hasValueSatisfying(p -> assertThat(p)
                .contains("the node agent on hv2 last reported at")
                .contains("its Lease was renewed at " + io.sriovlm.common.Timestamps.format(Objects.NOW.plusSeconds(35))
                        + " for a HypervisorNic status of " + io.sriovlm.common.Timestamps.format(Objects.NOW.plusSeconds(20)))
                .contains("but the operator holds " + io.sriovlm.common.Timestamps.format(Objects.NOW.minusSeconds(1))));
        AgentLiveness counted = new AgentLiveness(Objects.NOW.plusSeconds(40), Duration.ofSeconds(30),
                renewed("hv2", Objects.NOW.plusSeconds(5), Objects.NOW.minusSeconds(1)), Objects::running);
        assertThat(counted.uncountedRenewal(nic)).isEmpty();
    }

    /** {@code node}'s Lease renewed at {@code at}, vouching for the status of heartbeatTime {@code vouchesFor}. */
    private static AgentLiveness.Renewals renewed(String node, Instant at, Instant vouchesFor) {
        return AgentLiveness.Renewals.of(Map.of(node, new AgentLiveness.Renewal(at, vouchesFor, null)));
    }
}
