package io.sriovlm.agent.libvirt;

import io.sriovlm.api.v1alpha1.HypervisorNicStatus.GuestCpu;
import io.sriovlm.api.v1alpha1.HypervisorNicStatus.HostCpu;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Unit: the CPU facts read from a domain's XML and from a libvirt's domain capabilities. */
class CpuXmlTest {

    /** Shaped as libvirt 9.0 answers virConnectGetDomainCapabilities under TCG (shortened). */
    static final String DOMCAPS = """
            <domainCapabilities>
              <path>/usr/bin/qemu-system-x86_64</path>
              <domain>qemu</domain>
              <machine>pc-i440fx-7.2</machine>
              <arch>x86_64</arch>
              <cpu>
                <mode name='host-passthrough' supported='no'/>
                <mode name='maximum' supported='yes'/>
                <mode name='host-model' supported='yes'>
                  <model fallback='forbid'>qemu64</model>
                  <feature policy='require' name='x2apic'/>
                  <feature policy='disable' name='svm'/>
                </mode>
                <mode name='custom' supported='yes'>
                  <model usable='yes' vendor='unknown'>qemu64</model>
                  <model usable='yes' vendor='Intel'>Nehalem</model>
                  <model usable='no' vendor='Intel'>Skylake-Server</model>
                </mode>
              </cpu>
            </domainCapabilities>
            """;

    @Test
    void theHostsUsableModelsAndDisabledFeatures() {
        HostCpu host = CpuXml.host(DOMCAPS);
        assertThat(host.virtType).isEqualTo("qemu");
        assertThat(host.arch).isEqualTo("x86_64");
        assertThat(host.hostModel).isEqualTo("qemu64");
        assertThat(host.usableModels).containsExactly("qemu64", "Nehalem");
        assertThat(host.disabledFeatures).containsExactly("svm");
        assertThat(CpuXml.host("<not xml")).isNull();
    }

    @Test
    void theDomainsModelAndRequiredFeatures() {
        GuestCpu cpu = CpuXml.guest("<domain type='kvm'><name>vm</name><cpu mode='custom' match='exact'>"
                + "<model fallback='forbid'>Skylake-Server</model><feature policy='require' name='avx512f'/>"
                + "<feature policy='disable' name='hle'/><feature name='pcid'/></cpu></domain>");
        assertThat(cpu.virtType).isEqualTo("kvm");
        assertThat(cpu.mode).isEqualTo("custom");
        assertThat(cpu.model).isEqualTo("Skylake-Server");
        assertThat(cpu.requiredFeatures).as("require, and require by default").containsExactly("avx512f", "pcid");
        assertThat(CpuXml.guest("<domain type='kvm'><name>vm</name></domain>")).isNull();
        GuestCpu passthrough = CpuXml.guest("<domain><cpu mode='host-passthrough'/></domain>");
        assertThat(passthrough.mode).isEqualTo("host-passthrough");
        assertThat(passthrough.model).isNull();
    }
}
