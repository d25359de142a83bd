package io.sriovlm.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs the real kubectl against a kubeconfig, as a user would, with a HOME of its own so its discovery cache starts
 * empty. Used by the sandbox to install into a real control plane, and by the tests that drive either API server.
 */
public final class Kubectl {
    public static final Path BINARY = Path.of("/usr/bin/kubectl");

    public record Run(int rc, String out, String err) {
        public String all() {
            return out + err;
        }
    }

    private final Path kubeconfig;
    private final Path workDir;

    public Kubectl(Path kubeconfig, Path workDir) {
        if (!Files.isExecutable(BINARY)) {
            throw new IllegalStateException("kubectl is required at " + BINARY + "; install it (it ships with this"
                    + " machine kind)");
        }
        this.kubeconfig = kubeconfig;
        this.workDir = workDir;
    }

    public Path kubeconfig() {
        return kubeconfig;
    }

    public Run run(String... args) throws IOException, InterruptedException {
        return run(Duration.ofSeconds(60), args);
    }

    public Run run(Duration timeout, String... args) throws IOException, InterruptedException {
        ProcessBuilder pb = command(args);
        Path out = Files.createTempFile(workDir, "out", ".txt");
        Path err = Files.createTempFile(workDir, "err", ".txt");
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("kubectl " + String.join(" ", args) + " timed out after " + timeout);
        }
        return new Run(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    /** Starts kubectl in the background ({@code get -w}, {@code drain}), its stdout and stderr going to {@code output}. */
    public Process start(Path output, String... args) throws IOException {
        return command(args).redirectErrorStream(true).redirectOutput(output.toFile()).start();
    }

    private ProcessBuilder command(String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(BINARY.toString(), "--kubeconfig", kubeconfig.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(workDir.toFile());
        pb.environment().remove("KUBECONFIG");
        pb.environment().put("HOME", Files.createDirectories(workDir.resolve("home")).toString());
        return pb;
    }
}
