package io.sriovlm.operator.reconciler;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.NodeStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.sriovlm.status.StatusWriter;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The operator's one writer of Node status: its own condition (SriovEvacuated) and nothing else. A status PUT with
 * the cached resourceVersion (docs/decisions/002): it replaces only our condition in the node's list, and a kubelet
 * status update in between is a 409, decided again on the next reconcile, never a lost write of the kubelet's.
 */
public final class NodeConditionWriter extends StatusWriter<Node> {

    public NodeConditionWriter(KubernetesClient client) {
        super(client, LOST_WRITE_HOLD);
    }

    /**
     * @return the written node, or empty when the node changed since {@code base} was read
     */
    public Optional<Node> set(Node base, NodeCondition condition) {
        Node desired = Serialization.clone(base);
        if (desired.getStatus() == null) {
            desired.setStatus(new NodeStatus());
        }
        List<NodeCondition> conditions = new ArrayList<>(
                desired.getStatus().getConditions() == null ? List.of() : desired.getStatus().getConditions());
        conditions.removeIf(c -> condition.getType().equals(c.getType()));
        conditions.add(condition);
        desired.getStatus().setConditions(conditions);
        return write(desired);
    }
}
