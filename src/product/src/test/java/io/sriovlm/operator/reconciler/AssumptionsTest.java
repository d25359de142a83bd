package io.sriovlm.operator.reconciler;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.sriovlm.api.v1alpha1.MigrationPhase;
import io.sriovlm.api.v1alpha1.SriovMigration;
import io.sriovlm.api.v1alpha1.SriovMigrationStatus;
import io.sriovlm.api.v1alpha1.VfClaim;
import io.sriovlm.api.v1alpha1.VfClaimSpec;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** Unit tier: an admission decided but not written yet is in every view until its writes are done. */
class AssumptionsTest {
    private final Assumptions assumptions = new Assumptions();

    @Test
    void anAssumedAdmissionShowsItsPhaseAndItsClaimUntilDropped() {
        SriovMigration cached = migration("uid-1", MigrationPhase.Pending);
        Assumptions.Assumed assumed = assumptions.assume(migration("uid-1", MigrationPhase.Preparing),
                Optional.of(claim("hv2", "0000:06:00.1", "uid-1")));

        assertThat(assumptions.migrations(Stream.of(cached, migration("uid-2", MigrationPhase.Pending))))
                .extracting(m -> m.getStatus().phase)
                .containsExactly(MigrationPhase.Preparing, MigrationPhase.Pending);
        assertThat(assumptions.claims(List.of())).extracting(c -> c.getSpec().migrationUid).containsExactly("uid-1");

        assumptions.drop(assumed);
        assertThat(assumptions.migrations(Stream.of(cached))).containsExactly(cached);
        assertThat(assumptions.claims(List.of())).isEmpty();
    }

    @Test
    void aClaimInViewForTheSameVfWinsOverTheAssumedOne() {
        assumptions.assume(migration("uid-1", MigrationPhase.Preparing), Optional.of(claim("hv2", "0000:06:00.1", "uid-1")));
        VfClaim othersHold = claim("hv2", "0000:06:00.1", "uid-9");

        assertThat(assumptions.claims(List.of(othersHold))).containsExactly(othersHold);
    }

    @Test
    void droppingAnEarlierDecisionKeepsTheLaterOneOfTheSameMigration() {
        // An admission written alone is decided again at once, while its own assumption is still held.
        Assumptions.Assumed first = assumptions.assume(migration("uid-1", MigrationPhase.Scheduling), Optional.empty());
        Assumptions.Assumed second = assumptions.assume(migration("uid-1", MigrationPhase.Preparing),
                Optional.of(claim("hv2", "0000:06:00.1", "uid-1")));

        assumptions.drop(first);
        assertThat(assumptions.migrations(Stream.of(migration("uid-1", MigrationPhase.Scheduling))))
                .extracting(m -> m.getStatus().phase).containsExactly(MigrationPhase.Preparing);
        assumptions.drop(second);
        assertThat(assumptions.claims(List.of())).isEmpty();
    }

    private static SriovMigration migration(String uid, MigrationPhase phase) {
        SriovMigration m = new SriovMigration();
        m.setMetadata(new ObjectMetaBuilder().withName("m-" + uid).withNamespace("default").withUid(uid).build());
        m.setStatus(new SriovMigrationStatus());
        m.getStatus().phase = phase;
        return m;
    }

    private static VfClaim claim(String node, String pci, String migrationUid) {
        VfClaimSpec spec = new VfClaimSpec();
        spec.node = node;
        spec.pciAddress = pci;
        spec.pool = "pool-a";
        spec.vm = "vm-of-" + migrationUid;
        spec.migration = "default/m-" + migrationUid;
        spec.migrationUid = migrationUid;
        spec.state = VfClaimSpec.State.Reserved;
        return VfClaim.of(spec);
    }
}
