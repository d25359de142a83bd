package io.sriovlm.agent.libvirt;

import io.sriovlm.api.v1alpha1.MigrationTransport;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import io.sriovlm.agent.libvirt.Hypervisor.DomainSnapshot;
import io.sriovlm.agent.libvirt.Hypervisor.DomainState;
import io.sriovlm.agent.libvirt.Hypervisor.MigrationRequest;
import io.sriovlm.agent.libvirt.Hypervisor.MigrationResult;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.LibvirtException;
import org.libvirt.jna.ConnectionPointer;
import org.libvirt.jna.DomainPointer;
import org.libvirt.jna.Libvirt;

import com.sun.jna.Pointer;

/**
 * Against libvirt's test driver ({@code test:///default}, inside libvirt.so.0: no daemon). It connects, defines,
 * lists, starts and stops, but cannot hot-plug or migrate: for those we check the error is a clear
 * {@link HypervisorException}. Needs Debian's libvirt0 ({@code hack/install-test-deps.sh}); without it every test
 * fails saying so.
 */
class LibvirtHypervisorTest {

    static final String URI = "test:///default";
    static LibvirtHypervisor hv;
    /** A second, plain connection to define domains: test:///default shares one driver state per process. */
    static Connect admin;
    String name;

    @BeforeAll
    static void connect() {
        try {
            hv = new LibvirtHypervisor(URI);
            admin = new Connect(URI);
        } catch (HypervisorException | LibvirtException | LinkageError e) {
            fail("cannot use libvirt's test driver (" + e.getMessage() + "); run hack/install-test-deps.sh as root", e);
        }
    }

    @AfterAll
    static void disconnect() throws LibvirtException {
        if (hv != null) {
            hv.close();
        }
        if (admin != null) {
            admin.close();
        }
    }

    @AfterEach
    void removeDomain() {
        if (name == null) {
            return;
        }
        try {
            Domain d = admin.domainLookupByName(name);
            if (d.isActive() == 1) {
                d.destroy();
            }
            d.undefine();
        } catch (LibvirtException ignored) {
            // already gone
        }
    }

    /** A fixture as the test driver accepts it: domain type 'test', no runtime id, a fresh name and UUID. */
    String define(String fixture, boolean start) throws LibvirtException {
        name = "vm-" + UUID.randomUUID().toString().substring(0, 8);
        String xml = TeamingXmlTest.fixture(fixture)
                .replace("<domain type='kvm' id='24'>", "<domain type='test'>")
                .replaceFirst("<name>[^<]*</name>", "<name>" + name + "</name>")
                .replaceFirst("<uuid>[^<]*</uuid>", "<uuid>" + UUID.randomUUID() + "</uuid>");
        Domain d = admin.domainDefineXML(xml);
        if (start) {
            d.create();
        }
        return name;
    }

    @Test
    void checkReachableOpensAndClosesAReadOnlyConnectionOrSaysWhyNot() throws Exception {
        Connect opened = LibvirtHypervisor.open(URI, true, LibvirtHypervisor.REACH_TIMEOUT);
        assertThat(opened.getLibVersion()).isPositive();
        opened.close();
        assertThatThrownBy(() -> hv.checkReachable("qemu+tcp://127.0.0.1:1/system"))
                .isInstanceOf(HypervisorException.class).hasMessageContaining("cannot open qemu+tcp://127.0.0.1:1/system");
        // only migration URIs of the documented form are opened at all (ApiPatterns.MIGRATION_URI)
        assertThatThrownBy(() -> hv.checkReachable("nosuchdriver:///system"))
                .isInstanceOf(HypervisorException.class).hasMessageContaining("not one sriovlm opens");
        assertThatThrownBy(() -> hv.checkReachable(URI))
                .isInstanceOf(HypervisorException.class).hasMessageContaining("not one sriovlm opens");
    }

