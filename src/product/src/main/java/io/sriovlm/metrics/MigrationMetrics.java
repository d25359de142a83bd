package io.sriovlm.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.sriovlm.api.v1alpha1.MigrationPhase;
import io.sriovlm.api.v1alpha1.PhaseTimestamp;
import io.sriovlm.api.v1alpha1.SriovMigration;
import io.sriovlm.api.v1alpha1.SriovMigrationStatus;
import io.sriovlm.common.Timestamps;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The operator's Prometheus meters. Recorded once per migration when the operator sees it finish, from the
 * phase timestamps in its status, so every actor's phases are measured on one clock: the status.
 * <p>
 * {@code sriovlm_migrations_in_flight{node,role}} counts the migrations not yet in a terminal phase by the node they
 * move a VM from ({@code role=source}) or to ({@code role=target}), as far as status (or spec) names the node: a
 * migration still Pending without a known source is counted nowhere. Fed by {@link #observe} on every reconcile, so
 * a restarted operator rebuilds it from its informer's initial list.
 */
public final class MigrationMetrics {
    public static final String IN_FLIGHT = "sriovlm_migrations_in_flight";

    private final MeterRegistry registry;
    /** Migration uid -> its (node, role) pairs while it is in flight. */
    private final Map<String, List<NodeRole>> inFlight = new ConcurrentHashMap<>();
    /** The (node, role) pairs whose gauge is registered; registering twice makes Micrometer warn. */
    private final java.util.Set<NodeRole> gauges = ConcurrentHashMap.newKeySet();

    private record NodeRole(String node, String role) {
    }

    public MigrationMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    public void recordFinished(SriovMigration migration) {
        SriovMigrationStatus status = migration.getStatus();
        Counter.builder("sriovlm_migrations_total")
                .description("Finished migrations by result (terminal phase)")
                .tag("result", status.phase.name())
                .register(registry).increment();
        List<PhaseTimestamp> stamps = status.phaseTimestamps;
        for (int i = 0; i + 1 < stamps.size(); i++) {
            Instant from = Timestamps.parse(stamps.get(i).at);
            Instant to = Timestamps.parse(stamps.get(i + 1).at);
            if (from != null && to != null && stamps.get(i).phase != null) {
                phaseTimer(stamps.get(i).phase).record(Duration.between(from, to));
            }
        }
        if (status.standbyWindowMs != null) {
            DistributionSummary.builder("sriovlm_standby_window_seconds")
                    .description("Time a VM spent on its standby path during a migration")
                    .baseUnit("seconds")
                    .publishPercentileHistogram()
                    .register(registry).record(status.standbyWindowMs / 1000.0);
        }
        if (status.bondSwitchLagMs != null) {
            DistributionSummary.builder("sriovlm_bond_switch_lag_seconds")
                    .description("Lag between a guest path change and the host bond following it")
                    .baseUnit("seconds")
                    .register(registry).record(status.bondSwitchLagMs / 1000.0);
        }
    }

    /**
     * Counts a finished migration the operator deleted by its history retention ({@code cause}: Expired or
     * Superseded). sriovlm_migrations_total keeps counting it: it was counted when it finished.
     */
    public void recordDeleted(String cause) {
        Counter.builder("sriovlm_migrations_deleted_total")
                .description("Finished migrations deleted by history retention, by cause")
                .tag("cause", cause)
                .register(registry).increment();
    }

    /** Counts {@code m} as in flight on its nodes, or stops counting it once it reached a terminal phase. */
    public void observe(SriovMigration m) {
        String key = key(m);
        SriovMigrationStatus status = m.getStatus();
        if (status == null || status.phase == null || status.phase.isTerminal()) {
            inFlight.remove(key);
            return;
        }
        String source = status.sourceNode != null ? status.sourceNode : m.getSpec() == null ? null : m.getSpec().sourceNode;
        String target = status.targetNode;
        List<NodeRole> pairs = new java.util.ArrayList<>(2);
        if (source != null && !source.isEmpty()) {
            pairs.add(new NodeRole(source, "source"));
        }
        if (target != null && !target.isEmpty()) {
            pairs.add(new NodeRole(target, "target"));
        }
        pairs.stream().filter(gauges::add).forEach(this::gauge);
        inFlight.put(key, List.copyOf(pairs));
    }

    /** The migration is gone (deleted): no longer in flight anywhere. */
    public void forget(SriovMigration m) {
        inFlight.remove(key(m));
    }

    /** What the in-flight gauge of {@code node} and {@code role} reads now. */
    public long inFlight(String node, String role) {
        NodeRole wanted = new NodeRole(node, role);
        return inFlight.values().stream().filter(pairs -> pairs.contains(wanted)).count();
    }

    private void gauge(NodeRole pair) {
        // The gauge reads the map, so it drops to 0 when the node is idle.
        Gauge.builder(IN_FLIGHT, this, self -> self.inFlight(pair.node(), pair.role()))
                .description("Migrations not yet finished, by the node they move a VM from (source) or to (target)")
                .tag("node", pair.node())
                .tag("role", pair.role())
                .register(registry);
    }

    private static String key(SriovMigration m) {
        String uid = m.getMetadata().getUid();
        return uid != null ? uid : m.getMetadata().getNamespace() + "/" + m.getMetadata().getName();
    }

    private Timer phaseTimer(MigrationPhase phase) {
        return Timer.builder("sriovlm_migration_phase_duration_seconds")
                .description("Time spent in each migration phase")
                .tag("phase", phase.name())
                .publishPercentileHistogram()
                .register(registry);
    }
}
