package io.sriovlm.sandbox.cli;

import io.sriovlm.sandbox.Sandbox;
import io.sriovlm.sandbox.bench.EvacuationBenchmark;
import io.sriovlm.sandbox.bench.OverheadBenchmark;
import io.sriovlm.sandbox.bench.ScaleBenchmark;
import io.sriovlm.sandbox.chaos.ChaosRun;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.MeterRegistry;
import io.sriovlm.api.v1alpha1.MigrationPhase;
import io.sriovlm.api.v1alpha1.PhaseTimestamp;
import io.sriovlm.api.v1alpha1.SriovMigration;
import io.sriovlm.api.v1alpha1.VfPool;
import io.sriovlm.common.Timestamps;
import io.sriovlm.sandbox.controlplane.RealControlPlane;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

/**
 * {@code hack/sandbox.sh [--demo] [--port N] [--copy-ms N] [--workdir DIR]}: starts the sandbox, writes
 * {@code DIR/kubeconfig} (default target/sandbox) and runs until interrupted; with {@code --demo} it migrates vm-01
 * to hv2, prints the phase timeline and exits 0 only if the migration succeeded. With {@code --bench N [--warmup M]}
 * (see {@code hack/bench-overhead.sh}) it runs the {@link OverheadBenchmark} instead and exits with its code; with
 * {@code --chaos N [--seed S]} (see {@code hack/chaos.sh}) the {@link ChaosRun}, exiting 1 on any violation; with
 * {@code --scale-bench NODES VFS MIGRATIONS} (see {@code hack/bench-scale.sh}) the {@link ScaleBenchmark}.
 */
public final class SandboxMain {
    private SandboxMain() {
    }

    /** {@code java -jar sriovlm-sandbox.jar ARGS} (hack/sandbox.sh); {@code -Dsriovlm.log=LEVEL} for io.sriovlm. */
    public static void main(String[] args) throws Exception {
        SandboxLogging.configure(System.getProperty("sriovlm.log", "INFO"));
        int rc;
        try {
            rc = run(args, new io.micrometer.core.instrument.simple.SimpleMeterRegistry());
        } catch (Exception e) {
            // Thrown out of main, the JVM would stay up on the threads a stopped sandbox leaves behind.
            e.printStackTrace();
            rc = 1;
        }
        System.exit(rc);
    }

