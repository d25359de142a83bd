package io.sriovlm.operator.placement;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeConditionBuilder;
import io.fabric8.kubernetes.api.model.NodeStatus;
import io.sriovlm.testing.Objects;
import org.junit.jupiter.api.Test;

import java.time.Duration;
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

    @Test
    void aNotReadyNodeIsAProblemAndAReadyOneIsNot() {
        var nic = Objects.nic("hv2", Map.of());
        assertThat(NicHealth.problem(nic, withReady("Unknown"), Objects.NOW, Duration.ofSeconds(30)))
                .hasValueSatisfying(p -> assertThat(p).contains("node hv2 is NotReady (Ready=Unknown"));
        assertThat(NicHealth.problem(nic, withReady("False"), Objects.NOW, Duration.ofSeconds(30))).isPresent();
        assertThat(NicHealth.problem(nic, withReady("True"), Objects.NOW, Duration.ofSeconds(30))).isEmpty();
        assertThat(NicHealth.problem(nic, Objects.node("hv2"), Objects.NOW, Duration.ofSeconds(30))).isEmpty();
    }
}
