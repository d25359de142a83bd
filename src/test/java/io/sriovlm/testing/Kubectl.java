package io.sriovlm.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.fail;

/** Runs the real kubectl against a kubeconfig, with a fresh HOME so its discovery cache starts empty. */
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
            fail("kubectl is required at " + BINARY + " for this test; install it (it ships with this machine kind)");
        }
        this.kubeconfig = kubeconfig;
        this.workDir = workDir;
    }

    public Run run(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(BINARY.toString(), "--kubeconfig", kubeconfig.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(workDir.toFile());
        pb.environment().remove("KUBECONFIG");
        pb.environment().put("HOME", Files.createDirectories(workDir.resolve("home")).toString());
        Path out = Files.createTempFile(workDir, "out", ".txt");
        Path err = Files.createTempFile(workDir, "err", ".txt");
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("kubectl " + String.join(" ", args) + " timed out");
        }
        return new Run(p.exitValue(), Files.readString(out), Files.readString(err));
    }
}