    @Test
    void aDomainNameWithShellAndXmlMetacharactersIsDataAllTheWay() throws Exception {
        // libvirt allows such names; a SriovMigration does not (ApiPatterns.DOMAIN_NAME), but the agent still lists,
        // reads and reports them, and they must stay one opaque string through libvirt's API and our XML parsing
        String hostile = "vm 01'\";$(touch x)`id`<&> " + UUID.randomUUID().toString().substring(0, 8);
        String escaped = hostile.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                .replace("\"", "&quot;").replace("'", "&apos;");
        String xml = TeamingXmlTest.fixture("teamed-vm01.xml")
                .replace("<domain type='kvm' id='24'>", "<domain type='test'>")
                .replaceFirst("<name>[^<]*</name>", java.util.regex.Matcher.quoteReplacement("<name>" + escaped + "</name>"))
                .replaceFirst("<uuid>[^<]*</uuid>", "<uuid>" + UUID.randomUUID() + "</uuid>");
        admin.domainDefineXML(xml).create();
        name = hostile;

        assertThat(hv.listDomains()).extracting(DomainSnapshot::name).contains(hostile);
        DomainSnapshot d = hv.domain(hostile).orElseThrow();
        assertThat(d.name()).isEqualTo(hostile);
        assertThat(d.isRunning()).isTrue();
        assertThat(TeamingXml.inspect(d.xml()).valid()).as("its XML parses as data").isTrue();
        assertThat(io.sriovlm.api.v1alpha1.ApiPatterns.matches(io.sriovlm.api.v1alpha1.ApiPatterns.DOMAIN_NAME, hostile))
                .as("no SriovMigration can name it").isFalse();
    }

