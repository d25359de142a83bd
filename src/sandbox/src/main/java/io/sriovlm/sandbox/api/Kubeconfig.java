package io.sriovlm.sandbox.api;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.OAuthTokenProvider;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * How a client reaches an API server as one identity: the server's URL, the CA that signed its certificate (null for
 * plain HTTP), a bearer token, a default namespace. Written as a kubeconfig for kubectl and the product's jar, or
 * turned into a fabric8 client.
 */
public record Kubeconfig(String server, String caCertificateBase64, String token, String namespace) {

    /** A kubeconfig file with one cluster, user and context, all named {@code sandbox}. */
    public void write(Path file) {
        String yaml = "apiVersion: v1\n"
                + "kind: Config\n"
                + "clusters:\n"
                + "- name: sandbox\n"
                + "  cluster:\n"
                + "    server: " + server + "\n"
                + (caCertificateBase64 == null ? "" : "    certificate-authority-data: " + caCertificateBase64 + "\n")
                + "users:\n"
                + "- name: sandbox\n"
                + "  user:\n"
                + "    token: " + token + "\n"
                + "contexts:\n"
                + "- name: sandbox\n"
                + "  context:\n"
                + "    cluster: sandbox\n"
                + "    user: sandbox\n"
                + "    namespace: " + namespace + "\n"
                + "current-context: sandbox\n";
        try {
            if (file.getParent() != null) {
                Files.createDirectories(file.getParent());
            }
            Files.writeString(file, yaml);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A fabric8 client of this identity; with a {@code tokens} provider, each request asks it for the token. */
    public KubernetesClient client(OAuthTokenProvider tokens) {
        return client(tokens, b -> {
        });
    }

    /** @param sharing what the client shares with others (a light fleet's event loops, threads and JSON mapper) */
    public KubernetesClient client(OAuthTokenProvider tokens, Consumer<KubernetesClientBuilder> sharing) {
        ConfigBuilder b = new ConfigBuilder(Config.empty()).withMasterUrl(server).withNamespace(namespace)
                .withRequestTimeout(10_000);
        if (caCertificateBase64 != null) {
            b.withCaCertData(caCertificateBase64);
        } else {
            b.withTrustCerts(true);
        }
        Config config = b.withOauthToken(token).build();
        if (tokens != null) {
            config.setOauthTokenProvider(tokens);
        }
        KubernetesClientBuilder client = new KubernetesClientBuilder().withConfig(config);
        sharing.accept(client);
        return client.build();
    }

    public KubernetesClient client() {
        return client(null);
    }

    public Kubeconfig withServer(String url) {
        return new Kubeconfig(url, caCertificateBase64, token, namespace);
    }

    public Kubeconfig withToken(String t) {
        return new Kubeconfig(server, caCertificateBase64, t, namespace);
    }

    public Kubeconfig withNamespace(String ns) {
        return new Kubeconfig(server, caCertificateBase64, token, ns);
    }
}
