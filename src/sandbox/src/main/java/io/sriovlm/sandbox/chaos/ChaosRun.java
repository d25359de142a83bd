package io.sriovlm.sandbox.chaos;

import io.sriovlm.sandbox.Sandbox;
import io.sriovlm.sandbox.InvariantChecker;
import io.sriovlm.sandbox.LatencyStats;
import io.sriovlm.api.v1alpha1.Labels;
import io.sriovlm.api.v1alpha1.ConditionTypes;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.sriovlm.sandbox.faults.Fault;
import io.sriovlm.sandbox.faults.FaultTarget;
import io.sriovlm.sandbox.faults.Injection;
import io.sriovlm.sandbox.faults.PhaseTrigger;
import io.micrometer.core.instrument.MeterRegistry;
import io.sriovlm.api.v1alpha1.MigrationOptions;
import io.sriovlm.api.v1alpha1.MigrationPhase;
import io.sriovlm.api.v1alpha1.PhaseTimestamp;
import io.sriovlm.api.v1alpha1.SriovMigration;
import io.sriovlm.common.Timestamps;
import io.sriovlm.operator.EvacuationConfig;
import io.sriovlm.operator.HistoryConfig;
import io.sriovlm.operator.OperatorConfig;
import io.sriovlm.operator.reconciler.EvacuationReconciler;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Issue 8's chaos run: migrations (single ones and node evacuations) under random faults, in waves, from one seed.
 * Each wave plans its migrations and faults from the seeded {@link Random}, starts them, fires the faults at their
 * planned delays, waits for every migration of the wave to reach a terminal phase, heals what the faults left behind
 * (stopped agents, unreachable routes, a cordon) and then asks the {@link InvariantChecker} about the world at rest.
 * <p>
 * The seed fixes the plan — which VMs move where, which faults fire when, on which node — so a printed seed replays
 * the same run; the interleaving with the operator's and agents' threads is the machine's, so a replay hits the same
 * faults at the same planned moments, not necessarily at the same instruction.
 * Not a default test at full size: {@code hack/chaos.sh}; {@code ChaosSandboxTest} runs a short version.
 */
public final class ChaosRun {
    /** Nodes of the chaos world; every VM has its own SF index, so any VM fits on any node (decision 003). */
    public static final long DEFAULT_COPY_MS = 100;
    static final List<String> NODES = List.of("hv1", "hv2", "hv3", "hv4");
    static final int VMS_PER_NODE = 3;
    /** Short deadlines so that a fault that stalls a step (a lost device-removed event) ends the case quickly. */
    static final int MIGRATING_TIMEOUT_SECONDS = 15;
    static final int STEP_TIMEOUT_SECONDS = 3;
    /** A wave that is not over after this long is a violation in itself (a migration past every deadline). */
    static final Duration WAVE_TIMEOUT = Duration.ofSeconds(90);
    /** How long a world at rest may take to settle (bond lag, claims collected) before a violation counts. */
    static final Duration SETTLE = Duration.ofSeconds(15);

    /**
     * @param seed        the plan's seed, printed first
     * @param migrations  stop after at least this many migrations have ended (evacuations count each of theirs)
     * @param copyTime    simulated memory copy of each migration
     * @param controlPlane a real control plane to run on; null for the embedded API server
     */
    public record Settings(long seed, int migrations, Duration copyTime, Sandbox.ControlPlane controlPlane) {
    }

    /** What a run found: the violations (goal: none), the outcome counts and the time each migration took to end. */
    public record Report(long seed, int migrations, int waves, Map<String, Integer> outcomes,
            Map<String, Integer> reasons, Map<String, List<String>> failedExamples, Map<String, Integer> faults,
            List<String> violations, LatencyStats timeToTerminalMs, Duration elapsed, boolean realControlPlane) {
        public void print(PrintStream out) {
            out.printf("chaos run, seed %d, %s: %d migrations in %d waves, %.1f s%n", seed,
                    realControlPlane ? "real control plane" : "embedded API server", migrations, waves,
                    elapsed.toMillis() / 1000.0);
            out.println("outcomes: " + outcomes);
            out.println("why the others ended so: " + reasons);
            failedExamples.forEach((reason, examples) -> {
                out.println("  e.g. " + reason + ":");
                examples.forEach(e -> out.println("    " + e));
            });
            out.println("faults injected: " + faults);
            if (timeToTerminalMs != null) {
                out.printf("time to a terminal phase: p50 %d ms, p99 %d ms, max %d ms%n",
                        timeToTerminalMs.percentile(50), timeToTerminalMs.percentile(99), timeToTerminalMs.max());
            }
            out.println("violations: " + violations.size() + " (goal 0)");
            violations.forEach(v -> out.println("  " + v));
            out.println("replay: hack/chaos.sh " + migrations + " --seed " + seed
                    + (realControlPlane ? " --real-control-plane" : ""));
        }
    }

