package io.sriovlm.operator.phases;

import io.sriovlm.testing.Objects;
import io.sriovlm.api.v1alpha1.HypervisorNic;
import io.sriovlm.api.v1alpha1.VmInventoryStatus.VfStatus;
import io.sriovlm.api.v1alpha1.VmInventoryStatus.VmStatus;
import io.sriovlm.api.v1alpha1.MigrationMethod;
import io.sriovlm.api.v1alpha1.Reasons;
import io.sriovlm.api.v1alpha1.SriovMigrationSpec;
import io.sriovlm.api.v1alpha1.VfPool;
import io.sriovlm.operator.phases.MethodChoice.Chosen;
import io.sriovlm.operator.phases.MethodChoice.Refused;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import static io.sriovlm.testing.Objects.nic;
import static io.sriovlm.testing.Objects.node;
import static io.sriovlm.testing.Objects.pool;
import static io.sriovlm.testing.Objects.vfPci;
import static org.assertj.core.api.Assertions.assertThat;

/** Unit: which method is asked for, and which one the VM's form allows. */
class MethodChoiceTest {

    static VmStatus vm(boolean teamed) {
        VmStatus v = new VmStatus();
        v.name = "vm-05";
        v.teamingValid = teamed;
        return v;
    }

    static VfStatus plainVf() {
        VfStatus vf = new VfStatus();
        vf.pciAddress = vfPci(3);
        vf.attachedTo = "vm-05";
        vf.attachedOutsideTeaming = true;
        return vf;
    }

    @Test
    void theSpecWinsThenTheNamedPoolThenTheSourcesPoolsWhenTheyAgreeThenFailover() {
        SriovMigrationSpec spec = new SriovMigrationSpec();
        VfPool a = pool("pool-a");
        a.getSpec().defaultMethod = MigrationMethod.Auto;
        VfPool b = pool("pool-b");
        b.getSpec().nodeSelector = Map.of("rack", "r2"); // does not cover hv1
        b.getSpec().defaultMethod = MigrationMethod.VfState;
        List<VfPool> pools = List.of(a, b);

        assertThat(MethodChoice.requested(spec, pools, node("hv1"))).as("the one pool of hv1").isEqualTo(MigrationMethod.Auto);
        spec.vfPool = "pool-b";
        assertThat(MethodChoice.requested(spec, pools, node("hv1"))).isEqualTo(MigrationMethod.VfState);
        spec.method = MigrationMethod.Failover;
        assertThat(MethodChoice.requested(spec, pools, node("hv1"))).isEqualTo(MigrationMethod.Failover);

        SriovMigrationSpec unset = new SriovMigrationSpec();
        b.getSpec().nodeSelector = Map.of();
        assertThat(MethodChoice.requested(unset, pools, node("hv1"))).as("two pools disagree").isEqualTo(MigrationMethod.Failover);
        assertThat(MethodChoice.requested(unset, List.of(pool("plain")), node("hv1"))).isEqualTo(MigrationMethod.Failover);
    }

    @Test
    void autoTakesVfStateForAPlainVfAndFailoverForATeamedVm() {
        Chosen plain = (Chosen) MethodChoice.of(MigrationMethod.Auto, "vm-05", "hv1", vm(false), Optional.of(plainVf()));
        assertThat(plain.method()).isEqualTo(MigrationMethod.VfState);
        assertThat(plain.reason()).isEqualTo(Reasons.VF_STATE_QUALIFIED);
        assertThat(plain.sourceVf().pciAddress).isEqualTo(vfPci(3));

        Chosen teamed = (Chosen) MethodChoice.of(MigrationMethod.Auto, "vm-05", "hv1", vm(true), Optional.empty());
        assertThat(teamed.method()).isEqualTo(MigrationMethod.Failover);
        assertThat(teamed.reason()).isEqualTo(Reasons.FAILOVER_CHOSEN);
        assertThat(teamed.message()).contains("QEMU unplugs a teamed VF whenever a migration starts");

        Chosen neither = (Chosen) MethodChoice.of(MigrationMethod.Auto, "vm-05", "hv1", vm(false), Optional.empty());
        assertThat(neither.method()).as("Failover, whose teaming check then says what is wrong")
                .isEqualTo(MigrationMethod.Failover);
    }

    @Test
    void vfStateIsRefusedForATeamedVmAndForOneWithoutAVf() {
        assertThat(((Refused) MethodChoice.of(MigrationMethod.VfState, "vm-05", "hv1", vm(true), Optional.empty()))
                .message()).contains("its VF is teamed").contains("use method Failover or Auto");
        assertThat(((Refused) MethodChoice.of(MigrationMethod.VfState, "vm-05", "hv1", vm(false), Optional.empty()))
                .message()).contains("no VF is passed through to it on hv1");
        assertThat(((Chosen) MethodChoice.of(MigrationMethod.VfState, "vm-05", "hv1", vm(false),
                Optional.of(plainVf()))).method()).isEqualTo(MigrationMethod.VfState);
        assertThat(((Chosen) MethodChoice.of(MigrationMethod.Failover, "vm-05", "hv1", vm(false),
                Optional.of(plainVf()))).method()).as("asked for: kept").isEqualTo(MigrationMethod.Failover);
    }

    @Test
    void theVfOutsideTeamingIsTheOneTheSourceReportsAttachedThatWay() {
        HypervisorNic hv1 = nic("hv1", Map.of("vm-01", 0));
        assertThat(MethodChoice.vfOutsideTeaming(Objects.running(hv1), "vm-05")).isEmpty();
        Objects.running(hv1).getStatus().vfs.get(3).attachedTo = "vm-05";
        assertThat(MethodChoice.vfOutsideTeaming(Objects.running(hv1), "vm-05")).as("teamed primaries do not count").isEmpty();
        Objects.running(hv1).getStatus().vfs.get(3).attachedOutsideTeaming = true;
        assertThat(MethodChoice.vfOutsideTeaming(Objects.running(hv1), "vm-05")).map(v -> v.pciAddress).hasValue(vfPci(3));
        assertThat(MethodChoice.vfOutsideTeaming(null, "vm-05")).isEmpty();
    }
}
