package io.sriovlm.sandbox.controlplane;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.sriovlm.sandbox.api.Kubeconfig;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * A real Kubernetes control plane on loopback, started from binaries built by {@code hack/build-control-plane.sh}:
 * etcd, kube-apiserver (RBAC, a serving certificate from its own CA, ServiceAccount tokens, admission as a kubeadm
 * cluster has it plus privileged pods allowed) and kube-controller-manager with the controllers the product relies
 * on: garbage collector (owner references), disruption (PodDisruptionBudgets), DaemonSet (the agents' pods),
 * ServiceAccount and namespace. No scheduler and no kubelet: the sandbox plays those for its simulated nodes
 * (SimulatedKubelets).
 * <p>
 * The administrator is {@code sandbox-admin} in {@code system:masters}, by a static token. Every process writes its log
 * under {@code WORKDIR/logs}, and every command line names {@code WORKDIR}, so that a script can find and stop
 * what an interrupted run left behind.
 */
public final class RealControlPlane implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(RealControlPlane.class);
    /** Folder of the binaries: system property, or the environment variable {@link #BIN_ENV}. */
    public static final String BIN_PROPERTY = "sriovlm.controlplane.bin";
    public static final String BIN_ENV = "SRIOVLM_CONTROL_PLANE_BIN";
    public static final String ADMIN = "sandbox-admin";
    /** The identities whose every request the audit log keeps (the product's ServiceAccounts). */
    public static final List<String> AUDITED_USERS = List.of("system:serviceaccount:sriovlm-system:sriovlm-operator",
            "system:serviceaccount:sriovlm-system:sriovlm-agent");
    private static final List<String> CONTROLLERS = List.of("garbage-collector-controller", "disruption-controller",
            "daemonset-controller", "serviceaccount-controller", "namespace-controller");

    private final Path bin;
    private final Path workDir;
    private final Pki pki;
    private final List<Process> processes = new ArrayList<>();
    private final Thread shutdownHook = new Thread(this::stopProcesses, "control-plane-shutdown");
    private int port;
    private Kubeconfig admin;
    private KubernetesClient adminClient;

    private RealControlPlane(Path bin, Path workDir) {
        this.bin = bin;
        this.workDir = workDir.toAbsolutePath();
        deleteRecursively(this.workDir); // a fresh cluster every time: no etcd data, keys or logs of an earlier run
        this.pki = Pki.create(this.workDir.resolve("pki"));
    }

    private static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot clear " + dir, e);
        }
    }

    /**
     * The folder holding etcd, kube-apiserver and kube-controller-manager, from {@link #BIN_PROPERTY} or
     * {@link #BIN_ENV}; empty when neither is set.
     */
    public static Optional<Path> configuredBinaries() {
        String dir = System.getProperty(BIN_PROPERTY, System.getenv(BIN_ENV));
        if (dir == null || dir.isBlank()) {
            return Optional.empty();
        }
        Path path = Path.of(dir);
        for (String b : List.of("etcd", "kube-apiserver", "kube-controller-manager")) {
            if (!Files.isExecutable(path.resolve(b))) {
                throw new IllegalStateException(path.resolve(b) + " is missing: run hack/build-control-plane.sh");
            }
        }
        return Optional.of(path);
    }

    /**
     * Starts the three processes in {@code workDir} (emptied first) and waits until the API server is ready and the
     * controllers run.
     */
    public static RealControlPlane start(Path bin, Path workDir, boolean audit) {
        RealControlPlane cp = new RealControlPlane(bin, workDir);
        Runtime.getRuntime().addShutdownHook(cp.shutdownHook);
        try {
            cp.startAll(audit);
            return cp;
        } catch (RuntimeException e) {
            cp.close();
            throw e;
        }
    }

    private void startAll(boolean audit) {
        Instant begin = Instant.now();
        pki.servingCertificate("kube-apiserver");
        String adminToken = UUID.randomUUID().toString();
        write(pki.file("tokens.csv"), adminToken + "," + ADMIN + "," + ADMIN + ",system:masters\n");
        int etcdPort = freePort();
        int etcdPeerPort = freePort();
        port = freePort();
        String etcd = "http://127.0.0.1:" + etcdPort;
        String peer = "http://127.0.0.1:" + etcdPeerPort;
        // No fsync: this etcd holds a test's objects for minutes and dies with it; durability buys nothing here.
        launch("etcd", List.of("--name", "sandbox", "--data-dir", workDir.resolve("etcd").toString(),
                "--listen-client-urls", etcd, "--advertise-client-urls", etcd, "--listen-peer-urls", peer,
                "--initial-advertise-peer-urls", peer, "--initial-cluster", "sandbox=" + peer,
                "--unsafe-no-fsync", "--log-level", "warn"));

        List<String> apiserver = new ArrayList<>(List.of("--etcd-servers", etcd,
                "--bind-address", "127.0.0.1", "--advertise-address", "127.0.0.1", "--secure-port", "" + port,
                "--tls-cert-file", pki.file("kube-apiserver.crt").toString(),
                "--tls-private-key-file", pki.file("kube-apiserver.key").toString(),
                "--client-ca-file", pki.caCertificate().toString(),
                "--token-auth-file", pki.file("tokens.csv").toString(),
                "--service-account-key-file", pki.file("service-accounts.pub").toString(),
                "--service-account-signing-key-file", pki.file("service-accounts.key").toString(),
                "--service-account-issuer", "https://kubernetes.default.svc",
                "--authorization-mode", "RBAC",
                // kubeadm clusters allow privileged pods (the agent DaemonSet is privileged); a bare apiserver does not.
                "--allow-privileged=true",
                "--service-cluster-ip-range", "10.96.0.0/16",
                // No kubernetes Service endpoints: nothing here routes to the API server through a Service.
                "--endpoint-reconciler-type", "none",
                // Off unless asked (-Dsriovlm.controlplane.profiling=true): then /debug/pprof answers the admin, which
                // is how docs/benchmarks.md profiled kube-apiserver under the fleet benchmark.
                "--profiling=" + Boolean.getBoolean("sriovlm.controlplane.profiling")));
        if (audit) {
            write(workDir.resolve("audit-policy.yaml"), auditPolicy());
            apiserver.addAll(List.of("--audit-policy-file", workDir.resolve("audit-policy.yaml").toString(),
                    "--audit-log-path", auditLog().toString(), "--audit-log-format", "json",
                    "--audit-log-mode", "blocking"));
        }
        launch("kube-apiserver", apiserver);
        admin = new Kubeconfig("https://127.0.0.1:" + port, pki.caCertificateBase64(), adminToken, "default");
        adminClient = admin.client();
        awaitReady(Duration.ofSeconds(60));

        Path kcmConfig = workDir.resolve("kube-controller-manager.kubeconfig");
        admin.write(kcmConfig);
        launch("kube-controller-manager", List.of("--kubeconfig", kcmConfig.toString(),
                "--controllers", String.join(",", CONTROLLERS), "--leader-elect=false", "--secure-port", "0",
                "--concurrent-gc-syncs", "5"));
        // The ServiceAccount controller's first act: every namespace gets its "default" ServiceAccount.
        waitFor(Duration.ofSeconds(30), "kube-controller-manager to create default/default ServiceAccount",
                () -> adminClient.serviceAccounts().inNamespace("default").withName("default").get() != null);
        LOG.infof("real control plane up in %d ms: kube-apiserver %s at %s", Duration.between(begin, Instant.now())
                .toMillis(), version(), admin.server());
    }

    private static String auditPolicy() {
        StringBuilder users = new StringBuilder();
        AUDITED_USERS.forEach(u -> users.append(users.length() == 0 ? "" : ", ").append('"').append(u).append('"'));
        return "apiVersion: audit.k8s.io/v1\n"
                + "kind: Policy\n"
                + "omitStages: [\"RequestReceived\"]\n"
                + "rules:\n"
                + "  - level: Metadata\n"
                + "    users: [" + users + "]\n"
                + "  - level: None\n";
    }

    /** One JSON audit event per line: every request of {@link #AUDITED_USERS}, with its verb, object and answer. */
    public Path auditLog() {
        return workDir.resolve("logs").resolve("audit.log");
    }

    public Pki pki() {
        return pki;
    }

    /** The administrator's identity (system:masters), at the API server itself. */
    public Kubeconfig admin() {
        return admin;
    }

    public KubernetesClient adminClient() {
        return adminClient;
    }

    public int port() {
        return port;
    }

    /** The API server's gitVersion, e.g. {@code v1.33.13}. */
    public String version() {
        return adminClient.getKubernetesVersion().getGitVersion();
    }

    public Path workDir() {
        return workDir;
    }

    private void awaitReady(Duration timeout) {
        waitFor(timeout, "kube-apiserver /readyz", () -> {
            try {
                return "ok".equals(adminClient.raw("/readyz"));
            } catch (RuntimeException e) {
                return false;
            }
        });
    }

    private void waitFor(Duration timeout, String what, java.util.function.BooleanSupplier ready) {
        Instant until = Instant.now().plus(timeout);
        while (true) {
            for (Process p : processes) {
                if (!p.isAlive()) {
                    throw new IllegalStateException(p.info().command().orElse("a control plane process")
                            + " exited with " + p.exitValue() + " while waiting for " + what + "; see "
                            + workDir.resolve("logs"));
                }
            }
            try {
                if (ready.getAsBoolean()) {
                    return;
                }
            } catch (RuntimeException e) {
                LOG.tracef(e, "waiting for %s", what);
            }
            if (Instant.now().isAfter(until)) {
                throw new IllegalStateException("timed out after " + timeout + " waiting for " + what + "; see "
                        + workDir.resolve("logs"));
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for " + what, e);
            }
        }
    }

    private void launch(String binary, List<String> args) {
        List<String> command = new ArrayList<>();
        command.add(bin.resolve(binary).toString());
        command.addAll(args);
        try {
            Path logs = Files.createDirectories(workDir.resolve("logs"));
            Process p = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(logs.resolve(binary + ".log").toFile()).start();
            processes.add(p);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + binary, e);
        }
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void write(Path file, String content) {
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Stops the processes in reverse order: controller manager, API server, etcd. */
    private synchronized void stopProcesses() {
        for (int i = processes.size() - 1; i >= 0; i--) {
            Process p = processes.get(i);
            p.destroy();
            try {
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
        processes.clear();
    }

    @Override
    public void close() {
        if (adminClient != null) {
            adminClient.close();
        }
        stopProcesses();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // the JVM is already shutting down: the hook runs (or ran) stopProcesses itself
        }
    }
}
