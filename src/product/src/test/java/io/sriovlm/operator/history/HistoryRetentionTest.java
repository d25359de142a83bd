package io.sriovlm.operator.history;

import io.sriovlm.api.v1alpha1.Labels;
import io.sriovlm.api.v1alpha1.MigrationPhase;
import io.sriovlm.api.v1alpha1.PhaseTimestamp;
import io.sriovlm.api.v1alpha1.SriovMigration;
import io.sriovlm.common.Timestamps;
import io.sriovlm.operator.HistoryConfig;
import io.sriovlm.operator.history.HistoryRetention.Plan;
import io.sriovlm.testing.Objects;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** Unit tier: which finished migrations of a VM history retention deletes, and when it looks again. */
class HistoryRetentionTest {
    static final Instant NOW = Objects.NOW;
    static final HistoryConfig KEEP_2 = new HistoryConfig(2, Optional.empty());

    /** A migration of vm-01 that reached {@code phase} {@code agoSeconds} before NOW. */
    static SriovMigration finished(String name, MigrationPhase phase, long agoSeconds) {
        SriovMigration m = Objects.migration(name, "vm-01", phase);
        m.getStatus().phaseTimestamps = new ArrayList<>(List.of(
                new PhaseTimestamp(MigrationPhase.Pending, Timestamps.format(NOW.minusSeconds(agoSeconds + 5))),
                new PhaseTimestamp(phase, Timestamps.format(NOW.minusSeconds(agoSeconds)))));
        return m;
    }

    static List<String> deleted(Plan plan) {
        return plan.deletions().stream().map(d -> d.migration().getMetadata().getName() + ":" + d.cause()).toList();
    }

    @Test
    void keepsTheNewestFinishedPerVmAndDeletesTheOlderOnes() {
        List<SriovMigration> history = List.of(finished("m1", MigrationPhase.Succeeded, 400),
                finished("m4", MigrationPhase.Succeeded, 100), finished("m2", MigrationPhase.Failed, 300),
                finished("m3", MigrationPhase.Cancelled, 200));
        Plan plan = HistoryRetention.plan(history, m -> false, KEEP_2, NOW);
        assertThat(deleted(plan)).containsExactlyInAnyOrder("m2:Superseded", "m1:Superseded");
        assertThat(plan.lookAgainIn()).as("nothing kept can expire").isEmpty();
    }

    @Test
    void unfinishedAndAlreadyDeletingMigrationsAreNeitherDeletedNorCounted() {
        SriovMigration running = Objects.migration("running", "vm-01", MigrationPhase.Migrating);
        SriovMigration deleting = finished("deleting", MigrationPhase.Succeeded, 10);
        deleting.getMetadata().setDeletionTimestamp(Timestamps.format(NOW));
        List<SriovMigration> history = List.of(running, deleting, finished("m1", MigrationPhase.Succeeded, 300),
                finished("m2", MigrationPhase.Succeeded, 200), finished("m3", MigrationPhase.Succeeded, 100));
        assertThat(deleted(HistoryRetention.plan(history, m -> false, KEEP_2, NOW))).containsExactly("m1:Superseded");
    }

    @Test
    void aNegativeLimitKeepsEveryOneAndZeroKeepsNone() {
        List<SriovMigration> history = List.of(finished("m1", MigrationPhase.Succeeded, 300),
                finished("m2", MigrationPhase.Succeeded, 200));
        assertThat(HistoryRetention.plan(history, m -> false, HistoryConfig.KEEP_ALL, NOW).deletions()).isEmpty();
        assertThat(deleted(HistoryRetention.plan(history, m -> false, new HistoryConfig(0, Optional.empty()), NOW)))
                .containsExactlyInAnyOrder("m1:Superseded", "m2:Superseded");
    }

    @Test
    void theMigrationsOwnTtlWinsOverTheDefaultAndAKeptOneIsLookedAtWhenItExpires() {
        SriovMigration expired = finished("expired", MigrationPhase.Succeeded, 120);
        expired.getSpec().ttlSecondsAfterFinished = 60;
        SriovMigration young = finished("young", MigrationPhase.Succeeded, 30);
        young.getSpec().ttlSecondsAfterFinished = 90;
        SriovMigration byDefault = finished("by-default", MigrationPhase.Failed, 100);
        HistoryConfig config = new HistoryConfig(5, Optional.of(Duration.ofSeconds(600)));

        Plan plan = HistoryRetention.plan(List.of(expired, young, byDefault), m -> false, config, NOW);

        assertThat(deleted(plan)).containsExactly("expired:Expired");
        assertThat(plan.lookAgainIn()).as("young expires in 60 s, by-default in 500 s").contains(Duration.ofSeconds(60));
    }

    @Test
    void aTtlOfZeroDeletesAsSoonAsTheMigrationFinished() {
        SriovMigration m = finished("now", MigrationPhase.Succeeded, 0);
        m.getSpec().ttlSecondsAfterFinished = 0;
        assertThat(deleted(HistoryRetention.plan(List.of(m), x -> false, KEEP_2, NOW))).containsExactly("now:Expired");
    }

    @Test
    void anEvacuationUnderWayKeepsItsMigrationsAndIsLookedAtAgain() {
        SriovMigration evacuation = finished("evac-hv1-vm-01", MigrationPhase.Succeeded, 500);
        evacuation.getMetadata().setLabels(Map.of(Labels.EVACUATION, "hv1"));
        evacuation.getSpec().ttlSecondsAfterFinished = 0;
        List<SriovMigration> history = List.of(evacuation, finished("m2", MigrationPhase.Succeeded, 200),
                finished("m3", MigrationPhase.Succeeded, 100), finished("m4", MigrationPhase.Succeeded, 50));

        Plan held = HistoryRetention.plan(history, m -> m == evacuation, KEEP_2, NOW);
        assertThat(deleted(held)).containsExactly("m2:Superseded");
        assertThat(held.lookAgainIn()).contains(HistoryRetention.HELD_RECHECK);

        Plan done = HistoryRetention.plan(history, m -> false, KEEP_2, NOW);
        assertThat(deleted(done)).containsExactlyInAnyOrder("evac-hv1-vm-01:Expired", "m2:Superseded");
    }

    @Test
    void aMigrationWithoutPhaseTimestampsCountsFromItsCreation() {
        SriovMigration m = Objects.migration("old", "vm-01", MigrationPhase.Failed);
        m.getStatus().phaseTimestamps = new ArrayList<>();
        m.getSpec().ttlSecondsAfterFinished = 30;
        assertThat(HistoryRetention.finishedAt(m)).isEqualTo(NOW.minusSeconds(60));
        assertThat(deleted(HistoryRetention.plan(List.of(m), x -> false, KEEP_2, NOW))).containsExactly("old:Expired");
    }
}
