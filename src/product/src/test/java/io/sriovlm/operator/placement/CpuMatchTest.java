package io.sriovlm.operator.placement;

import io.sriovlm.api.v1alpha1.HypervisorNicStatus.GuestCpu;
import io.sriovlm.api.v1alpha1.HypervisorNicStatus.HostCpu;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Unit: whether a target's libvirt runs a VM's CPU, from the two reports. */
class CpuMatchTest {

    static HostCpu tcg() {
        HostCpu h = new HostCpu();
        h.virtType = "qemu";
        h.hostModel = "qemu64";
        h.usableModels = List.of("qemu64", "qemu32", "Nehalem");
        h.disabledFeatures = List.of("svm");
        return h;
    }

    static GuestCpu cpu(String mode, String model, String... features) {
        GuestCpu c = new GuestCpu();
        c.virtType = "qemu";
        c.mode = mode;
        c.model = model;
        c.requiredFeatures = features.length == 0 ? null : List.of(features);
        return c;
    }

    @Test
    void aModelTheTargetRunsPassesAndOneItCannotIsNamedWithWhatItCanRun() {
        assertThat(CpuMatch.problems(new CpuMatch.Needs("vm-01", cpu("custom", "qemu64")), "hv2", List.of(tcg()))).isEmpty();
        assertThat(CpuMatch.problems(new CpuMatch.Needs("vm-01", cpu("custom", "Skylake-Server")), "hv2", List.of(tcg())))
                .containsExactly("CPU model Skylake-Server of vm-01 is not usable on hv2 (its libvirt, virt type qemu,"
                        + " can run qemu64, qemu32, Nehalem); give the VM a model every target can run, e.g. qemu64"
                        + " (virsh cpu-baseline)");
    }

    @Test
    void aRequiredFeatureTheTargetDisablesIsRefused() {
        assertThat(CpuMatch.problems(new CpuMatch.Needs("vm-01", cpu("custom", "qemu64", "svm", "x2apic")), "hv2",
                List.of(tcg()))).containsExactly("vm-01 requires CPU feature(s) svm, which hv2 cannot give (its host-model"
                        + " disables them)");
    }

    @Test
    void whatNoReportTellsIsNotJudged() {
        assertThat(CpuMatch.problems(new CpuMatch.Needs("vm-01", cpu("host-passthrough", null)), "hv2", List.of(tcg()))).isEmpty();
        assertThat(CpuMatch.problems(new CpuMatch.Needs("vm-01", null), "hv2", List.of(tcg()))).isEmpty();
        assertThat(CpuMatch.problems(new CpuMatch.Needs("vm-01", cpu("custom", "Skylake-Server")), "hv2", null)).isEmpty();
        GuestCpu kvm = cpu("custom", "Skylake-Server");
        kvm.virtType = "kvm";
        assertThat(CpuMatch.problems(new CpuMatch.Needs("vm-01", kvm), "hv2", List.of(tcg())))
                .as("the target answered for qemu only: a kvm guest is not judged against it").isEmpty();
        assertThat(CpuMatch.problems(null, "hv2", List.of(tcg()))).isEmpty();
    }
}
