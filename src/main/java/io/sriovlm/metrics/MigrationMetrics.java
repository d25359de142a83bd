package io.sriovlm.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
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

/**
 * The operator's Prometheus meters. Recorded once per migration when the operator sees it finish, from the
 * phase timestamps in its status, so every actor's phases are measured on one clock: the status.
 */
public final class MigrationMetrics {
    private final MeterRegistry registry;

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

    private Timer phaseTimer(MigrationPhase phase) {
        return Timer.builder("sriovlm_migration_phase_duration_seconds")
                .description("Time spent in each migration phase")
                .tag("phase", phase.name())
                .publishPercentileHistogram()
                .register(registry);
    }
}
