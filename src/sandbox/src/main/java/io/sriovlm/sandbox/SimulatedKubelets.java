package io.sriovlm.sandbox;

import io.fabric8.kubernetes.api.model.BindingBuilder;
import io.fabric8.kubernetes.api.model.NodeConditionBuilder;
import io.fabric8.kubernetes.api.model.NodeSelectorRequirement;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.sriovlm.common.Timestamps;
import org.jboss.logging.Logger;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * What the kubelets, the scheduler and the node lifecycle controller of the simulated hypervisors would do for the
 * pods and Nodes of this sandbox, which has none of them: a Node is Ready (and loses the {@code not-ready} taint the
 * API server puts on new Nodes) unless the sandbox takes it down; a pod that asks for exactly one of these nodes by
 * node affinity (a DaemonSet's) is bound there; a pod on a Ready node runs and is Ready; a pod deleted gracefully on a
 * Ready node is removed once "stopped". The containers themselves are this process: the agents run in it.
 * <p>
 * On the embedded API server this changes little (nothing binds or deletes gracefully there), but on a real one it is
 * what lets a DaemonSet pod exist for a token to be bound to, a PodDisruptionBudget count the drain guard as healthy,
 * and {@code kubectl drain} finish.
 */
final class SimulatedKubelets implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(SimulatedKubelets.class);
    private static final String NOT_READY_TAINT = "node.kubernetes.io/not-ready";
    private final KubernetesClient admin;
    private final Set<String> down = ConcurrentHashMap.newKeySet();
    // One thread: the kubelets' writes are few, and doing them in order keeps each pod's story readable.
    private final ExecutorService work = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "simulated-kubelets");
        t.setDaemon(true);
        return t;
    });
    private SharedIndexInformer<Pod> pods;

    SimulatedKubelets(KubernetesClient admin) {
        this.admin = admin;
    }

    void start() {
        pods = admin.pods().inAnyNamespace().inform(new ResourceEventHandler<>() {
            @Override
            public void onAdd(Pod pod) {
                work.execute(() -> act(pod));
            }

            @Override
            public void onUpdate(Pod old, Pod pod) {
                work.execute(() -> act(pod));
            }

            @Override
            public void onDelete(Pod pod, boolean unknownFinalState) {
            }
        });
    }

    /**
     * The node's kubelet posts Ready (true) or stops posting (false: the Node's Ready condition turns Unknown, as the
     * node lifecycle controller sets it). A new Node also loses the API server's {@code not-ready} taint.
     */
    void setReady(String node, boolean ready) {
        if (ready) {
            down.remove(node);
        } else {
            down.add(node);
        }
        String now = Timestamps.format(Instant.now());
        admin.nodes().withName(node).editStatus(n -> {
            if (n.getStatus() == null) {
                n.setStatus(new io.fabric8.kubernetes.api.model.NodeStatus());
            }
            n.getStatus().getConditions().removeIf(c -> "Ready".equals(c.getType()));
            n.getStatus().getConditions().add(new NodeConditionBuilder()
                    .withType("Ready").withStatus(ready ? "True" : "Unknown")
                    .withReason(ready ? "KubeletReady" : "NodeStatusUnknown")
                    .withMessage(ready ? "kubelet is posting ready status" : "Kubelet stopped posting node status.")
                    .withLastHeartbeatTime(now).withLastTransitionTime(now).build());
            return n;
        });
        if (ready) {
            admin.nodes().withName(node).edit(n -> {
                if (n.getSpec() != null && n.getSpec().getTaints() != null) {
                    n.getSpec().getTaints().removeIf(t -> NOT_READY_TAINT.equals(t.getKey()));
                }
                return n;
            });
        }
        if (pods != null) {
            pods.getStore().list().forEach(p -> work.execute(() -> act(p)));
        }
    }

    private void act(Pod pod) {
        try {
            String node = pod.getSpec() == null ? null : pod.getSpec().getNodeName();
            if (node == null) {
                affinityNode(pod).ifPresent(n -> bind(pod, n));
                return;
            }
            if (down.contains(node) || admin.nodes().withName(node).get() == null) {
                return;
            }
            if (pod.getMetadata().getDeletionTimestamp() != null) {
                // The containers stopped: the kubelet removes the pod for good.
                admin.pods().inNamespace(pod.getMetadata().getNamespace()).withName(pod.getMetadata().getName())
                        .withGracePeriod(0).delete();
                return;
            }
            if (pod.getStatus() == null || !"Running".equals(pod.getStatus().getPhase())) {
                String now = Timestamps.format(Instant.now());
                String status = "{\"status\":{\"phase\":\"Running\",\"startTime\":\"" + now + "\",\"conditions\":["
                        + condition("PodScheduled", now) + "," + condition("Initialized", now) + ","
                        + condition("ContainersReady", now) + "," + condition("Ready", now) + "]}}";
                admin.pods().inNamespace(pod.getMetadata().getNamespace()).withName(pod.getMetadata().getName())
                        .subresource("status").patch(PatchContext.of(PatchType.JSON_MERGE), status);
            }
        } catch (KubernetesClientException e) {
            // Gone meanwhile, or changed under us: the informer brings the next state.
            LOG.debugf(e, "simulated kubelet: pod %s/%s", pod.getMetadata().getNamespace(), pod.getMetadata().getName());
        }
    }

    private static String condition(String type, String now) {
        return "{\"type\":\"" + type + "\",\"status\":\"True\",\"lastTransitionTime\":\"" + now + "\"}";
    }

    /** The one node a pod must run on by required node affinity on {@code metadata.name}, as DaemonSet pods say. */
    private static Optional<String> affinityNode(Pod pod) {
        var affinity = pod.getSpec() == null ? null : pod.getSpec().getAffinity();
        if (affinity == null || affinity.getNodeAffinity() == null
                || affinity.getNodeAffinity().getRequiredDuringSchedulingIgnoredDuringExecution() == null) {
            return Optional.empty();
        }
        var terms = affinity.getNodeAffinity().getRequiredDuringSchedulingIgnoredDuringExecution()
                .getNodeSelectorTerms();
        if (terms.size() != 1) {
            return Optional.empty();
        }
        List<NodeSelectorRequirement> fields = terms.get(0).getMatchFields();
        return fields.size() == 1 && "metadata.name".equals(fields.get(0).getKey())
                && "In".equals(fields.get(0).getOperator()) && fields.get(0).getValues().size() == 1
                ? Optional.of(fields.get(0).getValues().get(0)) : Optional.empty();
    }

    private void bind(Pod pod, String node) {
        if (down.contains(node)) {
            return;
        }
        admin.bindings().inNamespace(pod.getMetadata().getNamespace()).resource(new BindingBuilder()
                .withNewMetadata().withName(pod.getMetadata().getName()).endMetadata()
                .withNewTarget().withApiVersion("v1").withKind("Node").withName(node).endTarget().build()).create();
    }

    @Override
    public void close() {
        if (pods != null) {
            pods.close();
        }
        work.shutdownNow();
    }
}
