package io.sriovlm.sandbox.bench;

import io.sriovlm.sandbox.Inventories;
import io.sriovlm.sandbox.Sandbox;
import io.sriovlm.sandbox.LatencyStats;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.micrometer.core.instrument.MeterRegistry;
import io.sriovlm.api.v1alpha1.HypervisorNic;
import io.sriovlm.api.v1alpha1.MigrationPhase;
import io.sriovlm.api.v1alpha1.PhaseTimestamp;
import io.sriovlm.api.v1alpha1.SriovMigration;
import io.sriovlm.api.v1alpha1.SriovMigrationSpec;
import io.sriovlm.api.v1alpha1.VfPool;
import io.sriovlm.common.Timestamps;
import io.sriovlm.sandbox.host.SimulatedHypervisor;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

/**
 * The orchestration-overhead benchmark (docs/architecture.md, "Invariants and budgets": p50 under
 * 200 ms). It starts a sandbox whose
 * simulated hypervisors take no time at all (copy 0 ms, downtime 0 ms, guest unplug 0 ms), so that what a migration
 * costs is only orchestration: API round trips, informer propagation, JOSDK event scheduling and our own reconcile
 * work. It then moves vm-01 back and forth between hv1 and hv2, one migration at a time.
 *
 * <p>Overhead of one migration = the {@code Succeeded} timestamp in its status (written by the target agent) minus
 * the client's clock just before {@code create}. Both clocks are the same JVM's wall clock, and both are taken in
 * milliseconds (status timestamps have millisecond precision).
 *
 * <p>This is a benchmark, not a test: it is run by {@code hack/bench-overhead.sh}, never by {@code mvn test}.
 */
public final class OverheadBenchmark {
    static final String VM = "vm-01";
    static final String NAMESPACE = "default";
    static final Duration MIGRATION_TIMEOUT = Duration.ofSeconds(60);
    /** The phases a successful migration goes through, in order; the time spent in each is reported. */
    static final List<MigrationPhase> PATH = List.of(MigrationPhase.Pending, MigrationPhase.Scheduling,
            MigrationPhase.Preparing, MigrationPhase.SwitchingToStandby, MigrationPhase.Migrating,
            MigrationPhase.RestoringFastPath);

    private final Sandbox sandbox;
    private final KubernetesClient client;
    private final PrintStream out;
    private final PrintStream progress;
    private final Map<String, CompletableFuture<SriovMigration>> terminal = new ConcurrentHashMap<>();
    private final Map<String, CompletableFuture<Void>> gone = new ConcurrentHashMap<>();
    /** Succeeded migrations whose status lacks a field a Succeeded migration must have. */
    private final List<String> incomplete = new ArrayList<>();
    /** The API store's resourceVersion (a counter of all writes) around the measured migrations. */
    private long rvAtStart = -1;
    private long rvAtEnd = -1;

    private OverheadBenchmark(Sandbox sandbox, PrintStream out, PrintStream progress) {
        this.sandbox = sandbox;
        this.client = sandbox.client();
        this.out = out;
        this.progress = progress;
    }

    /** One measured migration. {@code phaseMs} holds the time spent in each phase of {@link #PATH}. */
    record Sample(String name, long overheadMs, long createToPendingMs, Map<MigrationPhase, Long> phaseMs) {
    }

    /** A migration that did not end Succeeded (or did not end in time). */
    record Failure(String name, String from, String to, String phase, String reason, String message) {
    }

