package io.sriovlm.sandbox;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sriovlm.testing.Kubectl;
import io.sriovlm.sandbox.controlplane.ControlPlaneApi;
import io.sriovlm.sandbox.controlplane.RealControlPlane;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Real-control-plane tier: a sandbox world (simulated hypervisors and their agents, the operator unless asked
 * otherwise) on a real kube-apiserver + etcd + kube-controller-manager with the product installed from
 * {@code config/} by kubectl, the operator and agents holding only their ServiceAccounts' rights. One per test class.
 * <p>
 * The API server's audit log of the product's requests is kept, on close, as {@code target/control-plane-it/audit/
 * CLASS.log}: {@link RbacControlPlaneIT} reads them all to prove every granted verb was used.
 */
final class ControlPlaneWorld implements AutoCloseable {
    static final Path AUDIT_DIR = Path.of("target", "control-plane-it", "audit");
    private final String name;
    private final Path work;
    private final Sandbox sandbox;
    private final Kubectl kubectl;

    private ControlPlaneWorld(String name, Path work, Sandbox sandbox) throws IOException {
        this.name = name;
        this.work = work;
        this.sandbox = sandbox;
        Path kubeconfig = work.resolve("kubeconfig");
        sandbox.api().writeKubeconfig(kubeconfig);
        this.kubectl = new Kubectl(kubeconfig, Files.createDirectories(work.resolve("kubectl")));
    }

    /** The control plane's binaries (hack/build-control-plane.sh, passed by hack/e2e-control-plane.sh). */
    static Path binaries() {
        return RealControlPlane.configuredBinaries().orElseGet(() -> fail("the real-control-plane tier needs "
                + "-D" + RealControlPlane.BIN_PROPERTY + "=DIR (or " + RealControlPlane.BIN_ENV + "): run it with "
                + "hack/e2e-control-plane.sh, which builds the control plane first"));
    }

    /** Starts the default world (hv1, hv2, pool-a, vm-01 and vm-02 on hv1, vm-03 on hv2) as {@code options} has it. */
    static ControlPlaneWorld start(Class<?> testClass, UnaryOperator<Sandbox.Options> options) {
        Path bin = binaries();
        try {
            Path work = Files.createTempDirectory("sriovlm-cp-" + testClass.getSimpleName());
            Sandbox.Options o = options.apply(Sandbox.Options.defaults(work)
                    .withControlPlane(new Sandbox.ControlPlane(bin, Path.of("config"), true)));
            Sandbox sandbox = Sandbox.start(o, new SimpleMeterRegistry());
            try {
                return new ControlPlaneWorld(testClass.getSimpleName(), work, sandbox);
            } catch (IOException | RuntimeException e) {
                sandbox.close();
                throw e;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Sandbox sandbox() {
        return sandbox;
    }

    KubernetesClient client() {
        return sandbox.client();
    }

    ControlPlaneApi api() {
        return (ControlPlaneApi) sandbox.api();
    }

    Kubectl kubectl() {
        return kubectl;
    }

    Path work() {
        return work;
    }

    @Override
    public void close() {
        Path audit = api().controlPlane().auditLog();
        Path logs = work.resolve("control-plane").resolve("logs");
        try {
            sandbox.close();
        } finally {
            try {
                Files.createDirectories(AUDIT_DIR);
                if (Files.exists(audit)) {
                    Files.copy(audit, AUDIT_DIR.resolve(name + ".log"), StandardCopyOption.REPLACE_EXISTING);
                }
                // The control plane's own logs, for a failure's reader.
                Path kept = Files.createDirectories(AUDIT_DIR.getParent().resolve("logs").resolve(name));
                try (Stream<Path> files = Files.list(logs)) {
                    for (Path f : files.filter(f -> !f.getFileName().toString().equals("audit.log")).toList()) {
                        Files.copy(f, kept.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } finally {
                deleteQuietly(work);
            }
        }
    }

    private static void deleteQuietly(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a temp folder left behind is no failure of the test
        }
    }
}
