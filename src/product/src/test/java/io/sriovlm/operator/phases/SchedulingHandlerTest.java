package io.sriovlm.operator.phases;

import io.sriovlm.api.v1alpha1.Reasons;
import io.sriovlm.api.v1alpha1.MigrationPhase;
import io.sriovlm.api.v1alpha1.SriovMigration;
import io.sriovlm.api.v1alpha1.VfPool;
import io.sriovlm.operator.OperatorConfig;
import io.sriovlm.api.v1alpha1.VfClaim;
import io.sriovlm.api.v1alpha1.VfClaimSpec;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static io.sriovlm.testing.Objects.NOW;
import static io.sriovlm.testing.Objects.migration;
import static io.sriovlm.testing.Objects.nic;
import static io.sriovlm.testing.Objects.node;
import static io.sriovlm.testing.Objects.pool;
import static io.sriovlm.testing.Objects.teaming;
import static io.sriovlm.testing.Objects.vfPci;
import static io.sriovlm.testing.Objects.claim;
import static org.assertj.core.api.Assertions.assertThat;

class SchedulingHandlerTest {
    private final Map<String, io.sriovlm.api.v1alpha1.HypervisorNic> nics = Map.of(
            "hv1", nic("hv1", Map.of("vm-01", 0)), "hv2", nic("hv2", Map.of()));
    private final Map<String, io.fabric8.kubernetes.api.model.Node> nodes = Map.of("hv1", node("hv1"), "hv2", node("hv2"));
    private final VfPool pool = pool("pool-a");
    private final List<VfClaim> claims = new java.util.ArrayList<>();

    private SriovMigration scheduling() {
        SriovMigration m = migration("m1", "vm-01", MigrationPhase.Scheduling);
        m.getStatus().sourceNode = "hv1";
        m.getStatus().teaming = teaming(0);
        return m;
    }

    private ClusterView view() {
        return io.sriovlm.testing.Objects.view(nics, nodes, List.of(pool), claims, List.of(), OperatorConfig.defaults());
    }

    @Test
    void reservesThePairedVfAndHandsOverToTheTarget() {
        Decision decision = SchedulingHandler.decide(scheduling(), view());
        assertThat(decision.reservation().orElseThrow().vfPciAddress()).isEqualTo(vfPci(0));
        var status = decision.outcome().transition().orElseThrow().applyTo(scheduling(), NOW).getStatus();
        assertThat(status.phase).isEqualTo(MigrationPhase.Preparing);
        assertThat(status.targetNode).isEqualTo("hv2");
        assertThat(status.targetVf).isEqualTo(vfPci(0));
        assertThat(status.targetMigrationUri).isEqualTo("qemu+tls://hv2/system");
        assertThat(status.phaseDeadline).isNotNull();
    }

    @Test
    void anOperatorThatHasNotSeenTheSourceNodeYetLooksAgainInsteadOfFailing() {
        // Just restarted: its HypervisorNic cache is still empty. Not seeing the VM is no evidence it is gone.
        ClusterView unsynced = io.sriovlm.testing.Objects.view(Map.of(), nodes, List.of(pool), claims, List.of(), OperatorConfig.defaults());
        Decision decision = SchedulingHandler.decide(scheduling(), unsynced);
        assertThat(decision.outcome().transition()).isEmpty();
        assertThat(decision.outcome().recheckAfter()).isPresent();
        // With the source node's report in view and no VM in it, the VM is gone: VmNotFound, as before.
        ClusterView withoutVm = io.sriovlm.testing.Objects.view(Map.of("hv1", nic("hv1", Map.of()), "hv2", nics.get("hv2")), nodes,
                List.of(pool), claims, List.of(), OperatorConfig.defaults());
        var status = SchedulingHandler.decide(scheduling(), withoutVm).outcome().transition().orElseThrow().applyTo(scheduling(), NOW).getStatus();
        assertThat(status.failureReason).isEqualTo(io.sriovlm.api.v1alpha1.Reasons.VM_NOT_FOUND);
    }

    @Test
    void aRerunAfterACrashBetweenReservationAndStatusWriteReusesTheReservation() {
        SriovMigration m = scheduling();
        claims.add(claim("hv2", 0, "vm-01", m.getMetadata().getUid(), VfClaimSpec.State.Reserved));
        Decision rerun = SchedulingHandler.decide(m, view());
        assertThat(rerun.reservation()).as("no second reservation").isEmpty();
        var status = rerun.outcome().transition().orElseThrow().applyTo(m, NOW).getStatus();
        assertThat(status.targetNode).isEqualTo("hv2");
        assertThat(status.targetVf).isEqualTo(vfPci(0));
    }
}
