package io.sriovlm.sandbox.controlplane;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.authentication.TokenRequest;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.OAuthTokenProvider;
import io.sriovlm.sandbox.api.ApiFaults;
import io.sriovlm.sandbox.api.Kubeconfig;
import io.sriovlm.testing.Kubectl;
import io.sriovlm.sandbox.api.SandboxApi;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.Consumer;
import java.util.Optional;

/**
 * The sandbox on a real control plane: a {@link RealControlPlane} with the product installed the way a user installs it
 * ({@code kubectl apply -k config/default}, then {@code -k config/admission-policy} and {@code -k config/flowcontrol}),
 * and clients for the operator and for each node's agent that carry ServiceAccount tokens from the TokenRequest API,
 * as their pods would: the operator's for {@code sriovlm-operator}, each agent's for {@code sriovlm-agent} bound to
 * that node's DaemonSet pod (so the API server puts the node's name in the token, which the admission policy checks).
 * They get the shipped RBAC and nothing more, and they reach the API server through a {@link FaultProxy}, so that the
 * sandbox's faults apply to them.
 */
public final class ControlPlaneApi implements SandboxApi {
    public static final String NAMESPACE = "sriovlm-system";
    public static final String OPERATOR_ACCOUNT = "sriovlm-operator";
    public static final String AGENT_ACCOUNT = "sriovlm-agent";
    /** How long each token lives; the clients ask for a new one at 80 % of it, as the kubelet does. */
    private static final long TOKEN_SECONDS = 3600;

    private final RealControlPlane controlPlane;
    private final ApiFaults faults = new ApiFaults();
    private final FaultProxy proxy;
    private final Kubectl kubectl;

    private ControlPlaneApi(RealControlPlane controlPlane, Path configDir) throws IOException {
        this.controlPlane = controlPlane;
        Pki pki = controlPlane.pki();
        pki.servingCertificate("fault-proxy");
        this.proxy = new FaultProxy(faults, "127.0.0.1", controlPlane.port(), serverTls(pki, "fault-proxy"),
                clientTls(pki));
        Path kubeconfig = controlPlane.workDir().resolve("admin.kubeconfig");
        controlPlane.admin().write(kubeconfig);
        this.kubectl = new Kubectl(kubeconfig, Files.createDirectories(controlPlane.workDir().resolve("kubectl")));
        install(configDir);
    }

    /**
     * Starts a control plane from the binaries in {@code bin} under {@code workDir} and installs the product from the
     * kustomize bases under {@code configDir} (the repository's {@code config/}). With {@code audit}, the API server
     * logs every request of the product's ServiceAccounts ({@link RealControlPlane#auditLog}).
     */
    public static ControlPlaneApi start(Path bin, Path workDir, Path configDir, boolean audit) {
        RealControlPlane cp = RealControlPlane.start(bin, workDir, audit);
        try {
            return new ControlPlaneApi(cp, configDir);
        } catch (IOException | RuntimeException e) {
            cp.close();
            throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
        }
    }

    private void install(Path configDir) {
        for (String base : List.of("default", "admission-policy", "flowcontrol")) {
            Kubectl.Run run = kubectl(Duration.ofSeconds(60), "apply", "-k",
                    configDir.toAbsolutePath().resolve(base).toString());
            if (run.rc() != 0) {
                throw new IllegalStateException("kubectl apply -k config/" + base + " failed: " + run.all());
            }
        }
        Kubectl.Run established = kubectl(Duration.ofSeconds(60), "wait", "--for=condition=Established",
                "--timeout=60s", "crd/sriovmigrations.sriovlm.io", "crd/hypervisornics.sriovlm.io",
                "crd/vfpools.sriovlm.io", "crd/vfclaims.sriovlm.io", "crd/vminventories.sriovlm.io");
        if (established.rc() != 0) {
            throw new IllegalStateException("the CRDs did not become Established: " + established.all());
        }
    }

    private Kubectl.Run kubectl(Duration timeout, String... args) {
        try {
            return kubectl.run(timeout, args);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted: kubectl " + String.join(" ", args), e);
        }
    }

    public RealControlPlane controlPlane() {
        return controlPlane;
    }

    /** kubectl as the administrator, straight to the API server. */
    public Kubectl kubectl() {
        return kubectl;
    }

    @Override
    public KubernetesClient client() {
        return controlPlane.adminClient();
    }

    @Override
    public KubernetesClient operatorClient() {
        return productClient(new Tokens(OPERATOR_ACCOUNT, null));
    }

    @Override
    public KubernetesClient agentClient(String node, Consumer<KubernetesClientBuilder> sharing) {
        return productClient(new Tokens(AGENT_ACCOUNT, agentPod(node, Duration.ofSeconds(30))), sharing);
    }

    /** A client as a product identity, through the fault proxy, in the product's namespace. */
    private KubernetesClient productClient(Tokens tokens) {
        return productClient(tokens, builder -> {
        });
    }

