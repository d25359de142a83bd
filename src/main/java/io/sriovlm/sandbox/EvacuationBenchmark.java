package io.sriovlm.sandbox;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.MeterRegistry;
import io.sriovlm.api.v1alpha1.HypervisorNic;
import io.sriovlm.api.v1alpha1.MigrationPhase;
import io.sriovlm.api.v1alpha1.SriovMigration;
import io.sriovlm.operator.EvacuationConfig;
import io.sriovlm.operator.OperatorConfig;
import io.sriovlm.operator.reconciler.EvacuationReconciler;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Issue 6's benchmark: evacuate a node of N teamed VMs with a simulated copy time T and an outbound limit P onto two
 * empty targets, and report total / (ceil(N/P)·T), the factor by which the evacuation is slower than P perfectly
 * packed copy lanes (goal ≤ 1.10). "Total" runs from the cordon to the last migration's Succeeded. Not a test:
 * {@code hack/bench-evacuation.sh}; results in docs/benchmarks.md.
 */
public final class EvacuationBenchmark {
    private EvacuationBenchmark() {
    }

    public static int run(Path workDir, int vms, long copyMs, int outbound, MeterRegistry meters, PrintStream out,
            PrintStream progress) throws InterruptedException {
        Path runDir;
        try {
            runDir = Files.createTempDirectory(Files.createDirectories(workDir), "evacuation-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, Integer> seeded = new LinkedHashMap<>();
        for (int i = 0; i < vms; i++) {
            seeded.put(String.format("vm-%03d", i), i);
        }
        Map<String, Map<String, Integer>> world = new LinkedHashMap<>();
        world.put("src", seeded);
        // Inbound limit 2 per node (the default) and room for every VM: two targets of N VFs each.
        OperatorConfig limits = new OperatorConfig(Math.max(5, outbound), outbound, 2, Duration.ofSeconds(30));
        Sandbox.Options options = Sandbox.Options.defaults(runDir).withCopyTime(Duration.ofMillis(copyMs))
                .withHeartbeat(Duration.ofMillis(500)).withOperatorConfig(limits)
                .withWorld(List.of("src", "t1", "t2"), vms, world);
        try (Sandbox sandbox = Sandbox.start(options, meters)) {
            KubernetesClient client = sandbox.client();
            long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
            while (!ready(client, vms)) {
                if (System.nanoTime() > deadline) {
                    progress.println("the sandbox world did not become ready");
                    return 1;
                }
                Thread.sleep(100);
            }
            progress.printf("evacuating src: %d VMs, copy %d ms, outbound limit %d%n", vms, copyMs, outbound);
            client.nodes().withName("src").edit(n -> {
                n.getMetadata().getLabels().put(EvacuationReconciler.EVACUATE, EvacuationReconciler.ON_CORDON);
                n.getSpec().setUnschedulable(true);
                return n;
            });
            long start = System.nanoTime();
            long done = 0;
            List<SriovMigration> ms = List.of();
            java.util.Set<String> waits = new java.util.HashSet<>();
            deadline = start + Duration.ofMillis(Math.max(60_000, 4L * vms * copyMs)).toNanos();
            while (System.nanoTime() < deadline) {
                ms = client.resources(SriovMigration.class).inNamespace(EvacuationConfig.DEFAULT_NAMESPACE)
                        .withLabel(EvacuationReconciler.EVACUATION, "src").list().getItems();
                if (ms.size() == vms && ms.stream().allMatch(m -> m.getStatus() != null && m.getStatus().phase != null
                        && m.getStatus().phase.isTerminal())) {
                    done = System.nanoTime();
                    break;
                }
                // Why the waiting ones wait, each distinct reason once (to stderr): where the lanes lose time.
                ms.stream().filter(m -> m.getStatus() != null && m.getStatus().phase == MigrationPhase.Pending)
                        .flatMap(m -> m.getStatus().conditions.stream()).filter(c -> "False".equals(c.getStatus()))
                        .map(c -> c.getReason() + ": " + c.getMessage())
                        .filter(waits::add).forEach(w -> progress.println("waiting: " + w));
                Thread.sleep(20);
            }
            if (done == 0) {
                progress.println("the evacuation did not finish in time");
                return 1;
            }
            long failed = ms.stream().filter(m -> m.getStatus().phase != MigrationPhase.Succeeded).count();
            long evacuated = 0;
            while (System.nanoTime() < deadline && evacuated == 0) {
                Node node = client.nodes().withName("src").get();
                if (node.getStatus() != null && node.getStatus().getConditions() != null && node.getStatus().getConditions()
                        .stream().anyMatch(c -> EvacuationReconciler.CONDITION.equals(c.getType())
                                && "True".equals(c.getStatus()))) {
                    evacuated = System.nanoTime();
                }
                Thread.sleep(20);
            }
            double totalMs = (done - start) / 1e6;
            double ideal = Math.ceil((double) vms / outbound) * copyMs;
            out.printf("evacuation of %d VMs, T = %d ms, P = %d: total %.0f ms (last migration Succeeded), "
                    + "ideal ceil(N/P)·T = %.0f ms, ratio %.3f (goal <= 1.10); failed %d; "
                    + "SriovEvacuated=True after %s%n", vms, copyMs, outbound, totalMs, ideal, totalMs / ideal, failed,
                    evacuated == 0 ? "(not seen)" : String.format("%.0f ms", (evacuated - start) / 1e6));
            return failed == 0 ? 0 : 1;
        } finally {
            try (var paths = Files.walk(runDir)) {
                paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                // scratch only
            }
        }
    }

    private static boolean ready(KubernetesClient client, int vms) {
        List<HypervisorNic> nics = new ArrayList<>(client.resources(HypervisorNic.class).list().getItems());
        return nics.size() == 3 && nics.stream().allMatch(n -> n.getStatus() != null && n.getStatus().heartbeatTime != null)
                && nics.stream().anyMatch(n -> "src".equals(n.getSpec().nodeName) && n.getStatus().vms.size() == vms)
                && SandboxFixtureFree.poolReady(client, 3 * vms);
    }

    /** The pool ledger covers every node (so placement can pick the targets). */
    private static final class SandboxFixtureFree {
        static boolean poolReady(KubernetesClient client, int vfs) {
            var pool = client.resources(io.sriovlm.api.v1alpha1.VfPool.class).withName(Sandbox.POOL).get();
            return pool != null && pool.getStatus() != null && pool.getStatus().totalVfs != null
                    && pool.getStatus().totalVfs == vfs;
        }
    }
}