    @Test
    void aMigrationUriThatWouldRunAProgramIsNeverOpened(@TempDir Path dir) throws Exception {
        // libvirt's ext transport (and ssh's command=/netcat=) run a program in the process that opens the URI. The
        // URI comes from another node's HypervisorNic status, so it must never reach virConnectOpen.
        Path marker = dir.resolve("ran");
        Path script = dir.resolve("evil.sh");
        Files.writeString(script, "#!/bin/sh\ntouch " + marker + "\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
        for (String hostile : List.of("qemu+ext:///system?command=" + script,
                "qemu+ssh://hv2/system?command=" + script, "qemu+ssh://hv2/system?netcat=" + script,
                "qemu+tls://hv2/system?no_verify=1", "qemu+tls://hv2/system;" + script, "qemu+tls://$(" + script + ")/system",
                "qemu+tls://hv2/system\n", "qemu+tls://-oProxyCommand=" + script + "/system")) {
            assertThatThrownBy(() -> hv.checkReachable(hostile)).as(hostile)
                    .isInstanceOf(HypervisorException.class).hasMessageContaining("not one sriovlm opens");
            MigrationRequest plain = new MigrationRequest(hostile, null, null, false, false, true, true, null,
                    new MigrationTransport(false, false, false));
            assertThatThrownBy(() -> hv.startMigration("any-vm", plain)).as(hostile)
                    .isInstanceOf(HypervisorException.class).hasMessageContaining("not one sriovlm opens");
        }
        assertThat(marker).as("the program in the URI never ran").doesNotExist();
        // the same script does run when libvirt is handed the URI: the check above is what stops it
        assertThatThrownBy(() -> LibvirtHypervisor.open("qemu+ext:///system?command=" + script, true,
                Duration.ofSeconds(5))).isInstanceOf(HypervisorException.class);
        assertThat(marker).as("libvirt itself runs ext commands").exists();
    }

    @Test
    void connectsAndListsTheTestDriversDefaultDomain() {
        assertThat(hv.hostName()).isNotBlank();
        assertThat(hv.listDomains()).anySatisfy(d -> {
            assertThat(d.name()).isEqualTo("test");
            assertThat(d.state()).isEqualTo(DomainState.RUNNING);
            assertThat(d.persistent()).isTrue();
            assertThat(d.uuid()).hasSize(36);
            assertThat(d.xml()).contains("<name>test</name>");
        });
        assertThat(hv.domain("no-such-vm")).isEmpty();
        assertThat(hv.deviceEventsActive()).isTrue();
    }

    @Test
    void teamedDomainRoundTripsThroughLibvirtsParser() throws Exception {
        define("teamed-vm01.xml", false);

        DomainSnapshot off = hv.domain(name).orElseThrow();
        assertThat(off.state()).isEqualTo(DomainState.SHUTOFF);
        assertThat(off.persistent()).isTrue();
        assertThat(off.isRunning()).isFalse();

        TeamingReport r = TeamingXml.inspect(off.xml());
        assertThat(r.problems()).isEmpty();
        assertThat(r.mac()).isEqualTo("52:54:00:53:53:53");
        assertThat(r.standbyAlias()).isEqualTo("ua-net0"); // libvirt keeps user aliases
        assertThat(r.standbyDevice()).isEqualTo("enp6s0f0s0");
        assertThat(r.primaryPciAddress()).isEqualTo("0000:06:00.1");

        admin.domainLookupByName(name).create();
        DomainSnapshot on = hv.domain(name).orElseThrow();
        assertThat(on.isRunning()).isTrue();
        assertThat(hv.listDomains()).extracting(DomainSnapshot::name).contains(name, "test");
        assertThat(TeamingXml.inspect(on.xml()).valid()).isTrue();

        // the destination XML of an automatic handoff is accepted by libvirt's parser too
        String dest = TeamingXml.withPrimaryPciAddress(off.xml(), "0000:06:00.3")
                .replace("<name>" + name + "</name>", "<name>" + name + "-dest</name>")
                .replaceFirst("<uuid>[^<]*</uuid>", "<uuid>" + UUID.randomUUID() + "</uuid>");
        Domain copy = admin.domainDefineXML(dest);
        try {
            assertThat(TeamingXml.inspect(hv.domain(name + "-dest").orElseThrow().xml()).primaryPciAddress())
                    .isEqualTo("0000:06:00.3");
        } finally {
            copy.undefine();
        }
    }

    @Test
    void theStandbyFeatureIsReadFromQemusDecodedAndNumericVirtioStatus() throws Exception {
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        // QEMU 7.2-8.2 decode features by name (qapi/virtio.json, VirtioDeviceFeatures); 9.0 and later print numbers.
        String offered = "{\"transports\":[\"VIRTIO_F_VERSION_1: Device compliant for v1 spec (legacy)\"],"
                + "\"dev-features\":[\"VIRTIO_NET_F_STANDBY: Acts as standby for another device with the same MAC address\","
                + "\"VIRTIO_NET_F_MAC: Device has given MAC address\"]}";
        String notOffered = "{\"transports\":[],\"dev-features\":[\"VIRTIO_NET_F_MAC: Device has given MAC address\"]}";
        assertThat(LibvirtHypervisor.standbyFeature(json.readTree("{\"host-features\":" + offered + ",\"guest-features\":"
                + offered + "}"))).contains(io.sriovlm.api.v1alpha1.GuestFailover.Negotiated);
        assertThat(LibvirtHypervisor.standbyFeature(json.readTree("{\"host-features\":" + offered + ",\"guest-features\":"
                + notOffered + "}"))).contains(io.sriovlm.api.v1alpha1.GuestFailover.NotNegotiated);
        assertThat(LibvirtHypervisor.standbyFeature(json.readTree("{\"host-features\":" + notOffered + ",\"guest-features\":"
                + notOffered + "}"))).contains(io.sriovlm.api.v1alpha1.GuestFailover.NotOffered);
        long standby = 1L << 62;
        assertThat(LibvirtHypervisor.standbyFeature(json.readTree("{\"host-features\":" + (standby | 32) + ",\"guest-features\":"
                + (standby | 32) + "}"))).contains(io.sriovlm.api.v1alpha1.GuestFailover.Negotiated);
        assertThat(LibvirtHypervisor.standbyFeature(json.readTree("{\"host-features\":" + (standby | 32)
                + ",\"guest-features\":32}"))).contains(io.sriovlm.api.v1alpha1.GuestFailover.NotNegotiated);
        assertThat(LibvirtHypervisor.standbyFeature(json.readTree("{\"name\":\"virtio-net\"}"))).isEmpty();
        // The test driver has no QEMU monitor: not known, and no error.
        define("teamed-vm01.xml", true);
        assertThat(hv.guestFailover(name, "ua-net0")).isEmpty();
    }

    @Test
    void aVfStateDestinationXmlIsLibvirtsAndPassesTheTargetVfThrough() throws Exception {
        // Method VfState migrates the domain with its plain PCI hostdev moved to the target's VF: libvirt's own
        // parser must take the edited XML, keep everything else, and pass exactly the target VF through.
        name = "vm-" + UUID.randomUUID().toString().substring(0, 8);
        String source = "<domain type='test'><name>" + name + "</name><uuid>" + UUID.randomUUID() + "</uuid>"
                + "<memory unit='KiB'>262144</memory><vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os><devices>"
                + "<hostdev mode='subsystem' type='pci' managed='no'><driver name='vfio'/><source><address"
                + " domain='0x0000' bus='0x06' slot='0x00' function='0x4'/></source><alias name='ua-vf-state'/>"
                + "</hostdev></devices></domain>";
        admin.domainDefineXML(source);
        String live = hv.domain(name).orElseThrow().xml();
        assertThat(TeamingXml.passedThroughPciAddresses(live)).containsExactly("0000:06:00.4");

        String destination = TeamingXml.withPassthroughPciAddress(live, "0000:06:00.4", "0000:81:01.3");
        admin.domainLookupByName(name).undefine();
        admin.domainDefineXML(destination);
        String parsed = hv.domain(name).orElseThrow().xml();
        assertThat(TeamingXml.passedThroughPciAddresses(parsed)).containsExactly("0000:81:01.3");
        assertThat(parsed).contains("managed='no'").contains("<driver name='vfio'/>").contains("ua-vf-state");
        assertThatThrownBy(() -> TeamingXml.withPassthroughPciAddress(live, "0000:06:00.7", "0000:81:01.3"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0000:06:00.7");
    }

    @Test
    void aVfInterfaceWithAVlanIsLibvirtsXmlAndTheVlanIsReadBack() throws Exception {
        // The VLAN a VM's VF interface carries is re-used for the target's VF: libvirt's parser must accept it.
        name = "vm-" + UUID.randomUUID().toString().substring(0, 8);
        String xml = TeamingXmlTest.fixture("teamed-vm01.xml")
                .replace("<domain type='kvm' id='24'>", "<domain type='test'>")
                .replaceFirst("<name>[^<]*</name>", "<name>" + name + "</name>")
                .replaceFirst("<uuid>[^<]*</uuid>", "<uuid>" + UUID.randomUUID() + "</uuid>")
                .replaceFirst("(?s)<interface type='hostdev'.*?</interface>", TeamingXml.primaryInterface(
                        "52:54:00:53:53:53", "0000:06:00.1", "ua-net0", "ua-vf0", 100));
        admin.domainDefineXML(xml);

        String parsed = hv.domain(name).orElseThrow().xml();
        assertThat(parsed).containsPattern("<vlan>\\s*<tag id='100'/>\\s*</vlan>");
        TeamingReport r = TeamingXml.inspect(parsed);
        assertThat(r.problems()).isEmpty();
        assertThat(r.primaryVlan()).isEqualTo(100);
        assertThat(r.toSummary().primaryVlan).isEqualTo(100);
        assertThat(TeamingXml.inspect(TeamingXmlTest.fixture("teamed-vm01.xml")).primaryVlan()).as("no <vlan>").isNull();
        assertThatThrownBy(() -> TeamingXml.primaryInterface("52:54:00:53:53:53", "0000:06:00.1", "ua-net0", null, 4095))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("VLAN 4095");
    }

    @Test
    void hotplugIsRefusedByTheTestDriverWithAClearMessage() throws Exception {
        define("teamed-vm01.xml", true);
        TeamingReport r = TeamingXml.inspect(hv.domain(name).orElseThrow().xml());

        assertThatThrownBy(() -> hv.detachDevice(name, r.primaryXml()))
                .isInstanceOf(HypervisorException.class)
                .hasMessageContaining(URI).hasMessageContaining("detach device").hasMessageContaining(name)
                .hasMessageContaining("not supported");
        String vf = TeamingXml.primaryInterface("52:54:00:53:53:53", "0000:06:00.3", "ua-net0", "ua-vf1");
        assertThatThrownBy(() -> hv.attachDevice(name, vf))
                .isInstanceOf(HypervisorException.class)
                .hasMessageContaining("attach device 'ua-vf1'").hasMessageContaining(name)
                .hasMessageContaining("not supported");
        assertThatThrownBy(() -> hv.updateDevice(name, TeamingXml.withLinkState(r.standbyXml(), false)))
                .isInstanceOf(HypervisorException.class)
                .hasMessageContaining("update device 'ua-net0'").hasMessageContaining("not supported");
        assertThatThrownBy(() -> hv.detachDevice("no-such-vm", r.primaryXml()))
                .isInstanceOf(HypervisorException.class)
                .hasMessageContaining("'no-such-vm'").hasMessageContaining("detach device");
    }

    @Test
    void awaitDeviceRemovedAnswersFromTheLiveXml() throws Exception {
        define("teamed-vm01.xml", true);

        Instant before = Instant.now();
        // absent at once: no wait
        Optional<Instant> gone = hv.awaitDeviceRemoved(name, "ua-not-there", Duration.ofSeconds(5));
        assertThat(gone).hasValueSatisfying(t -> assertThat(t).isAfterOrEqualTo(before));
        // present and never removed (the test driver cannot detach): empty after the timeout
        long t0 = System.nanoTime();
        assertThat(hv.awaitDeviceRemoved(name, "ua-net0", Duration.ofMillis(120))).isEmpty();
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isBetween(Duration.ofMillis(100), Duration.ofSeconds(3));
        assertThatThrownBy(() -> hv.awaitDeviceRemoved("no-such-vm", "ua-net0", Duration.ofMillis(50)))
                .isInstanceOf(HypervisorException.class).hasMessageContaining("'no-such-vm'");
    }

    @Test
    void migrationCannotRunOnTheTestDriverAndSaysWhy() throws Exception {
        define("teamed-vm01.xml", true);

        MigrationRequest plain = new MigrationRequest("qemu+tcp://hv2/system", null, 0, false, false, true, true, null,
                P2P_PLAIN);
        MigrationResult result = hv.startMigration(name, plain).toCompletableFuture().get(30, TimeUnit.SECONDS);
        assertThat(result.succeeded()).isFalse();
        assertThat(result.aborted()).isFalse();
        assertThat(result.error()).contains(name, "migrate to qemu+tcp://hv2/system (peer-to-peer)");
        assertThat(hv.domain(name)).hasValueSatisfying(d -> assertThat(d.isRunning()).isTrue());

        MigrationRequest withDowntime = new MigrationRequest("qemu+tcp://hv2/system", 300, 100, true, false, true,
                true, TeamingXml.withPrimaryPciAddress(hv.domain(name).orElseThrow().xml(), "0000:06:00.3"), P2P_PLAIN);
        assertThatThrownBy(() -> hv.startMigration(name, withDowntime))
                .isInstanceOf(HypervisorException.class)
                .hasMessageContaining("set max downtime 300 ms").hasMessageContaining(name);
        assertThatThrownBy(() -> hv.startMigration("no-such-vm", plain))
                .isInstanceOf(HypervisorException.class).hasMessageContaining("'no-such-vm'");
    }

    /** Explicitly peer-to-peer without TLS, as the real-hypervisor tier needs it. */
    static final MigrationTransport P2P_PLAIN = new MigrationTransport(false, true, false);

    @Test
    void withoutPeerToPeerTheAgentOpensTheDestinationItselfAndSaysWhenItCannot() throws Exception {
        define("teamed-vm01.xml", true);
        // client-managed: this process opens the destination (nothing listens on port 1), libvirtd does not
        MigrationRequest clientManaged = new MigrationRequest("qemu+tcp://127.0.0.1:1/system", null, 0, false, false,
                true, true, null, new MigrationTransport(false, false, false));
        MigrationResult result = hv.startMigration(name, clientManaged).toCompletableFuture().get(30, TimeUnit.SECONDS);
        assertThat(result.succeeded()).isFalse();
        assertThat(result.error()).contains(name, "(client-managed)", "cannot open qemu+tcp://127.0.0.1:1/system");
        assertThat(hv.domain(name)).hasValueSatisfying(d -> assertThat(d.isRunning()).isTrue());
    }

    @Test
    void theDefaultTransportRefusesADestinationWithoutTlsBeforeLibvirtIsAsked() throws Exception {
        define("teamed-vm01.xml", true);
        MigrationRequest plainTcp = new MigrationRequest("qemu+tcp://hv2/system", null, 0, false, false, true, true,
                null, MigrationTransport.DEFAULT);
        assertThatThrownBy(() -> hv.startMigration(name, plainTcp)).isInstanceOf(HypervisorException.class)
                .hasMessageContaining("spec.options.tls is true").hasMessageContaining("qemu+tcp://hv2/system");
        // nothing started: a second, acceptable request is not refused as "already running"
        MigrationRequest p2p = new MigrationRequest("qemu+tcp://hv2/system", null, 0, false, false, true, true, null,
                P2P_PLAIN);
        assertThat(hv.startMigration(name, p2p).toCompletableFuture().get(30, TimeUnit.SECONDS).error())
                .doesNotContain("already running");
    }

    @Test
    void jobStatsAndAbortAreUnsupportedOnTheTestDriverAndSaySo() throws Exception {
        define("teamed-vm01.xml", true);
        // libvirt 9.0's test driver implements neither virDomainGetJobStats nor virDomainGetJobInfo
        assertThatThrownBy(() -> hv.jobStats(name)).isInstanceOf(HypervisorException.class)
                .hasMessageContaining("read job statistics").hasMessageContaining(name)
                .hasMessageContaining("not supported");
        // abortJob first looks for a running job, so it fails the same way instead of aborting blindly
        assertThatThrownBy(() -> hv.abortJob(name)).isInstanceOf(HypervisorException.class)
                .hasMessageContaining("not supported");
    }

    @Test
    void theDefaultTransportIsTlsClientManagedAndSafe() {
        MigrationRequest byDefault = new MigrationRequest("qemu+tls://hv2/system", null, null, false, false, false,
                false, null, null);
        assertThat(byDefault.transport()).isEqualTo(MigrationTransport.DEFAULT);
        assertThat(LibvirtHypervisor.migrationFlags(byDefault))
                .isEqualTo(Domain.MigrateFlags.LIVE | Domain.MigrateFlags.TLS);
    }

    @Test
    void peerToPeerAndUnsafeOnlyWhenAskedAndTlsOffOnlyWhenTurnedOff() {
        for (boolean tls : new boolean[] { false, true }) {
            for (boolean p2p : new boolean[] { false, true }) {
                for (boolean unsafe : new boolean[] { false, true }) {
                    MigrationRequest r = new MigrationRequest("qemu+tls://hv2/system", null, null, false, false, false,
                            false, null, new MigrationTransport(tls, p2p, unsafe));
                    int flags = LibvirtHypervisor.migrationFlags(r);
                    assertThat((flags & Domain.MigrateFlags.TLS) != 0).as("TLS %s %s %s", tls, p2p, unsafe)
                            .isEqualTo(tls);
                    assertThat((flags & Domain.MigrateFlags.PEER2PEER) != 0).as("P2P %s %s %s", tls, p2p, unsafe)
                            .isEqualTo(p2p);
                    assertThat((flags & Domain.MigrateFlags.UNSAFE) != 0).as("UNSAFE %s %s %s", tls, p2p, unsafe)
                            .isEqualTo(unsafe);
                    assertThat(flags & Domain.MigrateFlags.TUNNELED).as("never tunnelled").isZero();
                }
            }
        }
    }

    @Test
    void migrationFlagsAndParameters() {
        MigrationRequest all = new MigrationRequest("qemu+tls://hv2/system", 300, 500, true, true, true, true, "<d/>",
                new MigrationTransport(true, true, true));
        int flags = LibvirtHypervisor.migrationFlags(all);
        assertThat(flags & Domain.MigrateFlags.LIVE).isNotZero();
        assertThat(flags & Domain.MigrateFlags.PEER2PEER).isNotZero();
        assertThat(flags & Domain.MigrateFlags.PERSIST_DEST).isNotZero();
        assertThat(flags & Domain.MigrateFlags.UNDEFINE_SOURCE).isNotZero();
        assertThat(flags & Domain.MigrateFlags.AUTO_CONVERGE).isNotZero();
        assertThat(flags & Domain.MigrateFlags.POSTCOPY).isNotZero();
        assertThat(LibvirtHypervisor.migrationParameters(all)).extracting(p -> p.field + "=" + p.getValueAsString())
                .containsExactly("bandwidth=500", "destination_xml=<d/>");

        MigrationRequest none = new MigrationRequest("qemu+tls://hv2/system", null, null, false, false, false, false,
                null, new MigrationTransport(false, false, false));
        assertThat(LibvirtHypervisor.migrationFlags(none)).isEqualTo(Domain.MigrateFlags.LIVE);
        assertThat(LibvirtHypervisor.migrationParameters(none)).extracting(p -> p.field + "=" + p.getValueAsString())
                .containsExactly("bandwidth=0");

        // spec.options.copyStorage: virsh migrate --copy-storage-all / --copy-storage-inc
        for (var copy : io.sriovlm.api.v1alpha1.CopyStorage.values()) {
            MigrationRequest r = new MigrationRequest("qemu+tls://hv2/system", null, null, false, false, false, false,
                    null, new MigrationTransport(false, false, false), copy);
            int copyFlags = LibvirtHypervisor.migrationFlags(r);
            assertThat(copyFlags & Domain.MigrateFlags.NON_SHARED_DISK).as(copy.name())
                    .isEqualTo(copy == io.sriovlm.api.v1alpha1.CopyStorage.all ? Domain.MigrateFlags.NON_SHARED_DISK : 0);
            assertThat(copyFlags & Domain.MigrateFlags.NON_SHARED_INC).as(copy.name())
                    .isEqualTo(copy == io.sriovlm.api.v1alpha1.CopyStorage.incremental ? Domain.MigrateFlags.NON_SHARED_INC : 0);
        }
    }

    @Test
    void undefineSourceIsDoneAfterTheJobNotByLibvirtSoThatTheDowntimeCanBeRead() {
        MigrationRequest undefine = new MigrationRequest("qemu+tls://hv2/system", null, null, false, false, true, true,
                null, MigrationTransport.DEFAULT);
        assertThat(LibvirtHypervisor.libvirtFlags(undefine) & Domain.MigrateFlags.UNDEFINE_SOURCE).isZero();
        assertThat(LibvirtHypervisor.libvirtFlags(undefine)).isEqualTo(Domain.MigrateFlags.LIVE
                | Domain.MigrateFlags.TLS | Domain.MigrateFlags.PERSIST_DEST);
    }

    /** {@code virConnectDomainEventCallback}: the lifecycle event, which the test driver does emit. */
    public interface LifecycleCallback extends Libvirt.VirDomainEventCallback {
        void eventCallback(ConnectionPointer conn, DomainPointer dom, int event, int detail, Pointer opaque);
    }

    @Test
    void rawEventRegistrationAndTheEventLoopDeliver() throws Exception {
        CountDownLatch defined = new CountDownLatch(1);
        String[] seen = new String[1];
        String expected = "vm-ev-" + UUID.randomUUID().toString().substring(0, 8);
        assertThat(hv.registerDomainEvent(0, (LifecycleCallback) (c, dom, event, detail, opaque) -> {
            String n = Libvirt.INSTANCE.virDomainGetName(dom);
            if (expected.equals(n)) {
                seen[0] = n;
                defined.countDown();
            }
        })).isTrue();

        name = expected;
        admin.domainDefineXML(TeamingXmlTest.fixture("standby-no-vf.xml")
                .replace("<domain type='kvm' id='24'>", "<domain type='test'>")
                .replaceFirst("<name>[^<]*</name>", "<name>" + name + "</name>")
                .replaceFirst("<uuid>[^<]*</uuid>", "<uuid>" + UUID.randomUUID() + "</uuid>"));

        assertThat(defined.await(10, TimeUnit.SECONDS)).as("lifecycle event delivered").isTrue();
        assertThat(seen[0]).isEqualTo(expected);
    }

    @Test
    void closedHypervisorRefusesCalls() throws Exception {
        LibvirtHypervisor other = new LibvirtHypervisor(URI);
        other.close();
        other.close(); // idempotent
        assertThatThrownBy(() -> other.jobStats("test")).isInstanceOf(HypervisorException.class)
                .hasMessageContaining("closed");
        assertThatThrownBy(() -> new LibvirtHypervisor("bogus:///nowhere")).isInstanceOf(HypervisorException.class)
                .hasMessageContaining("bogus:///nowhere");
    }
}
