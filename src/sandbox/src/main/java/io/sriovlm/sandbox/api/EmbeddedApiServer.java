package io.sriovlm.sandbox.api;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.function.Consumer;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;

/**
 * An in-process Kubernetes API server for the sandbox and for tests: fabric8's CRUD mock server, made strict where it
 * is lax (optimistic concurrency on {@code /status}, schema and CEL validation of custom resources) and answering what
 * {@code kubectl} 1.32 needs (version, discovery, an OpenAPI stub, server-side tables, field selectors).
 * Plain HTTP, no authentication. Watches are WebSocket only (fabric8 clients and informers work; {@code kubectl get -w}
 * does not).
 */
public final class EmbeddedApiServer implements SandboxApi {
    private final KubernetesMockServer server;
    private final String host;
    private final KubernetesClient admin;
    private final ApiFaults faults;

    private EmbeddedApiServer(KubernetesMockServer server, String host, ApiFaults faults) {
        this.server = server;
        this.host = host;
        this.faults = faults;
        this.admin = newClient();
    }

    /**
     * Starts a server on {@code host:port} (port 0: any free port) and registers {@code crds} in it.
     */
    public static EmbeddedApiServer start(String host, int port, List<CustomResourceDefinition> crds) {
        KubernetesCrudDispatcher crud = new KubernetesCrudDispatcher();
        Store store = new Store(crud);
        CrdRegistry registry = new CrdRegistry(
                () -> store.get("/apis/apiextensions.k8s.io/v1/customresourcedefinitions"));
        ApiFaults faults = new ApiFaults();
        ApiDispatcher dispatcher = new ApiDispatcher(store, registry, faults);
        KubernetesMockServer mock = new KubernetesMockServer(new Context(Serialization.jsonMapper()),
                new MockWebServer(), new HashMap<>(), dispatcher, false);
        try {
            mock.init(InetAddress.getByName(host), port);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        EmbeddedApiServer s = new EmbeddedApiServer(mock, host, faults);
        try {
            s.admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("default").endMetadata()
                    .build()).create();
            for (CustomResourceDefinition crd : crds) {
                s.admin.apiextensions().v1().customResourceDefinitions().resource(crd).create();
            }
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
        registry.refresh();
        return s;
    }

    /** Errors, dropped watches and write observers to inject into this server (see {@link ApiFaults}). */
    @Override
    public ApiFaults faults() {
        return faults;
    }

    /** A client pointed at this server (namespace {@code default}); the server keeps and closes this one. */
    @Override
    public KubernetesClient client() {
        return admin;
    }

    /** An independent client: each operator or agent gets its own. The caller closes it. */
    public KubernetesClient newClient() {
        return kubeconfig().client();
    }

    /** No authentication here: every identity is the same anonymous one. */
    @Override
    public KubernetesClient operatorClient() {
        return newClient();
    }

    @Override
    public KubernetesClient agentClient(String node, Consumer<KubernetesClientBuilder> sharing) {
        return kubeconfig().client(null, sharing);
    }

    @Override
    public String describe() {
        return "embedded API server (fabric8 mock, in this process; no RBAC, no admission webhooks or policies)";
    }

    private Kubeconfig kubeconfig() {
        return new Kubeconfig(url(), null, "dummy", "default");
    }

    /** {@code http://HOST:PORT} */
    @Override
    public String url() {
        return "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + server.getPort();
    }

    public int port() {
        return server.getPort();
    }

    /** Writes a kubeconfig for kubectl: this server, token {@code dummy}, context {@code sandbox}, namespace default. */
    @Override
    public void writeKubeconfig(Path file) {
        kubeconfig().write(file);
    }

    /** No authentication here: the operator's kubeconfig is the administrator's (faults apply in-process). */
    @Override
    public void writeOperatorKubeconfig(Path file) {
        kubeconfig().write(file);
    }

    @Override
    public void close() {
        try {
            admin.close();
        } finally {
            server.destroy();
        }
    }
}
