package io.sriovlm.sandbox.api;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;

import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * The Kubernetes API a sandbox runs against: the {@link EmbeddedApiServer} in this process, or a real control plane
 * ({@code io.sriovlm.sandbox.controlplane}). The operator and each node agent get clients of their own identity, as
 * their Deployment and DaemonSet pods would; the world is seeded, and tests read it, as the administrator.
 */
public interface SandboxApi extends AutoCloseable {
    /** The administrator's client; the API keeps and closes it. */
    KubernetesClient client();

    /** A new client as the operator (ServiceAccount sriovlm-operator on a real server). The caller closes it. */
    KubernetesClient operatorClient();

    /**
     * A new client as the agent of {@code node} (ServiceAccount sriovlm-agent, with a token bound to its DaemonSet
     * pod there on a real server). The Node must exist. The caller closes it.
     */
    default KubernetesClient agentClient(String node) {
        return agentClient(node, builder -> {
        });
    }

    /**
     * As {@link #agentClient(String)}, with {@code sharing} applied to the client's builder: a light fleet's agents
     * share event loops, threads and the JSON mapper, each still with its own identity and token.
     */
    KubernetesClient agentClient(String node, Consumer<KubernetesClientBuilder> sharing);

    /** Errors, dropped watches and write observers to inject between the product and the server. */
    ApiFaults faults();

    /** Where the administrator reaches the server. */
    String url();

    /** A kubeconfig for kubectl, as the administrator. */
    void writeKubeconfig(Path file);

    /**
     * A kubeconfig as the operator (its ServiceAccount's token on a real server), through the same fault layer as
     * {@link #operatorClient()}: for an operator process of its own (the scale benchmark).
     */
    void writeOperatorKubeconfig(Path file);

    /** What this server is, for a run's first line: which API answered matters to every figure it prints. */
    String describe();

    @Override
    void close();
}
