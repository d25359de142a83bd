package io.sriovlm.sandbox;

import io.sriovlm.api.v1alpha1.VfClaimSpec;
import io.sriovlm.operator.placement.VfLedger;
import io.fabric8.kubernetes.api.model.Condition;
import io.sriovlm.api.v1alpha1.MigrationPhase;
import io.sriovlm.api.v1alpha1.SriovMigration;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.TestMethodOrder;

import java.time.Duration;
import java.util.Optional;

import static io.sriovlm.sandbox.SandboxFixture.awaitPhase;
import static io.sriovlm.sandbox.SandboxFixture.awaitTerminal;
import static io.sriovlm.sandbox.SandboxFixture.create;
import static io.sriovlm.sandbox.SandboxFixture.pool;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Sandbox tier: a VF lease is released when its VM is destroyed before the source is touched, and when its node is
 * removed. The target agent of hv2 is stopped so that a migration waits in Preparing holding its reservation.
 */
@Tag("sandbox")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LeaseReleaseSandboxTest {
    @RegisterExtension
    static final SandboxExtension world = SandboxExtension.perClass(Duration.ofMillis(100));

    private static Optional<VfClaimSpec> reservationOf(String uid) {
        return Ledgers.reservationOf(world.client(), uid);
    }

    /** Waits in Preparing on hv2 (whose agent is stopped) with its VF reserved there. */
    private static SriovMigration waitingInPreparing(String name, String vm) {
        world.sandbox().stopAgent("hv2");
        SriovMigration m = create(world.client(), name, vm, "hv2");
        awaitPhase(world.client(), name, p -> p == MigrationPhase.Preparing, Duration.ofSeconds(15));
        String uid = m.getMetadata().getUid();
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
                .until(() -> reservationOf(uid).isPresent());
        return m;
    }

    @Test
    @Order(1)
    void aMigrationWaitingInPreparingWhoseVmIsDestroyedLosesItsVfAndFailsVmNotFound() throws Exception {
        try {
            SriovMigration m = waitingInPreparing("lease-vm-02", "vm-02");
            String reserved = reservationOf(m.getMetadata().getUid()).orElseThrow().pciAddress;

            world.sandbox().host("hv1").destroy("vm-02");

            // The claim goes as soon as hv1's agent stops reporting vm-02 ...
            await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(50)).until(() ->
                    reservationOf(m.getMetadata().getUid()).isEmpty() && Ledgers.find(world.client(), "hv2", reserved)
                            .map(v -> v.state() == VfLedger.State.Free).orElse(false));
            // ... and the migration ends, saying why, well before its Preparing deadline.
            SriovMigration done = awaitTerminal(world.client(), "lease-vm-02", Duration.ofSeconds(15));
            assertThat(done.getStatus().phase).as(done.getStatus().message).isEqualTo(MigrationPhase.Failed);
            assertThat(done.getStatus().failureReason).isEqualTo("VmNotFound");
            assertThat(done.getStatus().message).contains("vm-02");
            assertThat(done.getStatus().conditions).extracting(Condition::getReason).contains("VmNotFound");
        } finally {
            world.sandbox().resumeAgent("hv2");
        }
    }

    @Test
    @Order(2)
    void aRemovedNodeDropsItsVfsAndTheReservationsOnIt() {
        SriovMigration m = waitingInPreparing("lease-vm-01", "vm-01");
        assertThat(pool(world.client()).nodeCount).isEqualTo(2);

        assertThat(world.client().nodes().withName("hv2").delete()).isNotEmpty();

        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(50)).until(() ->
                reservationOf(m.getMetadata().getUid()).isEmpty() && pool(world.client()).nodeCount == 1);
        var status = pool(world.client());
        assertThat(Ledgers.claims(world.client())).isEmpty();
        assertThat(status.totalVfs).isEqualTo(Sandbox.VFS_PER_NODE);
        assertThat(status.reservedVfs).isZero();
        assertThat(Ledgers.find(world.client(), "hv2", "0000:06:00.1")).isEmpty();
    }
}