    public static int run(String[] args, MeterRegistry meters) throws Exception {
        boolean demo = false;
        int port = 0;
        long copyMs = 500;
        boolean copyGiven = false;
        Integer bench = null;
        Integer warmup = null;
        Integer evacuationBench = null;
        Integer chaos = null;
        int[] scale = null;
        int inFlight = 100;
        double rate = 20;
        Long seed = null;
        int outbound = 2;
        Duration heartbeat = io.sriovlm.agent.AgentSettings.defaults().heartbeatInterval();
        Path workDir = Path.of("target", "sandbox");
        boolean embedded = false;
        boolean fullAgents = false;
        boolean prepareAhead = true;
        String usage = "usage: sandbox.sh [--embedded] [--demo] [--port N] [--copy-ms N] [--workdir DIR]"
                + " | --bench N [--warmup M] | --evacuation-bench N [--copy-ms T] [--outbound P] [--heartbeat-ms H]"
                + " [--no-prepare-ahead]"
                + " | --chaos N [--seed S] [--copy-ms T] [--embedded]"
                + " | --scale-bench NODES VFS MIGRATIONS [--in-flight N] [--rate PER_S] [--copy-ms T] [--embedded]"
                + " [--full-agents]";
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--demo" -> demo = true;
                case "--port" -> port = Integer.parseInt(args[++i]);
                case "--copy-ms" -> {
                    copyMs = Long.parseLong(args[++i]);
                    copyGiven = true;
                }
                case "--bench" -> bench = Integer.parseInt(args[++i]);
                case "--warmup" -> warmup = Integer.parseInt(args[++i]);
                case "--evacuation-bench" -> evacuationBench = Integer.parseInt(args[++i]);
                case "--outbound" -> outbound = Integer.parseInt(args[++i]);
                case "--heartbeat-ms" -> heartbeat = Duration.ofMillis(Long.parseLong(args[++i]));
                case "--chaos" -> chaos = Integer.parseInt(args[++i]);
                case "--seed" -> seed = Long.parseLong(args[++i]);
                case "--scale-bench" -> scale = new int[] {Integer.parseInt(args[++i]), Integer.parseInt(args[++i]),
                        Integer.parseInt(args[++i])};
                case "--in-flight" -> inFlight = Integer.parseInt(args[++i]);
                case "--rate" -> rate = Double.parseDouble(args[++i]);
                case "--workdir" -> workDir = Path.of(args[++i]);
                case "--embedded" -> embedded = true;
                case "--full-agents" -> fullAgents = true;
                case "--no-prepare-ahead" -> prepareAhead = false;
                default -> {
                    System.err.println("unknown argument " + args[i] + "; " + usage);
                    return 2;
                }
            }
        }
        Files.createDirectories(workDir);
        // A real control plane when its binaries are given (hack/sandbox.sh and hack/chaos.sh pass them once
        // hack/build-control-plane.sh has built them), unless --embedded asks for the in-process API server.
        // -Dsriovlm.controlplane.audit=true keeps its audit log of the product's requests (control-plane/logs/), to
        // see who asks what and what is refused (docs/benchmarks.md used it on the fleet benchmark).
        boolean audit = Boolean.getBoolean("sriovlm.controlplane.audit");
        Sandbox.ControlPlane controlPlane = embedded ? null : RealControlPlane.configuredBinaries()
                .map(bin -> new Sandbox.ControlPlane(bin, Path.of("config"), audit)).orElse(null);
        if (chaos != null) {
            // Issue 8's chaos run: N migrations under random faults from a seed (printed; given to replay).
            long s = seed != null ? seed : new java.security.SecureRandom().nextLong();
            ChaosRun.Report report = ChaosRun.run(workDir, new ChaosRun.Settings(s, chaos,
                    Duration.ofMillis(copyGiven ? copyMs : ChaosRun.DEFAULT_COPY_MS), controlPlane), meters, System.err);
            report.print(System.out);
            return report.violations().isEmpty() ? 0 : 1;
        }
        if (scale != null) {
            // Issue 14's fleet benchmark: the operator from the product's jar against NODES simulated hypervisors.
            return ScaleBenchmark.run(workDir, new ScaleBenchmark.Settings(scale[0], scale[1], scale[2], inFlight, rate,
                    copyGiven ? copyMs : 500, controlPlane, fullAgents), System.out, System.err);
        }
        if (evacuationBench != null) {
            // Issue 6's benchmark: N VMs off one node, copy time --copy-ms (default 5 s), outbound limit --outbound,
            // agent heartbeat --heartbeat-ms (default: production's); --no-prepare-ahead admits only into free lanes.
            return EvacuationBenchmark.run(workDir, evacuationBench,
                    copyGiven ? copyMs : EvacuationBenchmark.DEFAULT_COPY_MS, outbound, heartbeat, prepareAhead, meters,
                    System.out, System.err);
        }
        if (bench != null || warmup != null) {
            if (bench == null || bench < 1 || demo || copyGiven || port != 0 || (warmup != null && warmup < 0)) {
                System.err.println("--bench N (N >= 1) runs alone (its copy time is 0 ms), with an optional"
                        + " --warmup M (M >= 0, default 20) and --workdir; " + usage);
                return 2;
            }
            return OverheadBenchmark.run(workDir, bench, warmup == null ? 20 : warmup, meters, System.out, System.err);
        }
        PrintStream out = System.out;
        try (Sandbox sandbox = Sandbox.start(Sandbox.Options.defaults(workDir).withPort(port)
                .withCopyTime(Duration.ofMillis(copyMs)).withControlPlane(controlPlane), meters)) {
            Path kubeconfig = workDir.resolve("kubeconfig");
            sandbox.api().writeKubeconfig(kubeconfig);
            out.println("sriovlm sandbox: API at " + sandbox.api().url() + ", hypervisors hv1 and hv2, pool pool-a");
            out.println("  on the " + sandbox.api().describe());
            out.println("  kubectl --kubeconfig " + kubeconfig + " get hypervisornics,vminventories,vfpools,vfclaims,sriovmigrations");
            if (!demo) {
                out.println("  kubectl --kubeconfig " + kubeconfig + " apply -f config/samples/sriovmigration.yaml");
                out.println("Ctrl-C stops it.");
                // Until the JVM is asked to stop (Ctrl-C, SIGTERM): the sandbox closes in the shutdown hook.
                Runtime.getRuntime().addShutdownHook(new Thread(sandbox::close, "sandbox-close"));
                new java.util.concurrent.CountDownLatch(1).await();
                return 0;
            }
            return demo(sandbox.client(), out);
        }
    }

    static int demo(KubernetesClient client, PrintStream out) throws InterruptedException {
        Sandbox.awaitPoolReady(client, Duration.ofSeconds(30));
        SriovMigration m = Sandbox.migration("move-vm-01", "vm-01", "hv2");
        Instant created = Instant.now();
        client.resource(m).create();
        out.println("created SriovMigration default/move-vm-01: vm-01 hv1 -> hv2");
        SriovMigration done = awaitTerminal(client, "default", "move-vm-01", Duration.ofSeconds(60));
        if (done == null) {
            out.println("FAILED: move-vm-01 did not finish within 60 s");
            return 1;
        }
        printTimeline(done, created, out);
        return done.getStatus().phase == MigrationPhase.Succeeded ? 0 : 1;
    }

    static void printTimeline(SriovMigration m, Instant created, PrintStream out) {
        var s = m.getStatus();
        out.println();
        out.printf("%-20s %-26s %10s%n", "PHASE", "ENTERED", "+MS");
        for (PhaseTimestamp stamp : s.phaseTimestamps) {
            Instant at = Timestamps.parse(stamp.at);
            out.printf("%-20s %-26s %10d%n", stamp.phase, stamp.at, Duration.between(created, at).toMillis());
        }
        out.println();
        out.printf("result:            %s (%s)%n", s.phase, s.message);
        out.printf("source -> target:  %s (VF %s) -> %s (VF %s)%n", s.sourceNode, s.sourceVf, s.targetNode, s.targetVf);
        out.printf("standby window:    %s ms%n", s.standbyWindowMs);
        out.printf("bond switch lag:   %s ms%n", s.bondSwitchLagMs);
        out.printf("libvirt downtime:  %s ms%n", s.migrationDowntimeMs);
    }

    static SriovMigration awaitTerminal(KubernetesClient client, String namespace, String name, Duration timeout)
            throws InterruptedException {
        Instant until = Instant.now().plus(timeout);
        while (Instant.now().isBefore(until)) {
            SriovMigration m = client.resources(SriovMigration.class).inNamespace(namespace).withName(name).get();
            if (m != null && m.getStatus() != null && m.getStatus().phase != null && m.getStatus().phase.isTerminal()) {
                return m;
            }
            Thread.sleep(10);
        }
        return null;
    }
}
