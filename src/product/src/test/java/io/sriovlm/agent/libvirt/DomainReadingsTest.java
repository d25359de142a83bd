package io.sriovlm.agent.libvirt;

import io.sriovlm.agent.libvirt.Hypervisor.DomainSnapshot;
import io.sriovlm.agent.libvirt.Hypervisor.DomainState;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.sriovlm.agent.libvirt.TeamingXmlTest.fixture;
import static org.assertj.core.api.Assertions.assertThat;

class DomainReadingsTest {

    @Test
    void aReadingSaysWhatTheParsersSay() {
        for (String name : List.of("teamed-vm01.xml", "standby-no-vf.xml", "extra-hostdev.xml", "malformed.xml",
                "xxe.xml", "no-teaming.xml")) {
            String xml = fixture(name);
            DomainReadings.Reading read = new DomainReadings(PrimaryDevice.VF_HOSTDEV).of(domain("vm", xml));
            assertThat(read.teaming()).as(name).isEqualTo(TeamingXml.inspect(xml, PrimaryDevice.VF_HOSTDEV));
            assertThat(read.passedThrough()).as(name).containsExactlyElementsOf(TeamingXml.passedThroughPciAddresses(xml));
            assertThat(read.disks()).as(name).usingRecursiveFieldByFieldElementComparator()
                    .containsExactlyElementsOf(DomainDisks.of(xml));
        }
    }

    @Test
    void theSameXmlIsReadOnceAndAChangedOneAgain() {
        DomainReadings readings = new DomainReadings(null);
        String teamed = fixture("teamed-vm01.xml");
        DomainReadings.Reading first = readings.of(domain("vm-01", teamed));
        assertThat(first.teaming().primaryAttached()).isTrue();
        // An equal text in a new String (each listing gives one) is not parsed again.
        assertThat(readings.of(domain("vm-01", new String(teamed)))).isSameAs(first);

        DomainReadings.Reading detached = readings.of(domain("vm-01", fixture("standby-no-vf.xml")));
        assertThat(detached).isNotSameAs(first);
        assertThat(detached.teaming().primaryAttached()).isFalse();

        readings.retainOnly(List.of("vm-02"));
        assertThat(readings.of(domain("vm-01", fixture("standby-no-vf.xml")))).as("forgotten once gone")
                .isNotSameAs(detached);
    }

    @Test
    void disksAreNewObjectsAtEachCallSoAStatusCannotChangeTheReading() {
        DomainReadings.Reading read = new DomainReadings(null).of(domain("vm-01", fixture("teamed-vm01.xml")));
        assertThat(read.disks()).isNotEmpty();
        read.disks().get(0).source = "/elsewhere";
        assertThat(read.disks().get(0).source).isNotEqualTo("/elsewhere");
    }

    private static DomainSnapshot domain(String name, String xml) {
        return new DomainSnapshot(name, "uuid-" + name, DomainState.RUNNING, true, xml);
    }
}
