package io.sriovlm.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.prometheus.PrometheusConfig;
import io.micrometer.prometheus.PrometheusMeterRegistry;
import io.sriovlm.api.v1alpha1.MigrationPhase;
import io.sriovlm.api.v1alpha1.PhaseTimestamp;
import io.sriovlm.api.v1alpha1.SriovMigration;
import io.sriovlm.api.v1alpha1.SriovMigrationSpec;
import io.sriovlm.api.v1alpha1.SriovMigrationStatus;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** The operator's meters as Prometheus scrapes them, and the Grafana dashboard that queries them. */
class MigrationMetricsTest {
    private static final Path DASHBOARD = Path.of("charts", "sriovlm", "dashboards", "sriovlm.json");

    @Test
    void inFlightCountsMigrationsByNodeAndRoleUntilTheyFinish() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        MigrationMetrics metrics = new MigrationMetrics(registry);
        SriovMigration a = migration("a", MigrationPhase.Migrating, "hv1", "hv2");
        SriovMigration b = migration("b", MigrationPhase.Preparing, "hv1", "hv3");
        SriovMigration pending = migration("c", MigrationPhase.Pending, null, null);
        metrics.observe(a);
        metrics.observe(b);
        metrics.observe(pending);
        metrics.observe(a); // a second reconcile of the same migration counts once
        assertThat(gauge(registry, "hv1", "source")).isEqualTo(2.0);
        assertThat(gauge(registry, "hv2", "target")).isEqualTo(1.0);
        assertThat(gauge(registry, "hv3", "target")).isEqualTo(1.0);

        a.getStatus().phase = MigrationPhase.Succeeded;
        metrics.observe(a);
        metrics.forget(b);
        assertThat(gauge(registry, "hv1", "source")).isZero();
        assertThat(gauge(registry, "hv2", "target")).isZero();
        assertThat(gauge(registry, "hv3", "target")).isZero();
    }

    @Test
    void everyMetricTheDashboardQueriesIsOneTheOperatorExports() throws IOException {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        MigrationMetrics metrics = new MigrationMetrics(registry);
        SriovMigration done = migration("done", MigrationPhase.Succeeded, "hv1", "hv2");
        done.getStatus().phaseTimestamps = List.of(
                new PhaseTimestamp(MigrationPhase.Pending, "2026-01-01T00:00:00Z"),
                new PhaseTimestamp(MigrationPhase.Migrating, "2026-01-01T00:00:02Z"),
                new PhaseTimestamp(MigrationPhase.Succeeded, "2026-01-01T00:00:05Z"));
        done.getStatus().standbyWindowMs = 2140L;
        done.getStatus().bondSwitchLagMs = 3L;
        metrics.recordFinished(done);
        metrics.observe(migration("running", MigrationPhase.Migrating, "hv1", "hv2"));

        Set<String> exported = registry.scrape().lines().filter(l -> !l.startsWith("#") && !l.isBlank())
                .map(l -> l.split("[{ ]", 2)[0]).collect(Collectors.toCollection(TreeSet::new));
        Set<String> queried = queriedMetrics();

        assertThat(queried).as("the dashboard queries the project's metrics")
                .contains("sriovlm_migrations_total", "sriovlm_migration_phase_duration_seconds_bucket",
                        "sriovlm_standby_window_seconds_bucket", "sriovlm_bond_switch_lag_seconds_sum",
                        "sriovlm_migrations_in_flight");
        assertThat(exported).as("series the operator exports").containsAll(queried);
    }

    @Test
    void dashboardPanelsAreWellFormed() throws IOException {
        JsonNode d = new ObjectMapper().readTree(DASHBOARD.toFile());
        assertThat(d.path("uid").asText()).isEqualTo("sriovlm-overview");
        List<Integer> ids = new ArrayList<>();
        d.path("panels").forEach(p -> {
            ids.add(p.path("id").asInt());
            assertThat(p.path("targets")).as("panel %s", p.path("title")).isNotEmpty();
            assertThat(p.path("datasource").path("uid").asText()).isEqualTo("${datasource}");
        });
        assertThat(ids).doesNotHaveDuplicates().hasSizeGreaterThanOrEqualTo(8);
    }

    private static Set<String> queriedMetrics() throws IOException {
        JsonNode d = new ObjectMapper().readTree(DASHBOARD.toFile());
        Set<String> names = new TreeSet<>();
        Pattern metric = Pattern.compile("\\bsriovlm_[a-z_]+");
        d.findValues("expr").forEach(e -> {
            Matcher m = metric.matcher(e.asText());
            while (m.find()) {
                names.add(m.group());
            }
        });
        return names;
    }

    private static double gauge(PrometheusMeterRegistry registry, String node, String role) {
        return registry.get(MigrationMetrics.IN_FLIGHT).tag("node", node).tag("role", role).gauge().value();
    }

    private static SriovMigration migration(String name, MigrationPhase phase, String source, String target) {
        SriovMigration m = new SriovMigration();
        m.getMetadata().setName(name);
        m.getMetadata().setNamespace("default");
        m.getMetadata().setUid("uid-" + name);
        m.setSpec(new SriovMigrationSpec());
        m.getSpec().vmName = "vm-" + name;
        m.setStatus(new SriovMigrationStatus());
        m.getStatus().phase = phase;
        m.getStatus().sourceNode = source;
        m.getStatus().targetNode = target;
        return m;
    }
}