    /**
     * Starts a sandbox in {@code workDir}, runs {@code warmup} migrations that are not counted, then
     * {@code migrations} measured ones, and prints the report. Returns 0 when every migration succeeded.
     */
    public static int run(Path workDir, int migrations, int warmup, MeterRegistry meters, PrintStream out,
            PrintStream progress) throws InterruptedException {
        if (migrations < 1 || warmup < 0) {
            throw new IllegalArgumentException("need at least one measured migration and no negative warm-up");
        }
        double loadBefore = loadAverage();
        // A fresh directory per run: the fake sysfs trees refuse to be written over an earlier run's.
        Path runDir;
        try {
            runDir = Files.createTempDirectory(Files.createDirectories(workDir), "overhead-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try (Sandbox sandbox = Sandbox.start(Sandbox.Options.defaults(runDir).withCopyTime(Duration.ZERO), meters)) {
            for (String node : List.of("hv1", "hv2")) {
                SimulatedHypervisor host = sandbox.host(node);
                host.setCopyTime(Duration.ZERO);
                host.setDowntime(Duration.ZERO);
                host.setDetachDelay(Duration.ZERO);
            }
            return new OverheadBenchmark(sandbox, out, progress).run(migrations, warmup, loadBefore);
        } finally {
            deleteTree(runDir);
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // Only scratch files of this run are left behind.
        }
    }

    private int run(int migrations, int warmup, double loadBefore) throws InterruptedException {
        SharedIndexInformer<SriovMigration> informer = client.resources(SriovMigration.class).inNamespace(NAMESPACE)
                .inform(new Watcher());
        try {
            awaitWorldReady(Duration.ofSeconds(60));
            progress.printf("world ready; %d warm-up migrations, then %d measured%n", warmup, migrations);
            List<Sample> warm = new ArrayList<>();
            List<Sample> measured = new ArrayList<>();
            List<Failure> failures = new ArrayList<>();
            List<Failure> warmFailures = new ArrayList<>();
            long started = System.nanoTime();
            boolean aborted = false;
            for (int i = 1; i <= warmup + migrations && !aborted; i++) {
                boolean isWarm = i <= warmup;
                if (i == warmup + 1) {
                    rvAtStart = storeVersion();
                }
                aborted = !migrateOnce(String.format("bench-%04d", i), isWarm ? warm : measured,
                        isWarm ? warmFailures : failures);
                if (i % 50 == 0) {
                    progress.printf("  %d/%d migrations done%n", i, warmup + migrations);
                }
            }
            long wallMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
            rvAtEnd = storeVersion();
            report(migrations, warmup, warm, measured, warmFailures, failures, aborted, wallMs, loadBefore);
            return failures.isEmpty() && warmFailures.isEmpty() && !aborted && measured.size() == migrations ? 0 : 1;
        } finally {
            informer.close();
        }
    }

    /**
     * Runs one migration of vm-01 to the other node and deletes it once it ended. Returns false when the benchmark
     * cannot go on (the migration did not end, or the VM is in an unknown place).
     */
    private boolean migrateOnce(String name, List<Sample> samples, List<Failure> failures) throws InterruptedException {
        String from = nodeOfVm();
        if (from == null) {
            failures.add(new Failure(name, "?", "?", "-", "-", VM + " runs on neither hv1 nor hv2"));
            return false;
        }
        String to = from.equals("hv1") ? "hv2" : "hv1";
        SriovMigration m = new SriovMigration();
        m.getMetadata().setName(name);
        m.getMetadata().setNamespace(NAMESPACE);
        m.setSpec(new SriovMigrationSpec());
        m.getSpec().vmName = VM;
        m.getSpec().targetNode = to;
        m.getSpec().vfPool = Sandbox.POOL;
        CompletableFuture<SriovMigration> ended = terminal.computeIfAbsent(name, n -> new CompletableFuture<>());
        CompletableFuture<Void> deleted = gone.computeIfAbsent(name, n -> new CompletableFuture<>());
        long t0 = System.currentTimeMillis();
        client.resource(m).create();
        SriovMigration done;
        try {
            done = ended.get(MIGRATION_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            SriovMigration now = client.resources(SriovMigration.class).inNamespace(NAMESPACE).withName(name).get();
            var s = now == null ? null : now.getStatus();
            failures.add(new Failure(name, from, to, s == null ? "-" : String.valueOf(s.phase), "Timeout",
                    "not terminal after " + MIGRATION_TIMEOUT.toSeconds() + " s" + (s == null ? "" : ": " + s.message)));
            return false;
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        } finally {
            terminal.remove(name);
        }
        var s = done.getStatus();
        if (s.phase != MigrationPhase.Succeeded) {
            failures.add(new Failure(name, from, to, String.valueOf(s.phase), s.failureReason, s.message));
        } else {
            samples.add(sample(name, t0, s.phaseTimestamps));
            if (s.migrationDowntimeMs == null || s.standbyWindowMs == null || s.bondSwitchLagMs == null) {
                incomplete.add(name + " (migrationDowntimeMs=" + s.migrationDowntimeMs + ", standbyWindowMs="
                        + s.standbyWindowMs + ", bondSwitchLagMs=" + s.bondSwitchLagMs + ")");
            }
        }
        // Keep the store small. Wait until the object is gone (the operator releases its finalizer), so that the
        // next migration is measured alone and not next to this one's clean-up.
        client.resource(done).delete();
        try {
            deleted.get(MIGRATION_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            failures.add(new Failure(name, from, to, String.valueOf(s.phase), "NotDeleted",
                    "still present " + MIGRATION_TIMEOUT.toSeconds() + " s after delete"));
            return false;
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        } finally {
            gone.remove(name);
        }
        return nodeOfVm() != null;
    }

    static Sample sample(String name, long t0, List<PhaseTimestamp> stamps) {
        Map<MigrationPhase, Long> at = new EnumMap<>(MigrationPhase.class);
        for (PhaseTimestamp stamp : stamps) {
            at.putIfAbsent(stamp.phase, Timestamps.parse(stamp.at).toEpochMilli());
        }
        Map<MigrationPhase, Long> spent = new EnumMap<>(MigrationPhase.class);
        for (int i = 0; i < PATH.size(); i++) {
            MigrationPhase next = i + 1 < PATH.size() ? PATH.get(i + 1) : MigrationPhase.Succeeded;
            Long begin = at.get(PATH.get(i));
            Long end = at.get(next);
            if (begin != null && end != null) {
                spent.put(PATH.get(i), end - begin);
            }
        }
        long succeeded = at.get(MigrationPhase.Succeeded);
        Long pending = at.get(MigrationPhase.Pending);
        return new Sample(name, succeeded - t0, pending == null ? -1 : pending - t0, spent);
    }

    /** The embedded API server's resourceVersion counter: it grows by one with every write of any object. */
    private long storeVersion() {
        try {
            String rv = client.resources(VfPool.class).list().getMetadata().getResourceVersion();
            return rv == null ? -1 : Long.parseLong(rv);
        } catch (RuntimeException e) {
            return -1;
        }
    }

    /** Where the simulated hypervisors say vm-01 runs (the ground truth, not what the agents reported). */
    private String nodeOfVm() {
        String found = null;
        for (String node : List.of("hv1", "hv2")) {
            if (sandbox.host(node).isRunning(VM)) {
                if (found != null) {
                    return null;
                }
                found = node;
            }
        }
        return found;
    }

    /** Both agents reported, the pool ledger shows the default world, and vm-01 is reported on hv1. */
    private void awaitWorldReady(Duration timeout) throws InterruptedException {
        long until = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < until) {
            VfPool pool = client.resources(VfPool.class).withName(Sandbox.POOL).get();
            HypervisorNic hv1 = client.resources(HypervisorNic.class).withName("hv1-" + Sandbox.PF).get();
            boolean poolReady = pool != null && pool.getStatus() != null && pool.getStatus().totalVfs != null
                    && pool.getStatus().totalVfs == 2 * Sandbox.VFS_PER_NODE && pool.getStatus().freeVfs != null
                    && pool.getStatus().freeVfs == 2 * Sandbox.VFS_PER_NODE - 3;
            boolean vmReported = hv1 != null && Inventories.vms(client, hv1.getMetadata().getName()).stream()
                    .anyMatch(v -> VM.equals(v.name));
            if (poolReady && vmReported) {
                return;
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("the sandbox's agents did not report within " + timeout);
    }

    private void report(int migrations, int warmup, List<Sample> warm, List<Sample> measured,
            List<Failure> warmFailures, List<Failure> failures, boolean aborted, long wallMs, double loadBefore) {
        out.println();
        out.println("sriovlm orchestration-overhead benchmark");
        out.println("  sandbox: embedded API server (in-process, HTTP on 127.0.0.1, no etcd), operator, agents on hv1"
                + " and hv2");
        out.println("  simulated hypervisor: copy 0 ms, downtime 0 ms, guest unplug 0 ms -- everything measured is"
                + " orchestration, not hypervisor time");
        out.printf(Locale.ROOT, "  %d sequential migrations of %s between hv1 and hv2 after %d warm-up ones (excluded);"
                + " each deleted once ended%n", migrations, VM, warmup);
        out.printf(Locale.ROOT, "  overhead = Succeeded timestamp (status) - client clock before create%n");
        out.printf(Locale.ROOT, "  machine: %d CPUs, load average %.2f before, %.2f after; %s %s%n",
                Runtime.getRuntime().availableProcessors(), loadBefore, loadAverage(),
                System.getProperty("java.vm.name"), System.getProperty("java.version"));
        out.printf(Locale.ROOT, "  wall time of warm-up + measured migrations: %.1f s%n", wallMs / 1000.0);
        if (rvAtStart >= 0 && rvAtEnd >= rvAtStart && !measured.isEmpty()) {
            out.printf(Locale.ROOT, "  API writes (all objects) during the measured migrations: %d, %.1f per migration%n",
                    rvAtEnd - rvAtStart, (rvAtEnd - rvAtStart) / (double) measured.size());
        }
        if (!warm.isEmpty()) {
            LatencyStats w = new LatencyStats(warm.stream().mapToLong(Sample::overheadMs).toArray());
            out.printf(Locale.ROOT, "  warm-up (excluded): n=%d first=%d ms p50=%d ms max=%d ms%n", w.count(),
                    warm.get(0).overheadMs(), w.percentile(50), w.max());
        }
        out.println();
        if (measured.isEmpty()) {
            out.println("no measured migration succeeded");
        } else {
            LatencyStats all = new LatencyStats(measured.stream().mapToLong(Sample::overheadMs).toArray());
            out.println("overhead per migration (create -> Succeeded), ms");
            out.printf(Locale.ROOT, "  %5s %6s %6s %6s %6s %8s%n", "n", "p50", "p90", "p99", "max", "mean");
            out.printf(Locale.ROOT, "  %5d %6d %6d %6d %6d %8.1f%n", all.count(), all.percentile(50),
                    all.percentile(90), all.percentile(99), all.max(), all.mean());
            out.println();
            out.println("time spent in each phase, ms (owner)");
            out.printf(Locale.ROOT, "  %-36s %6s %6s %6s %6s %8s%n", "", "p50", "p90", "p99", "max", "mean");
            row("create -> Pending (API + operator)", measured.stream().mapToLong(Sample::createToPendingMs).toArray());
            for (MigrationPhase phase : PATH) {
                long[] values = measured.stream().filter(x -> x.phaseMs().containsKey(phase))
                        .mapToLong(x -> x.phaseMs().get(phase)).toArray();
                row(phase + " (" + phase.owner().name().toLowerCase(Locale.ROOT).replace('_', ' ') + ")", values);
            }
            out.println("  (p50s of the parts need not add up to the p50 of the whole)");
            out.println();
            out.printf(Locale.ROOT, "goal: p50 < 200 ms -> %s%n", all.percentile(50) < 200 ? "met" : "NOT met");
        }
        List<Failure> allFailures = new ArrayList<>(warmFailures);
        allFailures.addAll(failures);
        out.printf(Locale.ROOT, "errors: %d (measured: %d, warm-up: %d)%s%n", allFailures.size(), failures.size(),
                warmFailures.size(), aborted ? "; the benchmark stopped early" : "");
        Map<String, Integer> byReason = new TreeMap<>();
        allFailures.forEach(f -> byReason.merge(f.phase() + "/" + f.reason(), 1, Integer::sum));
        byReason.forEach((k, v) -> out.printf(Locale.ROOT, "  %4d x %s%n", v, k));
        allFailures.stream().limit(10).forEach(f -> out.printf(Locale.ROOT, "  %s %s->%s: %s (%s): %s%n", f.name(),
                f.from(), f.to(), f.phase(), f.reason(), f.message()));
        if (!incomplete.isEmpty()) {
            out.printf(Locale.ROOT, "warning: %d Succeeded migrations lack measurements in status, e.g. %s%n",
                    incomplete.size(), incomplete.get(0));
        }
        if (allFailures.stream().anyMatch(f -> "VmOnSeveralNodes".equals(f.reason()))) {
            out.println("  BUG: the operator saw the VM on both nodes right after the previous migration ended");
        }
        if (measured.isEmpty()) {
            out.printf(Locale.ROOT, "overhead_ms p50=NaN p99=NaN n=0 errors=%d%n", allFailures.size());
        } else {
            LatencyStats all = new LatencyStats(measured.stream().mapToLong(Sample::overheadMs).toArray());
            out.printf(Locale.ROOT, "overhead_ms p50=%d p99=%d n=%d errors=%d%n", all.percentile(50),
                    all.percentile(99), all.count(), allFailures.size());
        }
    }

    private void row(String label, long[] values) {
        if (values.length == 0) {
            out.printf(Locale.ROOT, "  %-36s %6s%n", label, "-");
            return;
        }
        LatencyStats s = new LatencyStats(values);
        out.printf(Locale.ROOT, "  %-36s %6d %6d %6d %6d %8.1f%n", label, s.percentile(50), s.percentile(90),
                s.percentile(99), s.max(), s.mean());
    }

    private static double loadAverage() {
        return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }

    /** Completes the waiters of a migration when the informer shows it terminal, and when it is gone. */
    private final class Watcher implements ResourceEventHandler<SriovMigration> {
        @Override
        public void onAdd(SriovMigration m) {
            onUpdate(null, m);
        }

        @Override
        public void onUpdate(SriovMigration old, SriovMigration m) {
            if (m.getStatus() != null && m.getStatus().phase != null && m.getStatus().phase.isTerminal()) {
                CompletableFuture<SriovMigration> f = terminal.get(m.getMetadata().getName());
                if (f != null) {
                    f.complete(m);
                }
            }
        }

        @Override
        public void onDelete(SriovMigration m, boolean deletedFinalStateUnknown) {
            CompletableFuture<Void> f = gone.get(m.getMetadata().getName());
            if (f != null) {
                f.complete(null);
            }
        }
    }
}
