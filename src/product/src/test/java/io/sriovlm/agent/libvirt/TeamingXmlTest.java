package io.sriovlm.agent.libvirt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sriovlm.api.v1alpha1.TeamingSummary;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

class TeamingXmlTest {

    static String fixture(String name) {
        try (InputStream in = TeamingXmlTest.class.getResourceAsStream("/domains/" + name)) {
            if (in == null) {
                throw new IllegalStateException("missing fixture domains/" + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ---------------------------------------------------------------------------------------------------- inspect

    @Test
    void teamedDomainLikeTheRunbooksVm01IsValid() {
        TeamingReport r = TeamingXml.inspect(fixture("teamed-vm01.xml"));

        assertThat(r.problems()).isEmpty();
        assertThat(r.valid()).isTrue();
        assertThat(r.mac()).isEqualTo("52:54:00:53:53:53");
        assertThat(r.standbyAlias()).isEqualTo("ua-net0");
        assertThat(r.standbyDevice()).isEqualTo("enp6s0f0s0");
        assertThat(r.standbyLinkUp()).isTrue();
        assertThat(r.primaryAttached()).isTrue();
        assertThat(r.primaryAlias()).isEqualTo("hostdev0");
        assertThat(r.primaryPciAddress()).isEqualTo("0000:06:00.1");
        assertThat(r.blockingHostdevs()).isEmpty();
        // the serialized live elements are what detachDevice / updateDevice get
        assertThat(r.primaryXml()).startsWith("<interface ").contains("type=\"hostdev\"").contains("persistent=\"ua-net0\"")
                .doesNotContain("<?xml");
        assertThat(r.standbyXml()).startsWith("<interface type=\"direct\"").contains("<teaming type=\"persistent\"/>")
                .doesNotContain("installation");
        assertThat(TeamingXml.pciAddressOf(r.primaryXml())).isEqualTo("0000:06:00.1");

        TeamingSummary s = r.toSummary();
        assertThat(s.mac).isEqualTo("52:54:00:53:53:53");
        assertThat(s.standbyAlias).isEqualTo("ua-net0");
        assertThat(s.standbyDevice).isEqualTo("enp6s0f0s0");
        assertThat(s.primaryAlias).isEqualTo("hostdev0");
        assertThat(s.primaryPciAddress).isEqualTo("0000:06:00.1");
    }

    @Test
    void standbyWithoutVfIsValidAndNotAttached() {
        TeamingReport r = TeamingXml.inspect(fixture("standby-no-vf.xml"));

        assertThat(r.valid()).as("problems: %s", r.problems()).isTrue();
        assertThat(r.primaryAttached()).isFalse();
        assertThat(r.primaryXml()).isNull();
        assertThat(r.primaryPciAddress()).isNull();
        assertThat(r.standbyAlias()).isEqualTo("ua-net0");
        assertThat(r.toSummary().primaryPciAddress).isNull();
    }

    @Test
    void bridgeStandbyWithLinkDown() {
        TeamingReport r = TeamingXml.inspect(fixture("bridge-standby-link-down.xml"));

        assertThat(r.valid()).as("problems: %s", r.problems()).isTrue();
        assertThat(r.standbyDevice()).isEqualTo("br-standby");
        assertThat(r.standbyLinkUp()).isFalse();
        assertThat(r.mac()).isEqualTo("52:54:00:54:54:54");
    }

    @Test
    void macMismatchNamesBothMacs() {
        TeamingReport r = TeamingXml.inspect(fixture("mac-mismatch.xml"));

        assertThat(r.valid()).isFalse();
        assertThat(r.problems()).singleElement().asString()
                .contains("MAC mismatch", "52:54:00:54:54:54", "52:54:00:53:53:53", "ua-net0", "0000:06:00.1");
        assertThat(r.primaryAttached()).isTrue();
    }

    @Test
    void aliasWithoutUaPrefixIsRefusedWithTheFix() {
        TeamingReport r = TeamingXml.inspect(fixture("missing-ua-alias.xml"));

        assertThat(r.valid()).isFalse();
        assertThat(r.problems()).anySatisfy(p -> assertThat(p).contains("'net1'", "ua-", "<alias name='ua-net1'/>"));
        assertThat(r.standbyAlias()).isEqualTo("net1");
    }

    @Test
    void transientNamingAMissingAliasBlocks() {
        TeamingReport r = TeamingXml.inspect(fixture("transient-missing-alias.xml"));

        assertThat(r.valid()).isFalse();
        assertThat(r.problems()).singleElement().asString()
                .contains("persistent='ua-net9'", "no persistent teaming NIC has alias 'ua-net9'",
                        "set persistent='ua-net0'", "0000:06:00.1");
        assertThat(r.primaryAttached()).isFalse();
        assertThat(r.blockingHostdevs()).singleElement().asString().contains("0000:06:00.1");
    }

    @Test
    void nonVirtioModelIsRefused() {
        TeamingReport r = TeamingXml.inspect(fixture("wrong-model.xml"));

        assertThat(r.valid()).isFalse();
        assertThat(r.problems()).singleElement().asString()
                .contains("'e1000'", "<model type='virtio'/>", "ua-net0");
    }

    @Test
    void extraHostdevBlocksMigration() {
        TeamingReport r = TeamingXml.inspect(fixture("extra-hostdev.xml"));

        assertThat(r.valid()).isFalse();
        assertThat(r.primaryPciAddress()).isEqualTo("0000:06:00.1");
        assertThat(r.blockingHostdevs()).singleElement().asString().contains("0000:07:00.0", "hostdev1");
        assertThat(r.problems()).singleElement().asString().contains("0000:07:00.0", "blocks live migration");
    }

    @Test
    void domainWithoutTeamingSaysSo() {
        TeamingReport r = TeamingXml.inspect(fixture("no-teaming.xml"));

        assertThat(r.valid()).isFalse();
        assertThat(r.problems()).singleElement().asString().startsWith("no teaming");
        assertThat(r.mac()).isNull();
    }

    @Test
    void malformedXmlGivesAReportNotAnException() {
        TeamingReport r = TeamingXml.inspect(fixture("malformed.xml"));

        assertThat(r.valid()).isFalse();
        assertThat(r.problems()).singleElement().asString().contains("not well-formed", "line");
        assertThat(TeamingXml.inspect(null).valid()).isFalse();
        assertThat(TeamingXml.inspect("").problems()).containsExactly("XML is empty");
        assertThat(TeamingXml.inspect("<network/>").problems()).singleElement().asString().contains("<domain>");
    }

    @Test
    void xxeIsRefusedAndNothingIsRead() {
        TeamingReport r = TeamingXml.inspect(fixture("xxe.xml"));

        assertThat(r.valid()).isFalse();
        assertThat(r.problems()).singleElement().asString().contains("DOCTYPE");
        assertThat(String.valueOf(r.standbyAlias()) + r.problems()).doesNotContain("root:");
        assertThatThrownBy(() -> TeamingXml.withLinkState(
                "<!DOCTYPE interface [<!ENTITY x SYSTEM 'file:///etc/passwd'>]><interface type='direct'>&x;</interface>",
                true)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("DOCTYPE");
    }

    @Test
    void hostileNamesAreReportedNotInterpreted() {
        TeamingReport r = TeamingXml.inspect(fixture("nasty-names.xml"));

        assertThat(r.valid()).isFalse();
        assertThat(r.standbyAlias()).isEqualTo("ua-net0';rm -rf <x>");
        assertThat(r.standbyDevice()).isEqualTo("enp6s0f0s0\";reboot");
        assertThat(r.problems()).anySatisfy(p -> assertThat(p).contains("not a user alias", "<alias name='ua-net0rm-rfx'/>"));
        assertThat(r.problems()).anySatisfy(p -> assertThat(p).contains("not a valid Linux interface name"));
        // serialized back, the values stay escaped
        assertThat(r.standbyXml()).contains("ua-net0';rm -rf &lt;x&gt;").doesNotContain("<x>");
    }

    // ---------------------------------------------------------------------------------------------------- builders

    @Test
    void standbyBuilderRoundTrips() {
        String xml = TeamingXml.standbyInterface("52:54:00:53:53:53", "ua-net0", "enp6s0f0s0", false);

        assertThat(xml).contains("type=\"direct\"", "mode=\"passthrough\"", "<model type=\"virtio\"/>",
                "<teaming type=\"persistent\"/>", "<link state=\"down\"/>", "<alias name=\"ua-net0\"/>");
        TeamingReport r = TeamingXml.inspect(domainWith(xml));
        assertThat(r.valid()).as("problems: %s", r.problems()).isTrue();
        assertThat(r.mac()).isEqualTo("52:54:00:53:53:53");
        assertThat(r.standbyAlias()).isEqualTo("ua-net0");
        assertThat(r.standbyDevice()).isEqualTo("enp6s0f0s0");
        assertThat(r.standbyLinkUp()).isFalse();
        assertThat(r.primaryAttached()).isFalse();
    }

    @Test
    void primaryBuilderRoundTrips() {
        String standby = TeamingXml.standbyInterface("52:54:00:53:53:53", "ua-net0", "enp6s0f0s0", true);
        String primary = TeamingXml.primaryInterface("52:54:00:53:53:53", "0000:06:00.3", "ua-net0", "ua-vf0");

        assertThat(primary).contains("type=\"hostdev\"", "managed=\"yes\"", "domain=\"0x0000\"", "bus=\"0x06\"",
                "slot=\"0x00\"", "function=\"0x3\"", "<teaming persistent=\"ua-net0\" type=\"transient\"/>",
                "<alias name=\"ua-vf0\"/>");
        assertThat(TeamingXml.pciAddressOf(primary)).isEqualTo("0000:06:00.3");
        TeamingReport r = TeamingXml.inspect(domainWith(standby + primary));
        assertThat(r.valid()).as("problems: %s", r.problems()).isTrue();
        assertThat(r.standbyLinkUp()).isTrue();
        assertThat(r.primaryAlias()).isEqualTo("ua-vf0");
        assertThat(r.primaryPciAddress()).isEqualTo("0000:06:00.3");
        assertThat(r.mac()).isEqualTo("52:54:00:53:53:53");

        String noAlias = TeamingXml.primaryInterface("52:54:00:53:53:53", "0000:06:00.3", "ua-net0", null);
        assertThat(noAlias).doesNotContain("<alias");
        assertThat(TeamingXml.inspect(domainWith(standby + noAlias)).primaryAlias()).isNull();
    }

    @Test
    void buildersRefuseUnsafeInput() {
        assertThatThrownBy(() -> TeamingXml.standbyInterface("52:54:00:53:53:5G", "ua-net0", "sf0", true))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("MAC '52:54:00:53:53:5G'");
        assertThatThrownBy(() -> TeamingXml.standbyInterface("52:54:00:53:53:53", "net0", "sf0", true))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("standby alias 'net0'")
                .hasMessageContaining("^ua-");
        assertThatThrownBy(() -> TeamingXml.standbyInterface("52:54:00:53:53:53", "ua-x'/><hostdev", "sf0", true))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> TeamingXml.standbyInterface("52:54:00:53:53:53", "ua-net0", "sf0;reboot", true))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("SF netdev");
        assertThatThrownBy(() -> TeamingXml.standbyInterface("52:54:00:53:53:53", "ua-net0", null, true))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("is missing");
        assertThatThrownBy(() -> TeamingXml.primaryInterface("52:54:00:53:53:53", "06:00.3", "ua-net0", null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("VF PCI address '06:00.3'");
        assertThatThrownBy(() -> TeamingXml.primaryInterface("52:54:00:53:53:53", "0000:06:00.3", "ua-net0\"", null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("persistent");
        assertThatThrownBy(() -> TeamingXml.primaryInterface("52:54:00:53:53:53", "0000:06:00.3", "ua-net0", "ua-net0"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must differ");
    }

    @Test
    void withLinkStateSetsOrAddsTheLink() {
        TeamingReport r = TeamingXml.inspect(fixture("teamed-vm01.xml"));
        String down = TeamingXml.withLinkState(r.standbyXml(), false);
        assertThat(down).contains("<link state=\"down\"/>");
        assertThat(TeamingXml.inspect(domainWith(down)).standbyLinkUp()).isFalse();

        String up = TeamingXml.withLinkState(down, true);
        assertThat(up).contains("<link state=\"up\"/>").doesNotContain("down");
        assertThat(up.split("<link ", -1)).hasSize(2);

        assertThatThrownBy(() -> TeamingXml.withLinkState("<disk/>", true))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("<interface>");
    }

    @Test
    void withPrimaryPciAddressRewritesOnlyTheVfSource() {
        String dest = TeamingXml.withPrimaryPciAddress(fixture("teamed-vm01.xml"), "0000:06:00.3");

        TeamingReport r = TeamingXml.inspect(dest);
        assertThat(r.valid()).as("problems: %s", r.problems()).isTrue();
        assertThat(r.primaryPciAddress()).isEqualTo("0000:06:00.3");
        assertThat(dest).startsWith("<domain").contains("<name>VM-01</name>", "VM-01.qcow2")
                // the guest-side PCI address of the VF is untouched
                .contains("bus=\"0x00\" domain=\"0x0000\" function=\"0x0\" slot=\"0x0c\"");

        assertThatThrownBy(() -> TeamingXml.withPrimaryPciAddress(fixture("standby-no-vf.xml"), "0000:06:00.3"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no VF teamed");
        assertThatThrownBy(() -> TeamingXml.withPrimaryPciAddress(fixture("teamed-vm01.xml"), "0000:06:00.3'"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void pciAddressOfParsesHexAndDecimal() {
        assertThat(TeamingXml.pciAddressOf("<address type='pci' domain='0x0000' bus='0x06' slot='0x00' function='0x3'/>"))
                .isEqualTo("0000:06:00.3");
        assertThat(TeamingXml.pciAddressOf("<address type='pci' domain='0' bus='17' slot='31' function='7'/>"))
                .isEqualTo("0000:11:1f.7");
        assertThatThrownBy(() -> TeamingXml.pciAddressOf("<address type='pci' bus='0x06' slot='0x20' function='0x0'/>"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("slot='0x20'");
        assertThatThrownBy(() -> TeamingXml.pciAddressOf("<interface type='direct'/>"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no <source><address");
    }

    @Test
    void aliasHelpers() {
        String xml = fixture("teamed-vm01.xml");
        assertThat(TeamingXml.hasDeviceAlias(xml, "hostdev0")).isTrue();
        assertThat(TeamingXml.hasDeviceAlias(fixture("standby-no-vf.xml"), "hostdev0")).isFalse();
        assertThat(TeamingXml.deviceAlias(TeamingXml.inspect(xml).primaryXml())).isEqualTo("hostdev0");
        assertThat(TeamingXml.deviceAlias("<interface/>")).isNull();
        assertThat(TeamingXml.deviceAlias("not xml")).isNull();
    }

    private static String domainWith(String interfaces) {
        return "<domain type='kvm'><name>t</name><devices>" + interfaces + "</devices></domain>";
    }
}
