package io.sriovlm.sandbox.bench;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.sriovlm.agent.AgentSettings;
import io.sriovlm.api.v1alpha1.MigrationPhase;
import io.sriovlm.api.v1alpha1.PhaseTimestamp;
import io.sriovlm.api.v1alpha1.SriovMigration;
import io.sriovlm.api.v1alpha1.SriovMigrationSpec;
import io.sriovlm.api.v1alpha1.VfPool;
import io.sriovlm.api.v1alpha1.ConditionTypes;
import io.sriovlm.api.v1alpha1.Reasons;
import io.sriovlm.common.Conditions;
import io.sriovlm.common.Timestamps;
import io.sriovlm.sandbox.LatencyStats;
import io.sriovlm.sandbox.Sandbox;
import io.sriovlm.sandbox.api.ApiFaults;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The fleet benchmark (issue 14; {@code hack/bench-scale.sh}): the operator, as its own process from the product's
 * jar with the chart's memory (heap 70 % of 512 MiB), against a fleet of simulated hypervisors whose agents report
 * their HypervisorNic at the production heartbeat; migrations created at a steady rate with a bounded number in
 * flight. Measures the operator's heap after a full GC (at rest and at the peak of the run), the largest object
 * written, API writes and bytes per migration, the operator's reaction time while the fleet heartbeats, and failures.
 * A benchmark, not a test.
 * <p>
 * The fleet runs in this JVM, one product agent ({@code AgentRole}) per node over a {@code SimulatedHypervisor} and
 * a fake sysfs tree: the agent's own reporter, migration controllers and status writers, so what the fleet writes,
 * and when, is by construction what agents write. It is a light fleet ({@link Sandbox.Options#withLightFleet}): each
 * agent keeps its own client, identity, informers (three watches, as on a host) and JOSDK Operator, but the agents
 * share the HTTP event loops, task and reconcile threads and the JSON mapper, which a full agent each owns (about
 * 24 threads at rest, and more as its JOSDK reconcile pool fills up to 50; {@code --full-agents} runs those to
 * compare). This JVM's heap after a
 * full GC, threads and resident set are printed at rest and at the end; on the embedded API server they include the
 * server and its store.
 */
public final class ScaleBenchmark {
    /** The chart's operator container: memory limit 512 MiB, JAVA_TOOL_OPTIONS -XX:MaxRAMPercentage=70. */
    static final long CHART_HEAP_MIB = 512L * 70 / 100;
    static final Path OPERATOR_JAR = Path.of("src", "product", "target", "quarkus-app", "quarkus-run.jar");
    /** A run in which no migration finishes for this long is stuck: it reports where and stops. */
    private static final Duration STALL = Duration.ofSeconds(90);
    private static final Pattern FULL_GC = Pattern.compile("Pause Full.* (\\d+)M->(\\d+)M\\(");

    /**
     * @param nodes       simulated hypervisors
     * @param vfsPerNode  VFs per node; half of them hold a VM at the start (the other half of the SF indices on
     *                    every other node)
     * @param migrations  migrations to run
     * @param inFlight    unfinished migrations at most (also the operator's maxInFlight)
     * @param perSecond   creation rate
     * @param copyMs      simulated memory copy time
     * @param fullAgents  every agent with its own HTTP client, threads and command record, as the sandbox runs
     *                    them elsewhere, instead of the light fleet ({@link Sandbox.Options#withLightFleet})
     */
    public record Settings(int nodes, int vfsPerNode, int migrations, int inFlight, double perSecond, long copyMs,
            Sandbox.ControlPlane controlPlane, boolean fullAgents) {
    }

    /** Writes by resource: count, bytes, and the largest body. */
    static final class WriteStats {
        final Map<String, long[]> byResource = new ConcurrentHashMap<>();
        volatile long largest;
        volatile String largestWhat = "-";

        void record(ApiFaults.Request r) {
            String what = r.resource() + (r.subresource() == null || r.subresource().isEmpty() ? "" : "/" + r.subresource());
            long bytes = r.body() == null ? 0 : r.body().getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
            long[] c = byResource.computeIfAbsent(what, k -> new long[2]);
            synchronized (c) {
                c[0]++;
                c[1] += bytes;
            }
            synchronized (this) {
                if (bytes > largest) {
                    largest = bytes;
                    largestWhat = r.verb() + " " + what + " " + r.name();
                }
            }
        }

        Map<String, long[]> snapshot() {
            Map<String, long[]> copy = new TreeMap<>();
            byResource.forEach((k, v) -> {
                synchronized (v) {
                    copy.put(k, v.clone());
                }
            });
            return copy;
        }
    }

    private ScaleBenchmark() {
    }

    public static int run(Path workDir, Settings s, PrintStream out, PrintStream progress) throws Exception {
        if (!Files.exists(OPERATOR_JAR)) {
            progress.println("no operator jar at " + OPERATOR_JAR + ": run mvn package first (hack/bench-scale.sh does)");
            return 2;
        }
        if (s.nodes() < 2 || s.vfsPerNode() < 2 || s.migrations() < 1 || s.inFlight() < 1 || !(s.perSecond() > 0)) {
            progress.println("at least 2 nodes with 2 VFs, 1 migration, 1 in flight and a positive rate");
            return 2;
        }
        Path runDir = Files.createTempDirectory(Files.createDirectories(workDir), "scale-");
        List<String> nodes = new ArrayList<>();
        Map<String, Map<String, Integer>> world = new LinkedHashMap<>();
        // VMs in the order they are moved: round-robin over the nodes, so that the migrations in flight leave
        // different nodes as a fleet's would (node by node, 100 in flight would leave 3 or 4 nodes, and their
        // outbound lanes, not the operator, would set the pace).
        List<List<String>> vmsByNode = new ArrayList<>();
        for (int n = 1; n <= s.nodes(); n++) {
            String node = String.format("hv%04d", n);
            nodes.add(node);
            Map<String, Integer> vms = new LinkedHashMap<>();
            // A VM's target VF is the one paired with its SF (docs/decisions/003): odd nodes hold the lower half of
            // the SF indices, even nodes the upper half, so every VM has half the fleet to go to.
            int half = s.vfsPerNode() / 2;
            for (int k = 0; k < half; k++) {
                int sf = (n % 2) * half + k;
                String vm = String.format("vm-%04d-%02d", n, sf);
                vms.put(vm, sf);
            }
            world.put(node, vms);
            vmsByNode.add(new ArrayList<>(vms.keySet()));
        }
        Deque<String> idle = new ArrayDeque<>();
        for (int k = 0; k < s.vfsPerNode() / 2; k++) {
            for (List<String> onNode : vmsByNode) {
                idle.add(onNode.get(k));
            }
        }
        Duration heartbeat = AgentSettings.defaults().heartbeatInterval();
        Sandbox.Options options = Sandbox.Options.defaults(runDir).withoutOperator()
                .withCopyTime(Duration.ofMillis(s.copyMs())).withHeartbeat(heartbeat)
                .withWorld(nodes, s.vfsPerNode(), world).withControlPlane(s.controlPlane());
        if (!s.fullAgents()) {
            options = options.withLightFleet();
        }
        WriteStats writes = new WriteStats();
        long startedAt = System.nanoTime();
        try (Sandbox sandbox = Sandbox.start(options, new io.micrometer.core.instrument.simple.SimpleMeterRegistry())) {
            out.printf("fleet: %d nodes x %d VFs, %d VMs, %s agents' heartbeat %d s, on the %s (started in %.0f s)%n",
                    s.nodes(), s.vfsPerNode(), idle.size(), s.fullAgents() ? "full" : "light", heartbeat.toSeconds(),
                    sandbox.api().describe(), (System.nanoTime() - startedAt) / 1e9);
            // The operator starts on a fleet that runs, as when it restarts or is upgraded: its NICs carry the node
            // label an earlier operator gave them (the agents select their NIC by it), and every agent has made its
            // first report (a NIC status of tens of KiB, its VmInventory) and renewed its Lease since. On unlabelled
            // NICs (a fresh install) the fleet's 300 first reports came with the operator's cold start, queued on
            // the API server and on the fleet's shared reconcile threads, and nodes that had reported missed
            // heartbeats for 30 s and more (docs/benchmarks.md, "What turned nodes stale at the cold start").
            long fleetStartedAt = System.nanoTime();
            labelNicsForTheirAgents(sandbox.client());
            if (!awaitFleetHeartbeating(sandbox.client(), s.nodes(), progress)) {
                return 1;
            }
            out.printf("every agent reported and renewed its Lease %.0f s after the fleet started%n",
                    (System.nanoTime() - fleetStartedAt) / 1e9);
            sandbox.api().faults().onWrite(writes::record);
            Path kubeconfig = runDir.resolve("operator.kubeconfig");
            sandbox.api().writeOperatorKubeconfig(kubeconfig);
            // The operator's log outlives the run's folder: it is where a failed run is explained.
            Path operatorLog = workDir.resolve("scale-operator.log");
            Process operator = startOperator(runDir, operatorLog, kubeconfig, s, s.controlPlane() != null);
            try {
                return measure(sandbox.client(), operator, runDir, operatorLog, s, idle, writes, out, progress);
            } finally {
                operator.destroy();
                if (!operator.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
                    operator.destroyForcibly();
                }
            }
        } finally {
            keepLogs(runDir, workDir, progress);
            try (var paths = Files.walk(runDir)) {
                paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                progress.println("could not remove " + runDir + ": " + e.getMessage());
            }
        }
    }

    /**
     * Copies what explains a run out of its folder before the folder goes: the control plane's logs (etcd's slow
     * applies, the API server's traces of slow requests) to {@code scale-control-plane-logs/} and the operator's GC log,
     * replacing an earlier run's.
     */
    private static void keepLogs(Path runDir, Path workDir, PrintStream progress) {
        Path kept = workDir.resolve("scale-control-plane-logs");
        try {
            if (Files.isDirectory(kept)) {
                try (var old = Files.list(kept)) {
                    for (Path p : old.toList()) {
                        Files.delete(p);
                    }
                }
            }
            Path logs = runDir.resolve("control-plane").resolve("logs");
            if (Files.isDirectory(logs)) {
                Files.createDirectories(kept);
                try (var files = Files.list(logs)) {
                    for (Path p : files.toList()) {
                        Files.copy(p, kept.resolve(p.getFileName()));
                    }
                }
            }
            Path gc = runDir.resolve("operator-gc.log");
            if (Files.exists(gc)) {
                Files.copy(gc, workDir.resolve("scale-operator-gc.log"), StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            progress.println("could not keep the run's logs in " + workDir + ": " + e.getMessage());
        }
    }

    /** The process's CPU time so far (user and system); zero when the platform does not tell. */
    private static Duration cpuOf(ProcessHandle process) {
        return process.info().totalCpuDuration().orElse(Duration.ZERO);
    }

    private static Process startOperator(Path runDir, Path log, Path kubeconfig, Settings s, boolean leaderElected)
            throws IOException {
        ProcessBuilder pb = new ProcessBuilder("java", "-Xmx" + CHART_HEAP_MIB + "m",
                "-Xlog:gc:file=" + runDir.resolve("operator-gc.log"), "-jar", OPERATOR_JAR.toAbsolutePath().toString())
                .redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("SRIOVLM_ROLE", "operator");
        pb.environment().put("KUBECONFIG", kubeconfig.toAbsolutePath().toString());
        pb.environment().put("SRIOVLM_OPERATOR_MAX_IN_FLIGHT", Integer.toString(s.inFlight()));
        pb.environment().put("QUARKUS_HTTP_PORT", "0");
        pb.environment().put("QUARKUS_LOG_CATEGORY__IO_SRIOVLM__LEVEL", "WARN");
        if (leaderElected) {
            pb.environment().put("POD_NAMESPACE", Sandbox.OPERATOR_NAMESPACE);
            pb.environment().put("HOSTNAME", "operator-bench");
        } else {
            pb.environment().remove("POD_NAMESPACE"); // no Lease on the embedded server (Main then elects no leader)
        }
        return pb.start();
    }

    private static int measure(KubernetesClient client, Process operator, Path runDir, Path operatorLog, Settings s,
            Deque<String> idle, WriteStats writes, PrintStream out, PrintStream progress) throws Exception {
        long wantVfs = (long) s.nodes() * s.vfsPerNode();
        // The operator's cold start makes every node Ready (one status write each) while the fleet heartbeats: on a
        // big fleet that takes minutes here. Wait while the pool's count grows; give up when it stalls.
        Instant startedCounting = Instant.now();
        long counted = -1;
        Instant lastGrowth = startedCounting;
        while (true) {
            long now = pooledVfs(client);
            if (now >= wantVfs) {
                break;
            }
            if (now > counted) {
                counted = now;
                lastGrowth = Instant.now();
            }
            if (Instant.now().isAfter(lastGrowth.plus(STALL)) || !operator.isAlive()) {
                progress.println("the pool counted " + Math.max(0, counted) + " of " + wantVfs + " VFs and stopped"
                        + " counting" + (operator.isAlive() ? "" : " (the operator exited: " + operatorLog + ")"));
                return 1;
            }
            Thread.sleep(500);
        }
        out.printf("the pool counted %d VFs %.0f s after the operator started%n", wantVfs,
                Duration.between(startedCounting, Instant.now()).toMillis() / 1e3);
        // A heartbeat round to settle, one at rest whose CPU is measured (what 1,000 nodes would cost is that per
        // node, times 1,000), then the heap after a full GC.
        Duration round = AgentSettings.defaults().heartbeatInterval();
        Thread.sleep(round.toMillis());
        Duration operatorCpuAtRest = cpuOf(operator.toHandle());
        Duration fleetCpuAtRest = cpuOf(ProcessHandle.current());
        Thread.sleep(round.toMillis());
        long operatorRoundMs = cpuOf(operator.toHandle()).minus(operatorCpuAtRest).toMillis();
        long fleetRoundMs = cpuOf(ProcessHandle.current()).minus(fleetCpuAtRest).toMillis();
        out.printf("at rest: CPU in one heartbeat round (%d s): operator %d ms (%.2f ms per node), this JVM (fleet%s)"
                + " %d ms (%.1f ms per node)%n", round.toSeconds(), operatorRoundMs, (double) operatorRoundMs / s.nodes(),
                embeddedToo(s), fleetRoundMs, (double) fleetRoundMs / s.nodes());
        long restMib = heapAfterFullGc(operator, runDir);
        out.printf("at rest: operator heap after full GC %d MiB (of %d)%n", restMib, CHART_HEAP_MIB);
        out.printf("at rest: this JVM (fleet%s): %s%n", embeddedToo(s), FleetFootprint.now().describe(s.nodes()));

        Map<String, Long> createdAt = new ConcurrentHashMap<>();
        Map<String, SriovMigration> finished = new ConcurrentHashMap<>();
        Set<String> running = ConcurrentHashMap.newKeySet();
        Map<String, String> vmOf = new ConcurrentHashMap<>();
        // Migrations the operator held in Pending for a slot or a VF: that wait is queueing, not reaction.
        Set<String> waited = ConcurrentHashMap.newKeySet();
        // What held each of them back first: the condition's reason, and for a slot which limit.
        Map<String, String> heldBy = new ConcurrentHashMap<>();
        SharedIndexInformer<SriovMigration> informer = client.resources(SriovMigration.class).inNamespace("default")
                .inform(new ResourceEventHandler<>() {
                    @Override
                    public void onAdd(SriovMigration m) {
                        onUpdate(null, m);
                    }

                    @Override
                    public void onUpdate(SriovMigration old, SriovMigration m) {
                        if (m.getStatus() != null && Conditions.find(m.getStatus().conditions, ConditionTypes.SCHEDULED)
                                .filter(c -> Conditions.FALSE.equals(c.getStatus())).isPresent()) {
                            waited.add(m.getMetadata().getName());
                            Conditions.find(m.getStatus().conditions, ConditionTypes.SCHEDULED).ifPresent(c ->
                                    heldBy.putIfAbsent(m.getMetadata().getName(), heldBy(c.getReason(), c.getMessage())));
                        }
                        if (m.getStatus() != null && m.getStatus().phase != null && m.getStatus().phase.isTerminal()
                                && running.remove(m.getMetadata().getName())) {
                            finished.put(m.getMetadata().getName(), m);
                            synchronized (idle) {
                                idle.addLast(vmOf.get(m.getMetadata().getName()));
                                idle.notifyAll();
                            }
                        }
                    }

                    @Override
                    public void onDelete(SriovMigration m, boolean unknown) {
                        onUpdate(null, m);
                    }
                });
        writes.byResource.clear();
        writes.largest = 0;
        long peakMib = restMib;
        long first = System.currentTimeMillis();
        Duration operatorCpuAtStart = cpuOf(operator.toHandle());
        Duration fleetCpuAtStart = cpuOf(ProcessHandle.current());
        long intervalNanos = (long) (1e9 / s.perSecond());
        long next = System.nanoTime();
        Set<Integer> sampleAt = Set.of(s.migrations() / 4, s.migrations() / 2, 3 * s.migrations() / 4);
        for (int i = 0; i < s.migrations(); i++) {
            if (sampleAt.contains(i) && i > 0) {
                peakMib = Math.max(peakMib, heapAfterFullGc(operator, runDir));
            }
            long wait = next - System.nanoTime();
            if (wait > 0) {
                Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
            }
            next += intervalNanos;
            String vm;
            synchronized (idle) {
                long waitingSince = System.nanoTime();
                int finishedBefore = finished.size();
                while (running.size() >= s.inFlight() || idle.isEmpty()) {
                    idle.wait(1000);
                    if (!operator.isAlive()) {
                        progress.println("the operator exited: " + operatorLog);
                        return 1;
                    }
                    if (finished.size() == finishedBefore && System.nanoTime() - waitingSince > STALL.toNanos()) {
                        progress.println("no migration finished for " + STALL.toSeconds() + " s; the unfinished ones: "
                                + phases(client, running));
                        return 1;
                    }
                }
                vm = idle.pollFirst();
            }
            String name = String.format("scale-%05d", i);
            SriovMigration m = new SriovMigration();
            m.getMetadata().setName(name);
            m.getMetadata().setNamespace("default");
            m.setSpec(new SriovMigrationSpec());
            m.getSpec().vmName = vm;
            m.getSpec().vfPool = Sandbox.POOL;
            vmOf.put(name, vm);
            running.add(name);
            createdAt.put(name, System.currentTimeMillis());
            client.resource(m).create();
            if (i > 0 && i % 100 == 0) {
                progress.printf("%d created, %d finished, %d in flight%n", i, finished.size(), running.size());
            }
        }
        Instant until = Instant.now().plus(STALL);
        while (!running.isEmpty() && Instant.now().isBefore(until)) {
            Thread.sleep(200);
        }
        if (!running.isEmpty()) {
            progress.println("unfinished after " + STALL.toSeconds() + " s: " + phases(client, running));
        }
        long last = System.currentTimeMillis();
        Duration operatorCpu = cpuOf(operator.toHandle()).minus(operatorCpuAtStart);
        Duration fleetCpu = cpuOf(ProcessHandle.current()).minus(fleetCpuAtStart);
        informer.close();
        out.printf("at the end: this JVM (fleet%s): %s%n", embeddedToo(s), FleetFootprint.now().describe(s.nodes()));
        Map<String, long[]> during = writes.snapshot();

        List<Long> toPending = new ArrayList<>();
        List<Long> admittedAtOnce = new ArrayList<>();
        List<Long> admittedAfterWaiting = new ArrayList<>();
        List<Long> toPreparing = new ArrayList<>();
        long failed = running.size();
        Map<String, Long> failures = new TreeMap<>();
        Map<String, String> failureExample = new TreeMap<>();
        for (SriovMigration m : finished.values()) {
            if (m.getStatus().phase != MigrationPhase.Succeeded) {
                failed++;
                String key = m.getStatus().phase + "/" + m.getStatus().failureReason;
                failures.merge(key, 1L, Long::sum);
                failureExample.putIfAbsent(key, m.getMetadata().getName() + ": " + m.getStatus().message);
            }
            Optional<Instant> pending = at(m, MigrationPhase.Pending);
            Optional<Instant> scheduling = at(m, MigrationPhase.Scheduling);
            Optional<Instant> preparing = at(m, MigrationPhase.Preparing);
            pending.ifPresent(p -> toPending.add(p.toEpochMilli() - createdAt.get(m.getMetadata().getName())));
            if (pending.isPresent() && scheduling.isPresent()) {
                (waited.contains(m.getMetadata().getName()) ? admittedAfterWaiting : admittedAtOnce)
                        .add(Duration.between(pending.get(), scheduling.get()).toMillis());
            }
            // An admission the operator wrote with its scheduling (Pending → Scheduling → Preparing in one status
            // write, both stamped at once) has no hand-over of its own: counting its 0 ms would lower the percentiles.
            if (scheduling.isPresent() && preparing.isPresent() && !scheduling.get().equals(preparing.get())) {
                toPreparing.add(Duration.between(scheduling.get(), preparing.get()).toMillis());
            }
        }
        // The operator's reaction: to a create (-> Pending), admitting a migration nothing holds back
        // (Pending -> Scheduling), and handing it to the target agent (Scheduling -> Preparing). A migration that
        // waited for a slot or a VF is reported apart: its wait is the limits at work.
        List<Long> reactions = new ArrayList<>(toPending);
        reactions.addAll(admittedAtOnce);
        reactions.addAll(toPreparing);
        LatencyStats reaction = stats(reactions);
        long totalWrites = during.values().stream().mapToLong(c -> c[0]).sum();
        long totalBytes = during.values().stream().mapToLong(c -> c[1]).sum();
        int done = Math.max(1, finished.size());
        out.printf("%d migrations in %.0f s (%.1f/s), up to %d in flight, copy %d ms; failed %d %s%n", s.migrations(),
                (last - first) / 1e3, s.migrations() * 1e3 / Math.max(1, last - first), s.inFlight(), s.copyMs(),
                failed, failures);
        failureExample.forEach((key, example) -> out.printf("  %s, e.g. %s%n", key, example));
        out.printf("operator heap after full GC: %d MiB at rest, %d MiB at the peak (limit %d MiB)%n", restMib, peakMib,
                CHART_HEAP_MIB);
        out.printf("largest object written: %.1f KiB (%s)%n", writes.largest / 1024.0, writes.largestWhat);
        // CPU of the run, per migration: the operator's is the product's own cost; the fleet's (this JVM) is the
        // benchmark's, which a real cluster runs on its hypervisors, not beside the control plane.
        out.printf("CPU during the run: operator %.1f s (%.0f ms per migration), fleet %.1f s (%.0f ms per migration)%n",
                operatorCpu.toMillis() / 1e3, (double) operatorCpu.toMillis() / Math.max(1, finished.size()),
                fleetCpu.toMillis() / 1e3, (double) fleetCpu.toMillis() / Math.max(1, finished.size()));
        out.printf("reaction ms: create -> Pending %s; Pending -> Scheduling, not held back %s;"
                + " Scheduling -> Preparing %s%n", describe(stats(toPending)), describe(stats(admittedAtOnce)),
                describe(stats(toPreparing)));
        out.printf("waited for a slot or a VF (not reaction): Pending -> Scheduling ms %s%n",
                describe(stats(admittedAfterWaiting)));
        Map<String, Long> holders = new java.util.TreeMap<>();
        heldBy.values().forEach(why -> holders.merge(why, 1L, Long::sum));
        out.printf("held back first by: %s%n", holders);
        out.printf("API writes during the run: %d (%.1f per migration), %.1f MiB (%.1f KiB per migration)%n",
                totalWrites, (double) totalWrites / done, totalBytes / 1048576.0, totalBytes / 1024.0 / done);
        during.forEach((what, c) -> out.printf("  %-32s %8d writes %10.1f KiB  %7.2f writes/migration %8.1f KiB/migration%n",
                what, c[0], c[1] / 1024.0, (double) c[0] / done, c[1] / 1024.0 / done));
        out.printf("scale nodes=%d vfs=%d migrations=%d heap_mib=%d largest_object_kib=%d reaction_p50_ms=%d"
                + " reaction_p99_ms=%d writes_per_migration=%.1f failed=%d%n", s.nodes(), s.vfsPerNode(),
                s.migrations(), peakMib, Math.round(writes.largest / 1024.0), reaction.percentile(50),
                reaction.percentile(99), (double) totalWrites / done, failed);
        return failed == 0 ? 0 : 1;
    }

    private static String embeddedToo(Settings s) {
        return s.controlPlane() == null ? " and the embedded API server" : "";
    }

    /** How many of {@code names} are in each phase (with the reason of their last condition), for a stalled run. */
    private static Map<String, Long> phases(KubernetesClient client, Set<String> names) {
        Map<String, Long> count = new TreeMap<>();
        for (SriovMigration m : client.resources(SriovMigration.class).inNamespace("default").list().getItems()) {
            if (names.contains(m.getMetadata().getName())) {
                var st = m.getStatus();
                String key = st == null || st.phase == null ? "none" : st.phase + (st.conditions.isEmpty() ? ""
                        : "/" + st.conditions.get(st.conditions.size() - 1).getReason());
                count.merge(key, 1L, Long::sum);
            }
        }
        return count;
    }

    /** Gives each NIC the label {@code sriovlm.io/node} the operator sets from its spec (HypervisorNicReconciler). */
    private static void labelNicsForTheirAgents(KubernetesClient client) {
        for (var nic : client.resources(io.sriovlm.api.v1alpha1.HypervisorNic.class).list().getItems()) {
            client.resources(io.sriovlm.api.v1alpha1.HypervisorNic.class).withName(nic.getMetadata().getName())
                    .patch(io.fabric8.kubernetes.client.dsl.base.PatchContext.of(
                            io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE),
                            "{\"metadata\":{\"labels\":{\"" + io.sriovlm.api.v1alpha1.Labels.NODE + "\":\""
                                    + nic.getSpec().nodeName + "\"}}}");
        }
    }

    /**
     * Waits until every node's agent has a heartbeat Lease, which it creates at its first heartbeat that found its
     * reports current (so after its first report landed); false when the count stops growing for {@link #STALL}.
     */
    private static boolean awaitFleetHeartbeating(KubernetesClient client, int nodes, PrintStream progress)
            throws InterruptedException {
        long counted = -1;
        Instant lastGrowth = Instant.now();
        while (true) {
            long now = client.leases().inNamespace(Sandbox.OPERATOR_NAMESPACE)
                    .withLabel(io.sriovlm.api.v1alpha1.Labels.NODE).list().getItems().size();
            if (now >= nodes) {
                return true;
            }
            if (now > counted) {
                counted = now;
                lastGrowth = Instant.now();
            }
            if (Instant.now().isAfter(lastGrowth.plus(STALL))) {
                progress.println(counted + " of " + nodes + " agents have a heartbeat Lease, and no more came");
                return false;
            }
            Thread.sleep(1000);
        }
    }

    /** The VFs the pool counts now; 0 while it cannot be read (a fleet starting up can keep the server busy). */
    private static long pooledVfs(KubernetesClient client) {
        VfPool pool;
        try {
            pool = client.resources(VfPool.class).withName(Sandbox.POOL).get();
        } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
            return 0;
        }
        return pool == null || pool.getStatus() == null || pool.getStatus().totalVfs == null ? 0
                : pool.getStatus().totalVfs;
    }

    /** Asks the operator's JVM for a full GC and reads the heap it left from the GC log (-Xlog:gc). */
    static long heapAfterFullGc(Process operator, Path runDir) throws IOException, InterruptedException {
        Process jcmd = new ProcessBuilder("jcmd", Long.toString(operator.pid()), "GC.run").redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        jcmd.waitFor(60, java.util.concurrent.TimeUnit.SECONDS);
        Thread.sleep(500);
        long after = -1;
        for (String line : Files.readAllLines(runDir.resolve("operator-gc.log"))) {
            Matcher m = FULL_GC.matcher(line);
            if (m.find()) {
                after = Long.parseLong(m.group(2));
            }
        }
        if (after < 0) {
            throw new UncheckedIOException(new IOException("no full GC in " + runDir.resolve("operator-gc.log")));
        }
        return after;
    }

    private static Optional<Instant> at(SriovMigration m, MigrationPhase phase) {
        return m.getStatus().phaseTimestamps.stream().filter(t -> t.phase == phase).map(t -> t.at)
                .map(Timestamps::parse).filter(java.util.Objects::nonNull).findFirst();
    }

    private static LatencyStats stats(List<Long> values) {
        return new LatencyStats(values.isEmpty() ? new long[] {0} : values.stream().mapToLong(Long::longValue).toArray());
    }

    private static String describe(LatencyStats s) {
        return "p50 " + s.percentile(50) + ", p99 " + s.percentile(99) + ", max " + s.max() + " (n " + s.count() + ")";
    }

    /** A wait's reason, with which limit for a slot (the cluster's, or the source's outbound lane). */
    private static String heldBy(String reason, String message) {
        if (!Reasons.WAITING_FOR_SLOT.equals(reason) || message == null) {
            return reason;
        }
        return reason + (message.contains("in flight") ? " (cluster limit)" : " (outbound lane)");
    }
}
