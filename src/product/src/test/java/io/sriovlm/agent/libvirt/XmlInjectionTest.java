package io.sriovlm.agent.libvirt;

import io.sriovlm.testing.HostileNames;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Unit tier: every value the agent puts into a device XML is checked against its pattern before the DOM sees it, and
 * every value it reads from a domain XML stays data (escaped when written back, compared as a string, never an XPath
 * or a command).
 */
class XmlInjectionTest {
    static final String MAC = "52:54:00:53:53:53";
    static final String PCI = "0000:06:00.3";
    static final List<String> HOSTILE = HostileNames.ALL;

    @Test
    void everyBuilderArgumentRefusesShellAndXmlMetacharacters() {
        for (String h : HOSTILE) {
            // "ua--oX" is a harmless user alias (it is markup only, never an argv): the alias cases use a name that
            // is hostile to XML or shells
            String ua = "ua-" + (h.matches("[A-Za-z0-9_-]+") ? h + "'" : h);
            List<Runnable> calls = List.of(
                    () -> TeamingXml.standbyInterface(h, "ua-net0", "meth0", true),
                    () -> TeamingXml.standbyInterface(MAC, ua, "meth0", true),
                    () -> TeamingXml.standbyInterface(MAC, "ua-net0", h, true),
                    () -> TeamingXml.primaryInterface(h, PCI, "ua-net0", null),
                    () -> TeamingXml.primaryInterface(MAC, h, "ua-net0", null),
                    () -> TeamingXml.primaryInterface(MAC, PCI, ua, null),
                    () -> TeamingXml.primaryInterface(MAC, PCI, "ua-net0", ua),
                    () -> TeamingXml.bridgeNic(MAC, h, "e1000e", "ua-x"),
                    () -> TeamingXml.bridgeNic(MAC, "br0", h, "ua-x"),
                    () -> TeamingXml.bridgeNic(MAC, "br0", "e1000e", ua),
                    () -> new EmulatedVfStandIn(h),
                    () -> EmulatedVfStandIn.aliasFor(h),
                    () -> TeamingXml.withPrimaryPciAddress(TeamingXmlTest.fixture("teamed-vm01.xml"), h),
                    () -> PrimaryDevice.VF_HOSTDEV.deviceXml(MAC, h, "ua-net0", null));
            for (int i = 0; i < calls.size(); i++) {
                assertThatThrownBy(calls.get(i)::run).as("call %d with %s", i, h)
                        .isInstanceOf(IllegalArgumentException.class);
            }
        }
    }

    @Test
    void valuesReadFromADomainAreEscapedWhenWrittenBackAndNeverInterpreted() {
        String name = "vm 01'\";$(reboot)`id`<x>&amp;";
        String alias = "ua-a' or '1'='1";
        String xml = "<domain type='kvm'><name>vm 01'&quot;;$(reboot)`id`&lt;x&gt;&amp;amp;</name><devices>"
                + "<interface type='direct'><mac address='" + MAC + "'/><source dev='meth0;reboot' mode='passthrough'/>"
                + "<model type='virtio'/><teaming type='persistent'/><alias name=\"ua-a' or '1'='1\"/></interface>"
                + "</devices></domain>";
        Element root = TeamingXml.parse(xml).getDocumentElement();
        assertThat(root.getElementsByTagName("name").item(0).getTextContent()).isEqualTo(name);

        TeamingReport r = TeamingXml.inspect(xml);
        assertThat(r.valid()).isFalse();
        assertThat(r.standbyAlias()).isEqualTo(alias);
        assertThat(r.standbyDevice()).isEqualTo("meth0;reboot");
        assertThat(r.problems()).anySatisfy(p -> assertThat(p).contains("not a user alias"))
                .anySatisfy(p -> assertThat(p).contains("not a valid Linux interface name"));
        assertThat(r.standbyXml()).contains("name=\"ua-a' or '1'='1\"").doesNotContain("<x>");
        // an alias is compared as a string: an XPath-looking alias matches only itself
        assertThat(TeamingXml.hasDeviceAlias(xml, alias)).isTrue();
        assertThat(TeamingXml.hasDeviceAlias(xml, "x' or '1'='1")).isFalse();
        assertThat(TeamingXml.hasDeviceAlias(xml, "*")).isFalse();
        assertThat(TeamingXml.deviceAlias(r.standbyXml())).isEqualTo(alias);
        // withLinkState re-serialises the hostile element: still well-formed, values still escaped
        String relinked = TeamingXml.withLinkState(r.standbyXml(), false);
        assertThat(TeamingXml.deviceAlias(relinked)).isEqualTo(alias);
        assertThat(relinked).contains("dev=\"meth0;reboot\"", "<link state=\"down\"/>");
    }

    @Test
    void externalEntitiesAndDoctypesAreRefusedEverywhereXmlIsParsed() {
        String xxe = "<!DOCTYPE domain [<!ENTITY x SYSTEM 'file:///etc/hostname'>]><domain><name>&x;</name>"
                + "<devices><interface type='direct'><alias name='ua-net0'/></interface></devices></domain>";
        assertThat(TeamingXml.inspect(xxe).problems()).singleElement().asString().contains("DOCTYPE");
        assertThatThrownBy(() -> TeamingXml.hasDeviceAlias(xxe, "ua-net0")).hasMessageContaining("DOCTYPE");
        assertThat(TeamingXml.deviceAlias(xxe)).isNull();
        assertThatThrownBy(() -> TeamingXml.withPrimaryPciAddress(xxe, PCI)).hasMessageContaining("DOCTYPE");
        assertThatThrownBy(() -> TeamingXml.pciAddressOf(xxe)).hasMessageContaining("DOCTYPE");
        String billion = "<!DOCTYPE d [<!ENTITY a 'aaaaaaaaaa'><!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;'>]><d>&b;</d>";
        assertThatThrownBy(() -> TeamingXml.withLinkState(billion, true)).hasMessageContaining("DOCTYPE");
    }
}
