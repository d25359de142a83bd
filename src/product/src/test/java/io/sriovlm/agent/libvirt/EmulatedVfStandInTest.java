package io.sriovlm.agent.libvirt;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The real-hypervisor tier's VF stand-in: its XML, and that inspect sees it as the primary only when injected. */
class EmulatedVfStandInTest {

    private static final String MAC = "52:54:00:5a:00:10";
    private static final EmulatedVfStandIn STAND_IN = new EmulatedVfStandIn("rbr0");

    private static String domain(String extraInterface) {
        return "<domain type='qemu'><name>teamvm</name><devices>"
                + "<interface type='bridge'><source bridge='rbr0'/><mac address='" + MAC + "'/><model type='virtio'/>"
                + "<teaming type='persistent'/><alias name='ua-net0'/></interface>"
                + extraInterface + "</devices></domain>";
    }

    @Test
    void aliasEncodesTheVfBothWays() {
        assertThat(EmulatedVfStandIn.aliasFor("0000:06:00.1")).isEqualTo("ua-vf-0000-06-00-1");
        assertThat(EmulatedVfStandIn.vfOf("ua-vf-0000-06-00-1")).contains("0000:06:00.1");
        assertThat(EmulatedVfStandIn.vfOf("ua-net0")).isEmpty();
        assertThat(EmulatedVfStandIn.vfOf(null)).isEmpty();
    }

    @Test
    void deviceXmlIsAnE1000eOnTheBridgeWithTheVmsMacAndNoTeamingElement() {
        String xml = STAND_IN.deviceXml(MAC, "0000:06:00.2", "ua-net0", "ua-ignored");

        assertThat(xml).contains("type=\"bridge\"").contains("bridge=\"rbr0\"").contains("type=\"e1000e\"")
                .contains(MAC).contains("ua-vf-0000-06-00-2").doesNotContain("teaming").doesNotContain("ua-ignored");
    }

    @Test
    void inspectWithTheStandInSeesItAsTheAttachedPrimaryWithItsVfAddress() {
        String xml = domain(STAND_IN.deviceXml(MAC, "0000:06:00.2", "ua-net0", null));

        TeamingReport r = TeamingXml.inspect(xml, STAND_IN);

        assertThat(r.problems()).isEmpty();
        assertThat(r.primaryAttached()).isTrue();
        assertThat(r.primaryAlias()).isEqualTo("ua-vf-0000-06-00-2");
        assertThat(r.primaryPciAddress()).isEqualTo("0000:06:00.2");
        assertThat(r.standbyDevice()).isEqualTo("rbr0");
    }

    @Test
    void productionInspectIgnoresTheStandIn() {
        String xml = domain(STAND_IN.deviceXml(MAC, "0000:06:00.2", "ua-net0", null));

        TeamingReport r = TeamingXml.inspect(xml);

        assertThat(r.valid()).isTrue();
        assertThat(r.primaryAttached()).isFalse();
        assertThat(TeamingXml.inspect(xml, PrimaryDevice.VF_HOSTDEV)).isEqualTo(r);
    }

    @Test
    void aStandInWithAnotherMacIsAProblem() {
        String xml = domain(STAND_IN.deviceXml("52:54:00:5a:00:99", "0000:06:00.2", "ua-net0", null));

        TeamingReport r = TeamingXml.inspect(xml, STAND_IN);

        assertThat(r.valid()).isFalse();
        assertThat(r.problems()).anySatisfy(p -> assertThat(p).contains("MAC mismatch"));
    }

    @Test
    void anOrdinaryE1000eIsNotAStandIn() {
        String xml = domain("<interface type='bridge'><source bridge='rbr0'/><mac address='52:54:00:00:00:01'/>"
                + "<model type='e1000e'/><alias name='ua-mgmt'/></interface>");

        assertThat(TeamingXml.inspect(xml, STAND_IN).primaryAttached()).isFalse();
        assertThat(TeamingXml.inspect(xml, STAND_IN).valid()).isTrue();
    }
}
