package io.sriovlm.agent.reconciler;

import io.sriovlm.api.v1alpha1.GuestFailover;
import io.sriovlm.api.v1alpha1.VmInventoryStatus;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class HypervisorNicReporterTest {

    @Test
    void aMigrationStepsReportKeepsWhatOnlyTheHeartbeatReadsAndTakesTheRestAsObserved() {
        VmInventoryStatus last = new VmInventoryStatus();
        last.vms.add(vm("vm-01", GuestFailover.Negotiated));
        last.vfs.add(vf("0000:06:00.1", "pf0vf0", "vm-01"));
        last.bonds.add(bond("bond0", "pf0vf0"));
        last.bonds.add(bond("ovsbond1", "pf0vf1"));

        // The step's own observation: no QEMU query, no provisioner, kernel bonds only; vm-01 left, vm-02 arrived.
        VmInventoryStatus observed = new VmInventoryStatus();
        observed.vms.add(vm("vm-02", null));
        observed.vfs.add(vf("0000:06:00.1", "ens2_0", null));
        observed.vfs.add(vf("0000:06:00.2", "ens2_1", "vm-02"));
        observed.bonds.add(bond("bond0", "en6s0f0pf0sf0"));

        HypervisorNicReporter.keepWhatOnlyTheHeartbeatReads(last, observed);

        assertThat(observed.vms).singleElement().satisfies(v -> {
            assertThat(v.name).isEqualTo("vm-02");
            assertThat(v.guestFailover).as("not asked yet for a VM the last heartbeat did not see").isNull();
        });
        assertThat(observed.vfs).extracting(v -> v.representor).containsExactly("pf0vf0", "ens2_1");
        assertThat(observed.vfs).extracting(v -> v.attachedTo).containsExactly(null, "vm-02");
        assertThat(observed.bonds).extracting(b -> b.name + "=" + b.activeSlave)
                .containsExactlyInAnyOrder("bond0=en6s0f0pf0sf0", "ovsbond1=pf0vf1");

        VmInventoryStatus again = new VmInventoryStatus();
        again.vms.add(vm("vm-02", null));
        HypervisorNicReporter.keepWhatOnlyTheHeartbeatReads(last, again);
        last.vms.get(0).name = "vm-02";
        HypervisorNicReporter.keepWhatOnlyTheHeartbeatReads(last, again);
        assertThat(again.vms.get(0).guestFailover).isEqualTo(GuestFailover.Negotiated);
    }

    private static VmInventoryStatus.VmStatus vm(String name, GuestFailover failover) {
        VmInventoryStatus.VmStatus vm = new VmInventoryStatus.VmStatus();
        vm.name = name;
        vm.guestFailover = failover;
        return vm;
    }

    private static VmInventoryStatus.VfStatus vf(String pci, String representor, String attachedTo) {
        VmInventoryStatus.VfStatus vf = new VmInventoryStatus.VfStatus();
        vf.pciAddress = pci;
        vf.representor = representor;
        vf.attachedTo = attachedTo;
        return vf;
    }

    private static VmInventoryStatus.BondPath bond(String name, String active) {
        VmInventoryStatus.BondPath bond = new VmInventoryStatus.BondPath();
        bond.name = name;
        bond.activeSlave = active;
        return bond;
    }
}