    private KubernetesClient productClient(Tokens tokens, Consumer<KubernetesClientBuilder> sharing) {
        return new Kubeconfig(proxy.url(), controlPlane.pki().caCertificateBase64(), tokens.getToken(), NAMESPACE)
                .client(tokens, sharing);
    }

    /**
     * The token of a product identity with its own credentials, as a kubeconfig reaching the API server itself (for
     * a process of its own, e.g. an operator replica started from the jar).
     */
    public Kubeconfig operatorKubeconfig() {
        return controlPlane.admin().withToken(new Tokens(OPERATOR_ACCOUNT, null).getToken()).withNamespace(NAMESPACE);
    }

    /** The agent of {@code node} with its own token, straight to the API server (a test's forged request). */
    public Kubeconfig agentKubeconfig(String node) {
        return controlPlane.admin().withToken(new Tokens(AGENT_ACCOUNT, agentPod(node, Duration.ofSeconds(30)))
                .getToken()).withNamespace(NAMESPACE);
    }

    /**
     * An agent's token that names no node (requested for the ServiceAccount itself, bound to no pod), straight to the
     * API server: what the admission policy refuses.
     */
    public Kubeconfig unboundAgentKubeconfig() {
        return controlPlane.admin().withToken(new Tokens(AGENT_ACCOUNT, null).getToken()).withNamespace(NAMESPACE);
    }

    /** The agent DaemonSet's pod on {@code node}, once the DaemonSet controller made it and it was bound there. */
    private Pod agentPod(String node, Duration timeout) {
        Instant until = Instant.now().plus(timeout);
        while (true) {
            Optional<Pod> pod = client().pods().inNamespace(NAMESPACE)
                    .withLabel("app.kubernetes.io/component", "agent").list().getItems().stream()
                    .filter(p -> node.equals(p.getSpec().getNodeName()) && p.getMetadata().getDeletionTimestamp() == null)
                    .findFirst();
            if (pod.isPresent()) {
                return pod.get();
            }
            if (Instant.now().isAfter(until)) {
                throw new IllegalStateException("no sriovlm-agent pod was bound to node " + node + " within " + timeout
                        + ": is the Node labelled sriovlm.io/hypervisor=true and Ready?");
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    /** A ServiceAccount's tokens from the TokenRequest API, renewed at 80 % of their life, as the kubelet does. */
    private final class Tokens implements OAuthTokenProvider {
        private final String account;
        private final Pod boundTo;
        private String token;
        private Instant renewAt = Instant.MIN;

        Tokens(String account, Pod boundTo) {
            this.account = account;
            this.boundTo = boundTo;
        }

        @Override
        public synchronized String getToken() {
            if (Instant.now().isAfter(renewAt)) {
                TokenRequestBuilder request = new TokenRequestBuilder().withNewSpec()
                        .withExpirationSeconds(TOKEN_SECONDS).endSpec();
                if (boundTo != null) {
                    request.editSpec().withNewBoundObjectRef().withApiVersion("v1").withKind("Pod")
                            .withName(boundTo.getMetadata().getName()).withUid(boundTo.getMetadata().getUid())
                            .endBoundObjectRef().endSpec();
                }
                TokenRequest answer = client().serviceAccounts().inNamespace(NAMESPACE).withName(account)
                        .tokenRequest(request.build());
                token = answer.getStatus().getToken();
                renewAt = Instant.now().plusSeconds(TOKEN_SECONDS * 8 / 10);
            }
            return token;
        }
    }

    @Override
    public ApiFaults faults() {
        return faults;
    }

    @Override
    public String url() {
        return controlPlane.admin().server();
    }

    /** What the product's clients use: the fault proxy in front of the API server. */
    public String proxyUrl() {
        return proxy.url();
    }

    @Override
    public void writeKubeconfig(Path file) {
        controlPlane.admin().write(file);
    }

    @Override
    public void writeOperatorKubeconfig(Path file) {
        operatorKubeconfig().withServer(proxy.url()).write(file);
    }

    @Override
    public String describe() {
        return "real control plane: kube-apiserver " + controlPlane.version() + " + etcd + kube-controller-manager"
                + " (RBAC and admission on; operator and agents with ServiceAccount tokens, through the fault proxy)";
    }

    @Override
    public void close() {
        try {
            proxy.close();
        } finally {
            controlPlane.close();
        }
    }

    private static SSLContext serverTls(Pki pki, String name) {
        try (InputStream in = Files.newInputStream(pki.file(name + ".p12"))) {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(in, Pki.KEYSTORE_PASSWORD.toCharArray());
            KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keys.init(store, Pki.KEYSTORE_PASSWORD.toCharArray());
            SSLContext tls = SSLContext.getInstance("TLS");
            tls.init(keys.getKeyManagers(), null, null);
            return tls;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot load the fault proxy's certificate", e);
        }
    }

    private static SSLContext clientTls(Pki pki) {
        try (InputStream in = Files.newInputStream(pki.caCertificate())) {
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            store.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(store);
            SSLContext tls = SSLContext.getInstance("TLS");
            tls.init(null, trust.getTrustManagers(), null);
            return tls;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot trust the control plane's CA", e);
        }
    }
}
