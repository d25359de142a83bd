package io.sriovlm.agent.libvirt;


import io.sriovlm.api.v1alpha1.GuestFailover;

import io.sriovlm.api.v1alpha1.MigrationTransport;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sriovlm.agent.libvirt.Hypervisor.DeviceEvent;
import io.sriovlm.agent.libvirt.Hypervisor.DomainSnapshot;
import io.sriovlm.agent.libvirt.Hypervisor.JobStats;
import io.sriovlm.agent.libvirt.Hypervisor.MigrationRequest;
import io.sriovlm.agent.libvirt.Hypervisor.MigrationResult;
import io.sriovlm.testing.realhv.RealHosts;
import io.sriovlm.testing.realhv.RealHosts.Probe;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.ArrayList;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The production {@link LibvirtHypervisor} against two real libvirtd (hack/realhv), each reached as the agent reaches
 * its own host: {@code qemu+unix:///system?socket=...}. One TCG guest is booted once (CPU is scarce) and walks through
 * the steps in order: inventory, XML acceptance, detach/attach of the primary (the e1000e VF stand-in) with device
 * events, a migration hv1→hv2 with every option, and an aborted migration back.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LibvirtHypervisorIT {

    /**
     * Explicitly peer-to-peer without TLS: only the hosts' libvirtds can route to each other (this JVM sits outside
     * their network namespaces), and they listen on plain TCP without certificates. Production asks for neither.
     */
    private static final MigrationTransport PLAIN_PEER_TO_PEER = new MigrationTransport(false, true, false);

    private static final EmulatedVfStandIn STAND_IN = new EmulatedVfStandIn(RealHosts.BRIDGE);
    private static final String VF = "0000:06:00.1";

    static RealHosts hosts;
    static LibvirtHypervisor hv1;
    static LibvirtHypervisor hv2;
    static final List<DeviceEvent> events = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void bootGuestOnHv1() throws Exception {
        hosts = RealHosts.require();
        hosts.removeGuest();
        hv1 = new LibvirtHypervisor(hosts.unixUri("hv1"));
        hv2 = new LibvirtHypervisor(hosts.unixUri("hv2"));
        hv1.addDeviceListener(events::add);
        hosts.bootGuest("hv1", Duration.ofSeconds(90));
    }

    @AfterAll
    static void cleanUp() {
        try {
            if (hosts != null) {
                hosts.removeGuest();
            }
        } finally {
            if (hv1 != null) {
                hv1.close();
            }
            if (hv2 != null) {
                hv2.close();
            }
        }
    }

    @Test
    @Order(1)
    void listsTheTeamedGuestWithItsStandbyAndNoPrimaryYet() {
        assertThat(hv1.deviceEventsActive()).as("device events registered on the real daemon").isTrue();
        DomainSnapshot vm = hv1.listDomains().stream().filter(d -> d.name().equals(RealHosts.GUEST)).findFirst()
                .orElseThrow();
        assertThat(vm.isRunning()).isTrue();
        assertThat(vm.persistent()).isTrue();

        TeamingReport r = TeamingXml.inspect(vm.xml(), STAND_IN);
        assertThat(r.problems()).isEmpty();
        assertThat(r.mac()).isEqualTo(RealHosts.GUEST_MAC);
        assertThat(r.standbyAlias()).isEqualTo(RealHosts.STANDBY_ALIAS);
        assertThat(r.standbyDevice()).isEqualTo(RealHosts.BRIDGE);
        assertThat(r.primaryAttached()).isFalse();
        assertThat(hv2.domain(RealHosts.GUEST)).isEmpty();
    }

    @Test
    @Order(2)
    void qemuSaysTheGuestAcceptedTheStandbyFeatureOnTheTeamedNicAndThatAPlainNicIsNotOfferedIt() throws Exception {
        // libvirt starts the teamed standby with failover=on; the guest's virtio_net (with net_failover) accepts it.
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        Optional<GuestFailover> teamed = hv1.guestFailover(RealHosts.GUEST, RealHosts.STANDBY_ALIAS);
        while (teamed.orElse(null) != GuestFailover.Negotiated && System.nanoTime() < deadline) {
            Thread.sleep(500); // the guest's driver binds the NIC while it boots
            teamed = hv1.guestFailover(RealHosts.GUEST, RealHosts.STANDBY_ALIAS);
        }
        assertThat(teamed).contains(GuestFailover.Negotiated);
        // A virtio NIC without <teaming type='persistent'/>: QEMU runs it without failover=on.
        String plain = TeamingXml.bridgeNic("52:54:00:5a:00:77", RealHosts.BRIDGE, "virtio", "ua-plain");
        hv1.attachDevice(RealHosts.GUEST, plain);
        try {
            assertThat(hv1.guestFailover(RealHosts.GUEST, "ua-plain")).contains(GuestFailover.NotOffered);
        } finally {
            hv1.detachDevice(RealHosts.GUEST, plain);
            hv1.awaitDeviceRemoved(RealHosts.GUEST, "ua-plain", Duration.ofSeconds(30));
        }
        assertThat(hv1.guestFailover(RealHosts.GUEST, "ua-plain")).as("no such device any more").isEmpty();
        assertThat(hv1.guestFailover("no-such-vm", RealHosts.STANDBY_ALIAS)).isEmpty();
        System.out.printf("REALHV guest failover: teamed %s, plain NotOffered%n", teamed.orElseThrow());
    }

    @Test
    @Order(3)
    void theRealQemuDriverAcceptsTheXmlOurBuilderProducesAndRefusesWhatWeFlag() throws Exception {
        String standby = TeamingXml.standbyInterface(RealHosts.GUEST_MAC, "ua-net0", "enp6s0f0s0", true);
        String primary = TeamingXml.primaryInterface(RealHosts.GUEST_MAC, VF, "ua-net0", "ua-sriov0");
        String xml = "<domain type='qemu'><name>builder-check</name><memory unit='MiB'>64</memory>"
                + "<os><type arch='x86_64' machine='q35'>hvm</type></os><devices>" + standby + primary
                + "</devices></domain>";
        org.libvirt.Connect c = new org.libvirt.Connect(hosts.unixUri("hv1"));
        try {
            org.libvirt.Domain d = c.domainDefineXML(xml);
            try {
                String back = d.getXMLDesc(0);
                TeamingReport r = TeamingXml.inspect(back);
                assertThat(r.problems()).as("our builder's pair, as libvirt stored it").isEmpty();
                assertThat(r.primaryPciAddress()).isEqualTo(VF);
                assertThat(r.primaryAlias()).isEqualTo("ua-sriov0");
                assertThat(back).contains("<teaming type='persistent'/>")
                        .contains("<teaming type='transient' persistent='ua-net0'/>");
            } finally {
                d.undefine();
                d.free();
            }
            // what our validation flags, the real driver refuses as well: a persistent teaming NIC that is not virtio
            String e1000 = standby.replace("type=\"virtio\"", "type=\"e1000\"");
            assertThat(TeamingXml.inspect("<domain><devices>" + e1000 + "</devices></domain>").valid()).isFalse();
            assertThatThrownBy(() -> c.domainDefineXML(xml.replace(standby, e1000).replace(primary, "")))
                    .hasMessageContaining("must be <model type='virtio'/>");
        } finally {
            c.close();
        }
        // and the boundary of this machine: no VFIO, so the real VF XML cannot be hot-plugged here
        assertThatThrownBy(() -> hv1.attachDevice(RealHosts.GUEST, primary))
                .isInstanceOf(HypervisorException.class)
                .hasMessageContaining("host doesn't support passthrough of host PCI devices");
        // nor can the stand-in carry transient teaming (the qemu driver wants type='hostdev' for it)
        String standInWithTeaming = STAND_IN.deviceXml(RealHosts.GUEST_MAC, VF, "ua-net0", null)
                .replace("</interface>", "<teaming type=\"transient\" persistent=\"ua-net0\"/></interface>");
        assertThatThrownBy(() -> hv1.attachDevice(RealHosts.GUEST, standInWithTeaming))
                .hasMessageContaining("teaming transient interface must be type='hostdev'");
    }

    @Test
    @Order(4)
    void attachesThePrimaryTheGuestTeamsItAndDetachAwaitsTheDeviceRemovedEvent() throws Exception {
        long mark = hosts.serialSize();
        hv1.attachDevice(RealHosts.GUEST, STAND_IN.deviceXml(RealHosts.GUEST_MAC, VF, "ua-net0", null));
        hosts.awaitSerial("failover primary slave", mark, Duration.ofSeconds(30));
        TeamingReport attached = TeamingXml.inspect(hv1.domain(RealHosts.GUEST).orElseThrow().xml(), STAND_IN);
        assertThat(attached.problems()).isEmpty();
        assertThat(attached.primaryAttached()).isTrue();
        assertThat(attached.primaryPciAddress()).isEqualTo(VF);
        assertThat(attached.primaryAlias()).isEqualTo("ua-vf-0000-06-00-1");
        awaitEvent("ua-vf-0000-06-00-1", DeviceEvent.Kind.ADDED, Duration.ofSeconds(10));
        // What the target agent does after each plug: QEMU 7.2 takes announce-self through libvirt's monitor and
        // sends RARPs from the guest's NICs (five rounds by default), which reach the client over the guest LAN.
        Process quiet = hosts.startAnnounceCount(1.5);
        long unannounced = RealHosts.frames(quiet);
        Process count = hosts.startAnnounceCount(3);
        Thread.sleep(300); // the counter's socket is open
        hv1.announceGuest(RealHosts.GUEST);
        long announced = RealHosts.frames(count);
        System.out.printf("REALHV announce-self: %d RARP frames from the guest's MAC in 3 s (%d in 1.5 s before)%n",
                announced, unannounced);
        assertThat(unannounced).as("no RARP without an announce").isZero();
        assertThat(announced).as("RARPs after announce-self").isGreaterThanOrEqualTo(5);
        // VF-state migration's host facts: QEMU's and libvirt's versions as libvirt reports them. Not asked of hv2,
        // the next migration's target: on this tier any first query that makes hv2's libvirt look up its QEMU
        // capabilities upsets that migration (decision 022).
        assertThat(hv1.versions()).hasValueSatisfying(v -> {
            assertThat(v.hypervisor()).startsWith("7.2.");
            assertThat(v.libvirt()).startsWith("9.0.");
        });
        // the guest answers through its failover master while the primary is in, once the primary's link is up:
        // 1.8-2.9 s after its driver opened it (docs/real-hypervisors.md), longer when TCG is slowed. A fixed 3 s
        // wait let one CI run probe while net_failover moved to the primary: 197 echoes of 2,000, then none.
        hosts.awaitSerial("NIC Link is Up", mark, Duration.ofSeconds(30));
        Probe withPrimary = hosts.probe(2000, 1);
        assertThat(withPrimary.echoed()).as("echoes with the primary attached: %s; guest's serial since the attach:%n%s",
                withPrimary, hosts.serialSince(mark)).isGreaterThan(1000);

        Instant before = Instant.now();
        hv1.detachDevice(RealHosts.GUEST, attached.primaryXml());
        Optional<Instant> removed = hv1.awaitDeviceRemoved(RealHosts.GUEST, attached.primaryAlias(),
                Duration.ofSeconds(30));
        assertThat(removed).isPresent();
        assertThat(removed.get()).isAfterOrEqualTo(before);
        assertThat(events).anySatisfy(e -> {
            assertThat(e.alias()).isEqualTo("ua-vf-0000-06-00-1");
            assertThat(e.kind()).isEqualTo(DeviceEvent.Kind.REMOVED);
            assertThat(e.domain()).isEqualTo(RealHosts.GUEST);
        });
        assertThat(TeamingXml.inspect(hv1.domain(RealHosts.GUEST).orElseThrow().xml(), STAND_IN).primaryAttached())
                .isFalse();
        Probe standbyOnly = hosts.probe(2000, 1);
        assertThat(standbyOnly.echoed()).as("echoes on the standby path: %s", standbyOnly).isGreaterThan(1000);
        System.out.printf("REALHV detach: event %s after the request%n", Duration.between(before, removed.get()));
    }

    @Test
    @Order(5)
    void migratesLiveToHv2WithEveryOptionReportingProgressAndDowntime() throws Exception {
        // 32 MiB/s: the ~80 MiB the guest really uses take a few seconds, so job stats with data are seen for sure
        MigrationRequest request = new MigrationRequest(RealHosts.tcpUri("hv2"), 300, 32, true, false, true, true,
                null, PLAIN_PEER_TO_PEER);
        Process probe = hosts.startProbe(5000, 6);
        Thread.sleep(500);
        CompletableFuture<MigrationResult> done = hv1.startMigration(RealHosts.GUEST, request).toCompletableFuture();
        List<JobStats> samples = new CopyOnWriteArrayList<>();
        while (!done.isDone()) {
            try {
                hv1.jobStats(RealHosts.GUEST).ifPresent(samples::add);
            } catch (HypervisorException e) {
                // the domain left hv1 between two samples
            }
            Thread.sleep(20);
        }
        MigrationResult result = done.get(1, TimeUnit.SECONDS);
        Probe p = RealHosts.finish(probe);
        System.out.printf("REALHV migrate hv1->hv2: %s; %d job samples, last %s; probe %s%n", result, samples.size(),
                samples.isEmpty() ? null : samples.get(samples.size() - 1), p);

        assertThat(result.succeeded()).as("migration result %s", result).isTrue();
        assertThat(result.downtimeMs()).as("libvirt's measured downtime").isNotNull().isPositive();
        assertThat(samples).as("job stats while migrating").isNotEmpty();
        assertThat(samples).anySatisfy(s -> assertThat(s.dataTotalBytes()).isPositive());
        assertThat(hv1.domain(RealHosts.GUEST)).as("undefined on the source").isEmpty();
        DomainSnapshot there = hv2.domain(RealHosts.GUEST).orElseThrow();
        assertThat(there.isRunning()).isTrue();
        assertThat(there.persistent()).as("persistent on the destination").isTrue();
        assertThat(p.echoed()).as("the guest kept answering: %s", p).isGreaterThan(p.sent() / 2);
    }

    @Test
    @Order(6)
    void abortsARunningMigrationAndTheGuestStaysWhereItWas() throws Exception {
        // 1 MiB/s: long enough to abort in flight
        MigrationRequest slow = new MigrationRequest(RealHosts.tcpUri("hv1"), 300, 1, false, false, true, true, null,
                PLAIN_PEER_TO_PEER);
        CompletableFuture<MigrationResult> done = hv2.startMigration(RealHosts.GUEST, slow).toCompletableFuture();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        Optional<JobStats> stats = Optional.empty();
        while (System.nanoTime() < deadline && (stats.isEmpty() || stats.get().dataProcessedBytes() == 0)) {
            stats = hv2.jobStats(RealHosts.GUEST);
            Thread.sleep(50);
        }
        assertThat(stats).as("a running migration job").isPresent();
        hv2.abortJob(RealHosts.GUEST);
        MigrationResult result = done.get(60, TimeUnit.SECONDS);
        System.out.printf("REALHV abort: %s after %s%n", result, stats.get());

        assertThat(result.succeeded()).isFalse();
        assertThat(result.aborted()).as("reported as aborted: %s", result).isTrue();
        assertThat(hv2.domain(RealHosts.GUEST).orElseThrow().isRunning()).isTrue();
        assertThat(hv1.domain(RealHosts.GUEST)).isEmpty();
        assertThat(hv2.jobStats(RealHosts.GUEST)).isEmpty();
        hv2.abortJob(RealHosts.GUEST); // nothing runs: a no-op
        Probe p = hosts.probe(2000, 1);
        assertThat(p.echoed()).as("still answering on hv2: %s", p).isGreaterThan(1000);
    }

    @Test
    @Order(7)
    void theTargetsLibvirtSaysWhichCpuItCanRunAndAMigrationToItRightAfterGoesWell() throws Exception {
        // The production question (checkCpu on the target's migration URI), asked of hv1 about domains on hv2, where
        // the guest runs now: qemu64 TCG runs; AVX-512, which TCG does not emulate, it cannot; host-passthrough is not
        // comparable. Asked only now, after the migrations above: on this tier a target daemon's first QEMU
        // capabilities lookup before its first incoming migration (any, also `virsh version`) upsets that migration
        // (decision 022); hv1 has run the guest, as production targets have run domains.
        String base = "<domain type='qemu'><name>NAME</name><memory unit='MiB'>64</memory><os><type arch='x86_64'"
                + " machine='q35'>hvm</type></os>CPU<devices/></domain>";
        String target = RealHosts.tcpUri("hv1");
        org.libvirt.Connect c = new org.libvirt.Connect(hosts.unixUri("hv2"));
        List<org.libvirt.Domain> defined = new ArrayList<>();
        try {
            defined.add(c.domainDefineXML(base.replace("NAME", "cpu-avx512").replace("CPU",
                    "<cpu mode='custom' match='exact'><model fallback='forbid'>qemu64</model>"
                            + "<feature policy='require' name='avx512f'/></cpu>")));
            defined.add(c.domainDefineXML(base.replace("NAME", "cpu-passthrough").replace("CPU",
                    "<cpu mode='host-passthrough'/>")));
            Hypervisor.CpuCheck guest = hv2.checkCpu(RealHosts.GUEST, target);
            Hypervisor.CpuCheck avx = hv2.checkCpu("cpu-avx512", target);
            assertThat(guest.compatible()).as(guest.detail()).isTrue();
            assertThat(avx.compatible()).as(avx.detail()).isFalse();
            assertThat(avx.detail()).contains("avx512f");
            assertThat(hv2.checkCpu("cpu-passthrough", target).compatible()).isNull();
            assertThat(hv2.checkCpu("no-such-domain", target).compatible())
                    .as("a domain hv2 cannot read is not compared, and no failure of the target's").isNull();
            assertThatThrownBy(() -> hv2.checkCpu(RealHosts.GUEST, hosts.unixUri("hv1")))
                    .as("checkCpu opens only migration URIs").hasMessageContaining("is not one sriovlm opens");
            System.out.printf("REALHV cpu: guest %s; qemu64+avx512f %s%n", guest.detail(), avx.detail());
        } finally {
            for (org.libvirt.Domain d : defined) {
                d.undefine();
                d.free();
            }
            c.close();
        }
        // the migration the check guards, right after it, to the host that answered
        MigrationRequest request = new MigrationRequest(target, 300, null, true, false, true, true, null,
                PLAIN_PEER_TO_PEER);
        Process probe = hosts.startProbe(5000, 6);
        Thread.sleep(500);
        MigrationResult result = hv2.startMigration(RealHosts.GUEST, request).toCompletableFuture()
                .get(120, TimeUnit.SECONDS);
        Probe p = RealHosts.finish(probe);
        System.out.printf("REALHV migrate hv2->hv1 after the CPU check: %s; probe %s%n", result, p);
        assertThat(result.succeeded()).as("migration result %s", result).isTrue();
        assertThat(hv1.domain(RealHosts.GUEST).orElseThrow().isRunning()).isTrue();
        // The network claim is the longest silence. How many of 5,000 echoes a second the TCG guest keeps up with
        // during an uncapped copy depends on how much of the 2 CPUs it gets: 84-98 % in most runs, once 20 % with
        // no gap over 16 ms. So: answered all along, no gap longer than a switchover, and answering after it.
        assertThat(p.maxGapMs()).as("longest silence: %s", p).isLessThan(1000);
        assertThat(p.echoed()).as("answered all along: %s", p).isGreaterThan(p.sent() / 10);
        Probe after = hosts.probe(2000, 1);
        assertThat(after.echoed()).as("answering on hv1 after it: %s", after).isGreaterThan(1000);
    }

    @Test
    @Order(8)
    void libvirtReportsItsStoragePoolsWithWhereTheirVolumesAre() throws Exception {
        // A transient dir pool on hv1's libvirt is reported with its path (PreflightStorage's input). Last: it changes
        // the host the migrations above use.
        org.libvirt.Connect c = new org.libvirt.Connect(hosts.unixUri("hv1"));
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("sriovlm-pool");
        try {
            org.libvirt.StoragePool pool = c.storagePoolCreateXML("<pool type='dir'><name>sriovlm-check</name><target>"
                    + "<path>" + dir + "</path></target></pool>", 0);
            try {
                assertThat(hv1.storagePools()).hasValueSatisfying(pools -> assertThat(pools)
                        .contains(new Hypervisor.StoragePool("sriovlm-check", "dir", dir.toString())));
            } finally {
                pool.destroy();
                pool.free();
            }
            assertThat(hv1.storagePools()).hasValueSatisfying(pools -> assertThat(pools)
                    .extracting(Hypervisor.StoragePool::name).doesNotContain("sriovlm-check"));
        } finally {
            java.nio.file.Files.deleteIfExists(dir);
            c.close();
        }
    }

    private static void awaitEvent(String alias, DeviceEvent.Kind kind, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (events.stream().anyMatch(e -> e.alias().equals(alias) && e.kind() == kind)) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no " + kind + " event for " + alias + " within " + timeout + "; got " + events);
    }
}