    private final Sandbox sandbox;
    private final KubernetesClient client;
    private final Random random;
    private final Settings settings;
    private final PrintStream progress;
    private final InvariantChecker checker;
    private final Map<String, Integer> outcomes = new TreeMap<>();
    private final Map<String, Integer> reasons = new TreeMap<>();
    /** The first few Failed migrations of each reason with their messages: enough to tell a bug from a fault. */
    private final Map<String, List<String>> failedExamples = new TreeMap<>();
    private static final int FAILED_EXAMPLES = 3;
    private final Map<String, Integer> faults = new TreeMap<>();
    private final java.util.concurrent.atomic.AtomicInteger deleted = new java.util.concurrent.atomic.AtomicInteger();
    private final List<String> violations = new ArrayList<>();
    private final List<Long> timesToTerminal = new ArrayList<>();
    private final ScheduledExecutorService later = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "chaos-faults");
        t.setDaemon(true);
        return t;
    });
    private int ended;
    private int wave;

    private ChaosRun(Sandbox sandbox, Settings settings, PrintStream progress) {
        this.sandbox = sandbox;
        this.client = sandbox.client();
        this.settings = settings;
        this.random = new Random(settings.seed());
        this.progress = progress;
        // The deadline invariant gets the wave's own timeout as margin: the phase deadlines are seconds, the check
        // runs at rest, so anything still running then is already a violation of its own.
        this.checker = new InvariantChecker(sandbox, Duration.ofSeconds(5));
    }

    /** Starts a chaos world in {@code workDir}, runs the waves, and reports. */
    public static Report run(Path workDir, Settings settings, MeterRegistry meters, PrintStream progress)
            throws InterruptedException {
        progress.println("chaos run: seed " + settings.seed() + ", " + settings.migrations() + " migrations");
        Path runDir;
        try {
            runDir = Files.createTempDirectory(Files.createDirectories(workDir), "chaos-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, Map<String, Integer>> world = new LinkedHashMap<>();
        int sf = 0;
        for (String node : NODES) {
            Map<String, Integer> vms = new LinkedHashMap<>();
            for (int i = 0; i < VMS_PER_NODE; i++, sf++) {
                vms.put(String.format("vm-%02d", sf), sf);
            }
            world.put(node, vms);
        }
        // Heartbeat staleness above the longest planned agent outage: a stopped agent's node must not look gone.
        // Every finished migration is kept: each wave reads all of its migrations back to judge them (history retention
        // is proven by HistoryRetentionSandboxTest).
        OperatorConfig limits = new OperatorConfig(5, 2, 2, Duration.ofSeconds(30)).withHistory(HistoryConfig.KEEP_ALL);
        Sandbox.Options options = Sandbox.Options.defaults(runDir).withCopyTime(settings.copyTime())
                .withHeartbeat(Duration.ofMillis(500)).withOperatorConfig(limits).withLeaderElection(true)
                .withWorld(NODES, sf, world).withControlPlane(settings.controlPlane());
        Instant start = Instant.now();
        try (Sandbox sandbox = Sandbox.start(options, meters)) {
            progress.println("API: " + sandbox.api().describe());
            Sandbox.awaitPoolReady(sandbox.client(), Duration.ofSeconds(60));
            // Evacuations get the same short deadlines as the run's own migrations.
            sandbox.useEvacuationConfig(EvacuationConfig.defaults().withMigrationOptions(chaosOptions()));
            sandbox.restartOperator();
            ChaosRun run = new ChaosRun(sandbox, settings, progress);
            run.awaitAtRest("before the first wave");
            try {
                while (run.ended < settings.migrations()) {
                    run.runWave();
                }
            } finally {
                run.later.shutdownNow();
            }
            return run.report(Duration.between(start, Instant.now()));
        } finally {
            keepControlPlaneLogs(runDir, workDir.resolve("control-plane-logs"), progress);
            try (var paths = Files.walk(runDir)) {
                paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                // scratch only
            }
        }
    }

    /** The real control plane's logs (and audit log) outlive the run's scratch folder, for whoever reads a failure. */
    private static void keepControlPlaneLogs(Path runDir, Path keep, PrintStream progress) {
        Path logs = runDir.resolve("control-plane").resolve("logs");
        if (!Files.isDirectory(logs)) {
            return;
        }
        try (var files = Files.list(logs)) {
            Files.createDirectories(keep);
            for (Path f : files.toList()) {
                Files.copy(f, keep.resolve(f.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
            progress.println("control plane logs: " + keep);
        } catch (IOException e) {
            progress.println("cannot keep the control plane logs: " + e);
        }
    }

    private Report report(Duration elapsed) {
        LatencyStats stats = timesToTerminal.isEmpty() ? null
                : new LatencyStats(timesToTerminal.stream().mapToLong(Long::longValue).toArray());
        return new Report(settings.seed(), ended, wave, new TreeMap<>(outcomes), new TreeMap<>(reasons),
                new TreeMap<>(failedExamples), new TreeMap<>(faults),
                List.copyOf(violations), stats, elapsed, settings.controlPlane() != null);
    }

    /** One wave: plan, start, fire faults, await the end, heal, check the world at rest, clean up. */
    private void runWave() throws InterruptedException {
        wave++;
        WavePlan plan = WavePlan.draw(random);
        Map<String, String> whereVmsRun = vmLocations();
        String evacuated = plan.evacuate() != null && whereVmsRun.containsValue(plan.evacuate()) ? plan.evacuate() : null;
        // Every migration of the wave, namespace/name -> its source node (targets are placement's unless planned).
        Map<String, Aim> aims = new TreeMap<>();
        Set<String> wanted = new java.util.concurrent.ConcurrentSkipListSet<>();
        for (WavePlan.Move move : plan.moves()) {
            String source = whereVmsRun.get(move.vm());
            if (source == null || source.equals(evacuated)) {
                continue; // not running (cannot happen at rest), or the evacuation moves it
            }
            String target = move.target() == null || move.target().equals(source) || move.target().equals(evacuated)
                    ? null : move.target();
            String name = String.format("chaos-w%04d-%s", wave, move.vm());
            if (wanted.add(name)) {
                aims.put("default/" + name, new Aim("default", name, move.vm(), source, target));
            }
        }
        if (evacuated != null) {
            for (Map.Entry<String, String> vm : whereVmsRun.entrySet()) {
                if (vm.getValue().equals(evacuated)) {
                    String name = EvacuationReconciler.migrationName(evacuated, vm.getKey());
                    aims.put(Sandbox.OPERATOR_NAMESPACE + "/" + name,
                            new Aim(Sandbox.OPERATOR_NAMESPACE, name, vm.getKey(), evacuated, null));
                }
            }
        }
        List<Aim> targets = new ArrayList<>(aims.values());
        // Faults first, so that one planned for Pending is in place when the operator first sees its migration.
        List<PhaseTrigger> triggers = new ArrayList<>();
        List<Injection> injections = new java.util.concurrent.CopyOnWriteArrayList<>();
        for (PlannedFault p : plan.faults()) {
            if (!targets.isEmpty()) {
                triggers.add(arm(p, targets.get(p.migration() % targets.size()), wanted, injections));
            }
        }
        Instant waveStart = Instant.now();
        for (Aim aim : targets) {
            if (aim.namespace().equals("default")) {
                createMigration(aim.name(), aim.vm(), aim.target());
            }
        }
        if (evacuated != null) {
            startEvacuation(evacuated);
        }
        List<SriovMigration> finished = awaitWave(wanted, evacuated, waveStart);
        triggers.forEach(PhaseTrigger::close);
        for (Injection injection : injections) {
            try {
                injection.heal();
            } catch (RuntimeException e) {
                // The injector itself failed (e.g. its API call lost a race): the run goes on, and says so.
                progress.printf("wave %d: injecting %s failed: %s%n", wave, injection.description(), e);
            }
        }
        heal(evacuated);
        record(finished);
        awaitAtRest("after wave " + wave);
        for (SriovMigration m : finished) {
            try {
                client.resource(m).delete();
            } catch (KubernetesClientException e) {
                // already gone
            }
        }
        progress.printf("wave %d: %d migrations ended (total %d), %d violations so far%n", wave, finished.size(),
                ended, violations.size());
    }

    /** A migration of the wave a fault can aim at; {@code target} null while placement has not chosen. */
    private record Aim(String namespace, String name, String vm, String source, String target) {
    }

    /** Things a user does to a running migration, drawn alongside the faults. */
    enum UserAction {
        CANCEL, DELETE
    }

    /**
     * What one wave does, drawn with a fixed number of draws whatever the world looks like, so that wave k of a seed
     * plans the same moves and faults however earlier waves ended; the world then decides what applies (a VM being
     * evacuated is not moved on its own, a target equal to the source means "let placement choose").
     */
    record WavePlan(String evacuate, List<Move> moves, List<PlannedFault> faults) {
        static final int MAX_MOVES = 4;
        static final int MAX_FAULTS = 3;

        record Move(String vm, String target) {
        }

        static WavePlan draw(Random random) {
            boolean evacuate = random.nextInt(8) == 0;
            String evacuated = NODES.get(random.nextInt(NODES.size()));
            int moveCount = 1 + random.nextInt(MAX_MOVES);
            List<Move> moves = new ArrayList<>();
            for (int i = 0; i < MAX_MOVES; i++) {
                String vm = String.format("vm-%02d", random.nextInt(NODES.size() * VMS_PER_NODE));
                int t = random.nextInt(NODES.size() * 2); // half of the moves leave the target to placement
                if (i < moveCount) {
                    moves.add(new Move(vm, t < NODES.size() ? NODES.get(t) : null));
                }
            }
            int faultCount = random.nextInt(MAX_FAULTS + 1);
            List<PlannedFault> faults = new ArrayList<>();
            Fault[] kinds = Fault.values();
            for (int i = 0; i < MAX_FAULTS; i++) {
                int kind = random.nextInt(kinds.length + UserAction.values().length);
                int phaseDraw = random.nextInt(FAULT_PHASES.size());
                int migration = random.nextInt(16);
                int guessedTarget = random.nextInt(NODES.size());
                long healAfterMs = 500 + random.nextInt(4500);
                long seed = random.nextLong();
                if (i >= faultCount) {
                    continue;
                }
                if (kind < kinds.length) {
                    List<MigrationPhase> where = FAULT_PHASES.stream()
                            .filter(p -> kinds[kind].notApplicableAt(p).isEmpty()).toList();
                    faults.add(new PlannedFault(kinds[kind], null, where.get(phaseDraw % where.size()), migration,
                            NODES.get(guessedTarget), healAfterMs, seed));
                } else {
                    faults.add(new PlannedFault(null, UserAction.values()[kind - kinds.length],
                            FAULT_PHASES.get(phaseDraw), migration, NODES.get(guessedTarget), healAfterMs, seed));
                }
            }
            return new WavePlan(evacuate ? evacuated : null, moves, faults);
        }
    }

    /** The phases a fault or a user action is aimed at (it lands as the migration enters it). */
    static final List<MigrationPhase> FAULT_PHASES = List.of(MigrationPhase.Pending, MigrationPhase.Scheduling,
            MigrationPhase.Preparing, MigrationPhase.TargetReady, MigrationPhase.SwitchingToStandby, MigrationPhase.Migrating,
            MigrationPhase.RestoringFastPath, MigrationPhase.RollingBack);

    /**
     * One fault of a wave: a sandbox {@link Fault} (or a user's cancel or delete) that lands on one of the wave's
     * migrations as it enters {@code phase}, and is healed {@code healAfterMs} later (or at the end of the wave).
     *
     * @param migration      which of the wave's migrations (index into them, sorted by name)
     * @param guessedTarget  the target node when placement has not chosen one yet as the fault lands
     * @param seed           the fault's own random choices
     */
    record PlannedFault(Fault fault, UserAction action, MigrationPhase phase, int migration, String guessedTarget,
            long healAfterMs, long seed) {
        String label() {
            return fault != null ? fault.name() : action.name();
        }
    }

    /** Puts a planned fault in place: now for Pending, else as its migration is written into the phase. */
    private PhaseTrigger arm(PlannedFault p, Aim aim, Set<String> wanted, List<Injection> injections) {
        java.util.function.Consumer<com.fasterxml.jackson.databind.JsonNode> land = status -> {
            String target = status != null && status.hasNonNull("targetNode") ? status.get("targetNode").asText()
                    : aim.target() != null ? aim.target() : p.guessedTarget();
            synchronized (faults) {
                faults.merge(p.label(), 1, Integer::sum);
            }
            if (p.fault() != null) {
                Injection injection = p.fault().inject(sandbox, new FaultTarget(aim.namespace(), aim.name(), aim.vm(),
                        aim.source(), target, p.phase(), p.seed()));
                injections.add(injection);
                later.schedule(injection::heal, p.healAfterMs(), TimeUnit.MILLISECONDS);
            } else {
                // Not on the API server's thread that runs the trigger: a user's request comes from outside.
                later.schedule(() -> userAction(p.action(), aim, wanted), 50, TimeUnit.MILLISECONDS);
            }
        };
        if (p.phase() == MigrationPhase.Pending) {
            land.accept(null);
            return PhaseTrigger.on(sandbox, aim.namespace(), aim.name(), MigrationPhase.Pending, () -> {
            });
        }
        return PhaseTrigger.onStatus(sandbox, aim.namespace(), aim.name(), p.phase(), land);
    }

    private void userAction(UserAction action, Aim aim, Set<String> wanted) {
        var resource = client.resources(SriovMigration.class).inNamespace(aim.namespace()).withName(aim.name());
        try {
            if (action == UserAction.CANCEL) {
                resource.patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"cancel\":true}}");
            } else if (aim.namespace().equals("default")) {
                // Deleted with its finalizer: it rolls back (or finishes) before it goes; the checker judges the VM.
                resource.delete();
                synchronized (wanted) {
                    if (wanted.remove(aim.name())) {
                        deleted.incrementAndGet();
                    }
                }
            } else {
                resource.patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"cancel\":true}}");
            }
        } catch (KubernetesClientException e) {
            // gone already: nothing to do
        }
    }

    private void createMigration(String name, String vm, String target) {
        SriovMigration m = Sandbox.migration(name, vm, target);
        m.getSpec().options = chaosOptions();
        client.resource(m).create();
    }

    private static MigrationOptions chaosOptions() {
        MigrationOptions options = new MigrationOptions();
        options.timeoutSeconds = MIGRATING_TIMEOUT_SECONDS;
        options.stepTimeoutSeconds = STEP_TIMEOUT_SECONDS;
        return options;
    }

    private void startEvacuation(String node) {
        client.nodes().withName(node).edit(n -> {
            n.getMetadata().getLabels().put(Labels.EVACUATE, Labels.ON_CORDON);
            n.getSpec().setUnschedulable(true);
            return n;
        });
    }

    /** Every migration of the wave, terminal; a wave past {@link #WAVE_TIMEOUT} records what is still running. */
    private List<SriovMigration> awaitWave(Set<String> wanted, String evacuated, Instant waveStart)
            throws InterruptedException {
        Instant until = waveStart.plus(WAVE_TIMEOUT);
        boolean evacuationDone = evacuated == null;
        while (true) {
            List<SriovMigration> mine = client.resources(SriovMigration.class).inNamespace("default").list().getItems()
                    .stream().filter(m -> wanted.contains(m.getMetadata().getName())).collect(Collectors.toList());
            List<SriovMigration> evacuation = evacuated == null ? List.of()
                    : client.resources(SriovMigration.class).inNamespace(Sandbox.OPERATOR_NAMESPACE)
                            .withLabel(Labels.EVACUATION, evacuated).list().getItems();
            if (!evacuationDone) {
                // Over when the node is empty, or when every VM left on it is reported blocked by a migration that
                // ended (the evacuation does not retry those: a human looks at them).
                String state = evacuationState(evacuated);
                evacuationDone = "Evacuated".equals(state) || ("Blocked".equals(state) && !evacuation.isEmpty()
                        && evacuation.stream().allMatch(ChaosRun::terminal));
            }
            List<SriovMigration> all = new ArrayList<>(mine);
            all.addAll(evacuation);
            boolean mineDone = mine.size() == wanted.size() && mine.stream().allMatch(ChaosRun::terminal);
            if (mineDone && evacuationDone && all.stream().allMatch(ChaosRun::terminal)) {
                return all;
            }
            if (Instant.now().isAfter(until)) {
                all.stream().filter(m -> !terminal(m)).forEach(m -> violations.add(String.format(
                        "seed %d wave %d: %s/%s still %s after %d s", settings.seed(), wave,
                        m.getMetadata().getNamespace(), m.getMetadata().getName(),
                        m.getStatus() == null ? "without status" : m.getStatus().phase, WAVE_TIMEOUT.toSeconds())));
                if (!evacuationDone) {
                    violations.add(String.format("seed %d wave %d: node %s not evacuated after %d s", settings.seed(),
                            wave, evacuated, WAVE_TIMEOUT.toSeconds()));
                }
                return all.stream().filter(ChaosRun::terminal).collect(Collectors.toList());
            }
            Thread.sleep(50);
        }
    }

    /** The reason of the node's {@code SriovEvacuated} condition, or null before the operator set one. */
    private String evacuationState(String node) {
        Node n = client.nodes().withName(node).get();
        if (n == null || n.getStatus() == null || n.getStatus().getConditions() == null) {
            return null;
        }
        return n.getStatus().getConditions().stream().filter(c -> ConditionTypes.SRIOV_EVACUATED.equals(c.getType()))
                .map(c -> c.getReason()).findFirst().orElse(null);
    }

    /** Undoes what a fault or the wave left: every agent runs, every route is open, the evacuated node uncordoned. */
    private void heal(String evacuated) {
        for (String node : NODES) {
            sandbox.resumeAgent(node);
            for (String other : NODES) {
                sandbox.host(node).faults().makeReachable(io.sriovlm.sandbox.host.SimulatedFabric.uriOf(other));
            }
        }
        if (evacuated != null) {
            client.nodes().withName(evacuated).edit(n -> {
                n.getMetadata().getLabels().remove(Labels.EVACUATE);
                n.getSpec().setUnschedulable(false);
                return n;
            });
        }
    }

    private void record(List<SriovMigration> finished) {
        int gone = deleted.getAndSet(0);
        if (gone > 0) {
            outcomes.merge("Deleted", gone, Integer::sum);
            ended += gone;
        }
        for (SriovMigration m : finished) {
            MigrationPhase phase = m.getStatus().phase;
            outcomes.merge(phase.name(), 1, Integer::sum);
            if (phase != MigrationPhase.Succeeded) {
                reasons.merge(phase + "/" + m.getStatus().failureReason, 1, Integer::sum);
            }
            if (phase == MigrationPhase.Failed) {
                List<String> examples = failedExamples.computeIfAbsent(String.valueOf(m.getStatus().failureReason),
                        r -> new ArrayList<>());
                if (examples.size() < FAILED_EXAMPLES) {
                    examples.add(String.format("wave %d %s: %s", wave, m.getMetadata().getName(), m.getStatus().message));
                }
            }
            ended++;
            List<PhaseTimestamp> stamps = m.getStatus().phaseTimestamps;
            if (stamps != null && stamps.size() > 1) {
                Instant first = Timestamps.parse(stamps.get(0).at);
                Instant last = Timestamps.parse(stamps.get(stamps.size() - 1).at);
                timesToTerminal.add(Duration.between(first, last).toMillis());
            }
            // The status must say what happened: every end other than success names a reason.
            if (phase != MigrationPhase.Succeeded && (m.getStatus().message == null || m.getStatus().message.isBlank())) {
                violations.add(String.format("seed %d wave %d: %s ended %s without a message", settings.seed(), wave,
                        m.getMetadata().getName(), phase));
            }
        }
    }

    /** Waits until the world is at rest and sound; what is still wrong after {@link #SETTLE} is recorded. */
    private void awaitAtRest(String when) throws InterruptedException {
        Instant until = Instant.now().plus(SETTLE);
        List<String> found = checker.violations();
        while (!found.isEmpty() && Instant.now().isBefore(until)) {
            Thread.sleep(100);
            found = checker.violations();
        }
        for (String v : found) {
            violations.add(String.format("seed %d %s: %s", settings.seed(), when, v));
        }
    }

    private Map<String, String> vmLocations() {
        Map<String, String> where = new TreeMap<>();
        for (String node : NODES) {
            sandbox.host(node).listDomains().stream().filter(d -> d.isRunning())
                    .forEach(d -> where.put(d.name(), node));
        }
        return where;
    }

    private static boolean terminal(SriovMigration m) {
        return m.getStatus() != null && m.getStatus().phase != null && m.getStatus().phase.isTerminal();
    }
}
