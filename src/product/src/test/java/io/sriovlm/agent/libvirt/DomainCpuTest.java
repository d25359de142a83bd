package io.sriovlm.agent.libvirt;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Unit: what of a domain's XML libvirt needs to compare its CPU, and when there is nothing to compare. */
class DomainCpuTest {
    static final String DOMAIN = "<domain type='kvm'><name>vm</name><os><type arch='x86_64' machine='pc-q35-7.2'>hvm"
            + "</type></os>CPU<devices/></domain>";

    @Test
    void aCustomCpuIsComparedWithTheDomainsVirtTypeArchAndMachine() {
        DomainCpu cpu = DomainCpu.of(DOMAIN.replace("CPU", "<cpu mode='custom' match='exact'><model>Skylake-Server"
                + "</model><feature policy='require' name='avx512f'/></cpu>"));
        assertThat(cpu.notComparable()).isNull();
        assertThat(cpu.virtType()).isEqualTo("kvm");
        assertThat(cpu.arch()).isEqualTo("x86_64");
        assertThat(cpu.machine()).isEqualTo("pc-q35-7.2");
        assertThat(cpu.cpuXml()).startsWith("<cpu").contains("Skylake-Server").contains("avx512f");
    }

    @Test
    void noCpuAndHostPassthroughAreNotComparable() {
        assertThat(DomainCpu.of(DOMAIN.replace("CPU", "")).notComparable()).contains("no <cpu>");
        assertThat(DomainCpu.of(DOMAIN.replace("CPU", "<cpu mode='host-passthrough'/>")).notComparable())
                .contains("host-passthrough").contains("identical CPUs");
        assertThatThrownBy(() -> DomainCpu.of("<network/>")).isInstanceOf(IllegalArgumentException.class);
    }
}
