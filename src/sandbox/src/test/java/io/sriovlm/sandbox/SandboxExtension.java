package io.sriovlm.sandbox;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import io.fabric8.kubernetes.client.KubernetesClient;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

/**
 * A default-world sandbox for a test class, started and waited for (both agents reported, the pool ledger built)
 * before each test or once per class, and closed after, with its work directory. Register it with
 * {@code @RegisterExtension}: {@link #perTest} on an instance field, {@link #perClass} on a static one.
 */
final class SandboxExtension implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback {
    private final boolean perTest;
    private final Duration copyTime;
    private boolean checkInvariants;
    private UnaryOperator<Sandbox.Options> options = UnaryOperator.identity();
    private Sandbox sandbox;
    private Path work;

    private SandboxExtension(boolean perTest, Duration copyTime) {
        this.perTest = perTest;
        this.copyTime = copyTime;
    }

    static SandboxExtension perTest(Duration copyTime) {
        return new SandboxExtension(true, copyTime);
    }

    static SandboxExtension perClass(Duration copyTime) {
        return new SandboxExtension(false, copyTime);
    }

    /**
     * After each test, once the world is at rest (up to 10 s), the {@link InvariantChecker} must find nothing: one
     * node per VM, a working path, no VF twice, no stale reservation, nothing past its deadline.
     */
    SandboxExtension checkingInvariantsAfterEach() {
        this.checkInvariants = true;
        return this;
    }

    /** The default world with more options on top (e.g. the light fleet). */
    SandboxExtension withOptions(UnaryOperator<Sandbox.Options> options) {
        this.options = options;
        return this;
    }

    Sandbox sandbox() {
        return sandbox;
    }

    KubernetesClient client() {
        return sandbox.client();
    }

    @Override
    public void beforeAll(ExtensionContext context) throws IOException {
        if (!perTest) {
            start();
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (!perTest) {
            stop();
        }
    }

    @Override
    public void beforeEach(ExtensionContext context) throws IOException {
        if (perTest) {
            start();
        }
    }

    @Override
    public void afterEach(ExtensionContext context) {
        try {
            if (checkInvariants && sandbox != null) {
                InvariantChecker checker = new InvariantChecker(sandbox, Duration.ofSeconds(5));
                org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(
                        () -> org.assertj.core.api.Assertions.assertThat(checker.violations()).isEmpty());
            }
        } finally {
            if (perTest) {
                stop();
            }
        }
    }

    private void start() throws IOException {
        work = Files.createTempDirectory("sriovlm-sandbox");
        sandbox = Sandbox.start(options.apply(Sandbox.Options.defaults(work).withCopyTime(copyTime)),
                new SimpleMeterRegistry());
        SandboxFixture.awaitReady(sandbox.client());
    }

    private void stop() {
        try {
            if (sandbox != null) {
                sandbox.close();
            }
        } finally {
            sandbox = null;
            deleteQuietly(work);
        }
    }

    private static void deleteQuietly(Path dir) {
        if (dir == null) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
