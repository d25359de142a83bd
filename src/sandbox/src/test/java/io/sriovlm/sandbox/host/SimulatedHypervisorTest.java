package io.sriovlm.sandbox.host;

import io.sriovlm.api.v1alpha1.MigrationTransport;
import io.sriovlm.agent.libvirt.Hypervisor;
import io.sriovlm.agent.libvirt.Hypervisor.DeviceEvent;
import io.sriovlm.agent.libvirt.Hypervisor.DomainSnapshot;
import io.sriovlm.agent.libvirt.Hypervisor.DomainState;
import io.sriovlm.agent.libvirt.Hypervisor.JobStats;
import io.sriovlm.agent.libvirt.Hypervisor.MigrationRequest;
import io.sriovlm.agent.libvirt.Hypervisor.MigrationResult;
import io.sriovlm.agent.libvirt.HypervisorException;
import io.sriovlm.agent.libvirt.TeamingXml;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

class SimulatedHypervisorTest {

    static final String UUID1 = "6a3f1e52-8f7c-4a3e-9d1b-0c2f5e7a9b11";
    static final String MAC = "52:54:00:53:53:53";

    static final String STANDBY = "<interface type='direct'><mac address='" + MAC + "'/>"
            + "<source dev='meth0' mode='passthrough'/><model type='virtio'/><teaming type='persistent'/>"
            + "<alias name='ua-net0'/></interface>";

    static String vf(String function, boolean transientTeaming) {
        return "<interface type='hostdev' managed='yes'><mac address='" + MAC + "'/>"
                + "<source><address type='pci' domain='0x0000' bus='0x06' slot='0x00' function='" + function
                + "'/></source>" + (transientTeaming ? "<teaming type='transient' persistent='ua-net0'/>" : "")
                + "</interface>";
    }

    static String domainXml(String name, String uuid, String... devices) {
        return "<domain type='kvm'><name>" + name + "</name>" + (uuid == null ? "" : "<uuid>" + uuid + "</uuid>")
                + "<memory unit='MiB'>512</memory><vcpu>1</vcpu><devices>" + String.join("", devices)
                + "</devices></domain>";
    }

    static MigrationRequest to(String host, String destXml) {
        return new MigrationRequest(SimulatedFabric.uriOf(host), 300, null, false, false, true, true, destXml,
                MigrationTransport.DEFAULT);
    }

    SimulatedFabric fabric;
    SimulatedHypervisor hv1;
    SimulatedHypervisor hv2;
    final List<DeviceEvent> events1 = new CopyOnWriteArrayList<>();
    final List<DeviceEvent> events2 = new CopyOnWriteArrayList<>();

    @BeforeEach
    void setUp() {
        fabric = new SimulatedFabric();
        hv1 = fabric.newHost("hv1");
        hv2 = fabric.newHost("hv2");
        hv1.addDeviceListener(events1::add);
        hv2.addDeviceListener(events2::add);
        hv1.setCopyTime(Duration.ofMillis(50));
    }

    @AfterEach
    void tearDown() {
        fabric.close();
    }

    String xml(SimulatedHypervisor hv, String name) {
        return hv.domain(name).orElseThrow().xml();
    }

    @Test
    void checkCpuNamesTheRequiredFeaturesTheTargetLacksAndDoesNotBlameItForADomainMissingHere() throws Exception {
        hv2.setCpuFeaturesMissing("avx512f", "x2apic", "sse4.2", "vmx");
        hv1.define("<domain type='kvm'><name>vm-avx</name><memory unit='MiB'>512</memory><vcpu>1</vcpu><os><type"
                + " arch='x86_64' machine='q35'>hvm</type></os><cpu mode='custom' match='exact'><model>qemu64</model>"
                + "<feature policy='require' name='avx512f'/><feature name='x2apic'/>"
                + "<feature policy='disable' name='sse4.2'/><feature policy='optional' name='vmx'/></cpu><devices/>"
                + "</domain>", true);

        Hypervisor.CpuCheck check = hv1.checkCpu("vm-avx", SimulatedFabric.uriOf("hv2"));
        assertThat(check.compatible()).as(check.detail()).isFalse();
        assertThat(check.detail()).as("required, and required by default; not the disabled or optional ones")
                .endsWith("features: avx512f, x2apic");

        Hypervisor.CpuCheck missing = hv1.checkCpu("vm-gone", SimulatedFabric.uriOf("hv2"));
        assertThat(missing.compatible()).as("not compared, and no failure of the target's").isNull();
        assertThat(missing.detail()).contains("no domain 'vm-gone' on hv1");
        assertThatThrownBy(() -> hv1.checkCpu("vm-avx", SimulatedFabric.uriOf("hv9")))
                .as("a target that does not answer is the caller's to hold against it")
                .isInstanceOf(HypervisorException.class);
    }

    @Test
    void defineAssignsAliasesAndReportsTheDomain() throws Exception {
        DomainSnapshot d = hv1.define(domainXml("vm-01", null, STANDBY, vf("0x1", true)), true);
        assertThat(d.isRunning()).isTrue();
        assertThat(d.persistent()).isTrue();
        assertThat(d.uuid()).isNotBlank();
        assertThat(d.xml()).contains("<alias name=\"ua-net0\"/>").contains("<alias name=\"hostdev0\"/>");
        assertThat(hv1.listDomains()).extracting(DomainSnapshot::name).containsExactly("vm-01");
        assertThat(hv2.domain("vm-01")).isEmpty();
    }

    @Test
    void detachCompletesAsynchronouslyWithAnEvent() throws Exception {
        hv1.setDetachDelay(Duration.ofMillis(80));
        hv1.define(domainXml("vm-01", UUID1, STANDBY, vf("0x1", true)), true);
        Instant asked = Instant.now();
        hv1.detachDevice("vm-01", vf("0x1", true));
        // accepted, but the guest has not released it yet
        assertThat(xml(hv1, "vm-01")).contains("hostdev0");
        assertThat(events1).isEmpty();
        assertThatThrownBy(() -> hv1.detachDevice("vm-01", vf("0x1", true)))
                .hasMessageContaining("already in the process of unplug");

        Optional<Instant> removed = hv1.awaitDeviceRemoved("vm-01", "hostdev0", Duration.ofSeconds(5));
        assertThat(removed).isPresent();
        assertThat(Duration.between(asked, removed.get())).isGreaterThanOrEqualTo(Duration.ofMillis(70));
        assertThat(xml(hv1, "vm-01")).doesNotContain("hostdev0").doesNotContain("type=\"hostdev\"")
                .contains("ua-net0");
        await().atMost(2, TimeUnit.SECONDS).until(() -> events1.size() == 1);
        assertThat(events1.get(0)).isEqualTo(new DeviceEvent("vm-01", "hostdev0", DeviceEvent.Kind.REMOVED,
                removed.get()));
        // already gone: at once, with the recorded time
        assertThat(hv1.awaitDeviceRemoved("vm-01", "hostdev0", Duration.ZERO)).contains(removed.get());
    }

    @Test
    void detachMatchesByAliasAndRefusesAnUnknownDevice() throws Exception {
        hv1.define(domainXml("vm-01", UUID1, STANDBY, vf("0x1", true)), true);
        assertThatThrownBy(() -> hv1.detachDevice("vm-01", vf("0x1", true).replace(MAC, "52:54:00:00:00:01")))
                .isInstanceOf(HypervisorException.class).hasMessageContaining("device not found");
        assertThatThrownBy(() -> hv1.detachDevice("vm-01", "<hostdev mode='subsystem' type='pci'><alias name='x'/></hostdev>"))
                .isInstanceOf(HypervisorException.class).hasMessageContaining("device not found");
        assertThatThrownBy(() -> hv1.detachDevice("vm-09", vf("0x1", true)))
                .isInstanceOf(HypervisorException.class).hasMessageContaining("Domain not found");
        hv1.detachDevice("vm-01", "<interface type='hostdev'><alias name='hostdev0'/></interface>");
        assertThat(hv1.awaitDeviceRemoved("vm-01", "hostdev0", Duration.ofSeconds(5))).isPresent();
    }

    @Test
    void detachFaults() throws Exception {
        hv1.define(domainXml("vm-01", UUID1, STANDBY, vf("0x1", true)), true);
        hv1.faults().failNextDetach("internal error: unable to execute QEMU command 'device_del': boom");
        assertThatThrownBy(() -> hv1.detachDevice("vm-01", vf("0x1", true))).hasMessageContaining("boom");

        hv1.faults().dropNextDeviceRemovedEvent();
        hv1.detachDevice("vm-01", vf("0x1", true));
        assertThat(hv1.awaitDeviceRemoved("vm-01", "hostdev0", Duration.ofMillis(150))).isEmpty();
        assertThat(xml(hv1, "vm-01")).contains("hostdev0");
        assertThat(events1).isEmpty();
    }

    @Test
    void xmlWithADoctypeIsRefused() {
        String evil = "<?xml version='1.0'?><!DOCTYPE d [<!ENTITY x SYSTEM 'file:///etc/passwd'>]>"
                + "<domain><name>&x;</name></domain>";
        assertThatThrownBy(() -> hv1.define(evil, true)).isInstanceOf(HypervisorException.class)
                .hasMessageContaining("XML error");
    }

    @Test
    void attachAssignsAnAliasFiresAddedAndRefusesAPciFunctionInUse() throws Exception {
        hv1.define(domainXml("vm-01", UUID1, STANDBY), true);
        hv1.define(domainXml("vm-02", null, STANDBY.replace("ua-net0", "ua-net1").replace("meth0", "meth1")
                .replace(MAC, "52:54:00:54:54:54")), true);
        hv1.attachDevice("vm-02", vf("0x2", true).replace(MAC, "52:54:00:54:54:54"));
        assertThat(xml(hv1, "vm-02")).contains("<alias name=\"hostdev0\"/>");
        await().atMost(2, TimeUnit.SECONDS).until(() -> events1.size() == 1);
        assertThat(events1.get(0).kind()).isEqualTo(DeviceEvent.Kind.ADDED);
        assertThat(events1.get(0).alias()).isEqualTo("hostdev0");

        assertThatThrownBy(() -> hv1.attachDevice("vm-01", vf("0x2", true)))
                .isInstanceOf(HypervisorException.class)
                .hasMessage("Requested operation is not valid: PCI device 0000:06:00.2 is in use by driver QEMU,"
                        + " domain vm-02");
        assertThat(xml(hv1, "vm-01")).doesNotContain("type=\"hostdev\"");
        // another function is fine, and the alias numbering follows libvirt's
        hv1.attachDevice("vm-01", vf("0x1", true));
        assertThat(xml(hv1, "vm-01")).contains("<alias name=\"hostdev0\"/>");
    }

    @Test
    void anUnchangedDomainIsSerializedOnceAndEveryChangeIsSeen() throws Exception {
        hv1.define(domainXml("vm-01", UUID1, STANDBY), true);
        String first = xml(hv1, "vm-01");
        assertThat(xml(hv1, "vm-01")).as("the text kept while the domain is unchanged").isSameAs(first);
        hv1.updateDevice("vm-01", STANDBY.replace("<alias", "<link state='down'/><alias"));
        String updated = xml(hv1, "vm-01");
        assertThat(updated).isNotEqualTo(first).contains("<link state=\"down\"/>");
        hv1.attachDevice("vm-01", vf("0x1", true));
        assertThat(xml(hv1, "vm-01")).contains("<alias name=\"hostdev0\"/>").contains("<link state=\"down\"/>");
    }

    @Test
    void updateDeviceChangesTheLinkState() throws Exception {
        hv1.define(domainXml("vm-01", UUID1, STANDBY), true);
        hv1.updateDevice("vm-01", STANDBY.replace("<alias", "<link state='down'/><alias"));
        assertThat(xml(hv1, "vm-01")).contains("<link state=\"down\"/>").contains("ua-net0");
        hv1.updateDevice("vm-01", STANDBY.replace("<alias name='ua-net0'/>", "<link state='up'/>"));
        assertThat(xml(hv1, "vm-01")).contains("<link state=\"up\"/>").contains("ua-net0")
                .doesNotContain("state=\"down\"");
        assertThatThrownBy(() -> hv1.updateDevice("vm-01", STANDBY.replace("ua-net0", "ua-net7")))
                .hasMessageContaining("device not found");
    }

    @Test
    void migrationIsRefusedWithAHostdevAttached() throws Exception {
        hv1.define(domainXml("vm-01", UUID1, STANDBY, vf("0x1", false)), true);
        assertThatThrownBy(() -> hv1.startMigration("vm-01", to("hv2", null)))
                .isInstanceOf(HypervisorException.class)
                .hasMessage("Requested operation is not valid: domain has assigned non-USB host devices");
        hv1.define(domainXml("vm-02", null,
                "<hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x0000' bus='0x06'"
                        + " slot='0x00' function='0x3'/></source></hostdev>"), true);
        assertThatThrownBy(() -> hv1.startMigration("vm-02", to("hv2", null)))
                .hasMessageContaining("non-USB host devices");
        assertThatThrownBy(() -> hv1.startMigration("vm-01", to("hv9", null)))
                .hasMessageContaining("qemu+tls://hv9/system");
        assertThat(hv2.listDomains()).isEmpty();
    }

    @Test
    void aVfBoundToAVariantDriverMigratesAttachedToTheDestinationsVf() throws Exception {
        hv1.setCopyTime(Duration.ZERO);
        String hostdev = "<hostdev mode='subsystem' type='pci' managed='no'><source><address domain='0x0000'"
                + " bus='0x06' slot='0x00' function='0x3'/></source></hostdev>";
        hv1.define(domainXml("vm-02", UUID1, hostdev), true);
        List<DeviceEvent> events = new java.util.concurrent.CopyOnWriteArrayList<>();
        hv1.addDeviceListener(events::add);
        hv2.addDeviceListener(events::add);
        String dest = TeamingXml.withPassthroughPciAddress(xml(hv1, "vm-02"), "0000:06:00.3", "0000:06:00.5");

        hv1.setStateMigratableVfs("0000:06:00.3"::equals);
        assertThatThrownBy(() -> hv1.startMigration("vm-02", to("hv2", dest)))
                .as("the destination's VF cannot take the state").hasMessageContaining("0000:06:00.5 on hv2 does not"
                        + " support migration");
        hv2.setStateMigratableVfs(pci -> true);
        assertThatThrownBy(() -> hv1.startMigration("vm-02", to("hv2", null)))
                .as("the source's address is not a VF of hv2").hasMessageContaining("needs a destination XML");

        MigrationResult result = hv1.startMigration("vm-02", to("hv2", dest)).toCompletableFuture()
                .get(5, TimeUnit.SECONDS);
        assertThat(result.succeeded()).isTrue();
        assertThat(TeamingXml.passedThroughPciAddresses(xml(hv2, "vm-02"))).containsExactly("0000:06:00.5");
        assertThat(hv1.domain("vm-02")).isEmpty();
        assertThat(events).as("no unplug, no plug").isEmpty();
    }

    @Test
    void explicitHandoffMigrationMovesTheDomainAndReportsProgress() throws Exception {
        hv1.setCopyTime(Duration.ofMillis(400));
        hv1.setDowntime(Duration.ofMillis(42));
        hv1.define(domainXml("vm-01", UUID1, STANDBY, vf("0x1", true)), true);
        hv1.detachDevice("vm-01", vf("0x1", true));
        assertThat(hv1.awaitDeviceRemoved("vm-01", "hostdev0", Duration.ofSeconds(5))).isPresent();

        CompletableFuture<MigrationResult> done = hv1.startMigration("vm-01", to("hv2", null)).toCompletableFuture();
        JobStats first = await().atMost(2, TimeUnit.SECONDS).until(() -> hv1.jobStats("vm-01").orElse(null),
                s -> s != null && s.dataProcessedBytes() > 0);
        assertThat(first.dataTotalBytes()).isEqualTo(512L * 1024 * 1024);
        assertThat(first.percent()).isBetween(0, 99);
        assertThat(fabric.hostsRunning("vm-01")).containsExactly("hv1");
        JobStats later = await().atMost(2, TimeUnit.SECONDS).until(() -> hv1.jobStats("vm-01").orElse(null),
                s -> s == null || s.percent() > first.percent());
        if (later != null) {
            assertThat(later.dataRemainingBytes()).isLessThan(first.dataRemainingBytes());
        }

        MigrationResult result = done.get(5, TimeUnit.SECONDS);
        assertThat(result).isEqualTo(MigrationResult.success(42L));
        assertThat(hv1.domain("vm-01")).isEmpty(); // undefineSource
        DomainSnapshot moved = hv2.domain("vm-01").orElseThrow();
        assertThat(moved.state()).isEqualTo(DomainState.RUNNING);
        assertThat(moved.persistent()).isTrue();
        assertThat(moved.uuid()).isEqualTo(UUID1);
        assertThat(moved.xml()).contains("ua-net0");
        assertThat(fabric.hostsRunning("vm-01")).containsExactly("hv2");
        assertThatThrownBy(() -> hv1.jobStats("vm-01")).hasMessageContaining("Domain not found");

        // the target attaches its own VF
        hv2.attachDevice("vm-01", vf("0x3", true));
        assertThat(xml(hv2, "vm-01")).contains("function=\"0x3\"");
    }

    @Test
    void withoutUndefineSourceThePersistentSourceStaysDefinedAndShutOff() throws Exception {
        hv1.setCopyTime(Duration.ZERO);
        hv1.define(domainXml("vm-01", UUID1, STANDBY), true);
        MigrationRequest keep = new MigrationRequest(SimulatedFabric.uriOf("hv2"), null, null, false, false, false,
                false, null, MigrationTransport.DEFAULT);
        assertThat(hv1.startMigration("vm-01", keep).toCompletableFuture().get(5, TimeUnit.SECONDS).succeeded())
                .isTrue();
        assertThat(hv1.domain("vm-01").orElseThrow().state()).isEqualTo(DomainState.SHUTOFF);
        assertThat(hv2.domain("vm-01").orElseThrow().persistent()).isFalse();
        assertThat(fabric.hostsRunning("vm-01")).containsExactly("hv2");
    }

    @Test
    void abortLeavesTheDomainRunningOnTheSource() throws Exception {
        hv1.setCopyTime(Duration.ofSeconds(30));
        hv1.define(domainXml("vm-01", UUID1, STANDBY), true);
        CompletableFuture<MigrationResult> done = hv1.startMigration("vm-01", to("hv2", null)).toCompletableFuture();
        assertThat(hv1.jobStats("vm-01")).isPresent();
        assertThatThrownBy(() -> hv1.startMigration("vm-01", to("hv2", null)))
                .hasMessageContaining("state change lock");
        hv1.abortJob("vm-01");
        MigrationResult result = done.get(5, TimeUnit.SECONDS);
        assertThat(result.succeeded()).isFalse();
        assertThat(result.aborted()).isTrue();
        assertThat(result.error()).contains("canceled by client");
        assertThat(hv1.domain("vm-01").orElseThrow().isRunning()).isTrue();
        assertThat(hv2.domain("vm-01")).isEmpty();
        assertThat(hv1.jobStats("vm-01")).isEmpty();
        hv1.abortJob("vm-01"); // no job: no-op
    }

    @Test
    void injectedFailuresKeepTheDomainOnTheSource() throws Exception {
        hv1.setCopyTime(Duration.ofMillis(5));
        hv1.define(domainXml("vm-01", UUID1, STANDBY), true);
        hv1.faults().failNextMigrations(2, "operation failed: migration out job: unexpectedly failed");
        for (int i = 0; i < 2; i++) {
            MigrationResult r = hv1.startMigration("vm-01", to("hv2", null)).toCompletableFuture()
                    .get(5, TimeUnit.SECONDS);
            assertThat(r).isEqualTo(MigrationResult.failure("operation failed: migration out job: unexpectedly failed",
                    false));
            assertThat(fabric.hostsRunning("vm-01")).containsExactly("hv1");
        }
        assertThat(hv1.startMigration("vm-01", to("hv2", null)).toCompletableFuture().get(5, TimeUnit.SECONDS)
                .succeeded()).isTrue();
        assertThat(fabric.hostsRunning("vm-01")).containsExactly("hv2");

        // a certain failure by probability, seeded
        hv2.setCopyTime(Duration.ZERO);
        hv2.faults().setMigrationFailureProbability(1.0, 7);
        MigrationResult back = hv2.startMigration("vm-01", to("hv1", null)).toCompletableFuture()
                .get(5, TimeUnit.SECONDS);
        assertThat(back.succeeded()).isFalse();
        assertThat(fabric.hostsRunning("vm-01")).containsExactly("hv2");
    }

    @Test
    void automaticHandoffUnplugsOnTheSourceAndPlugsTheDestinationVf() throws Exception {
        hv1.define(domainXml("vm-01", UUID1, STANDBY, vf("0x1", true)), true);
        // hv2's VF 0000:06:00.3 is the one reserved for this VM there
        String destXml = domainXml("vm-01", UUID1, STANDBY, vf("0x3", true));
        MigrationResult r = hv1.startMigration("vm-01", to("hv2", destXml)).toCompletableFuture()
                .get(5, TimeUnit.SECONDS);
        assertThat(r.succeeded()).isTrue();
        await().atMost(2, TimeUnit.SECONDS).until(() -> events1.size() == 1 && events2.size() == 1);
        assertThat(events1.get(0).kind()).isEqualTo(DeviceEvent.Kind.REMOVED);
        assertThat(events1.get(0).alias()).isEqualTo("hostdev0");
        assertThat(events2.get(0)).extracting(DeviceEvent::domain, DeviceEvent::kind)
                .containsExactly("vm-01", DeviceEvent.Kind.ADDED);
        assertThat(xml(hv2, "vm-01")).contains("function=\"0x3\"").contains("<alias name=\"" + events2.get(0).alias()
                + "\"/>").contains("ua-net0");
        assertThat(events1.get(0).at()).isBeforeOrEqualTo(events2.get(0).at());
    }

    @Test
    void automaticHandoffWaitsForTheGuestAndPlugsBackOnAbort() throws Exception {
        hv1.setCopyTime(Duration.ZERO);
        hv1.define(domainXml("vm-01", UUID1, STANDBY, vf("0x1", true)), true);
        hv1.faults().dropNextDeviceRemovedEvent(); // the guest never acknowledges the unplug: QEMU waits forever
        CompletableFuture<MigrationResult> done = hv1.startMigration("vm-01", to("hv2", null)).toCompletableFuture();
        Thread.sleep(100);
        assertThat(done).isNotDone();
        assertThat(hv1.jobStats("vm-01").orElseThrow().dataProcessedBytes()).isZero();
        hv1.abortJob("vm-01");
        assertThat(done.get(5, TimeUnit.SECONDS).aborted()).isTrue();
        assertThat(fabric.hostsRunning("vm-01")).containsExactly("hv1");

        // unplug done, then the copy fails: QEMU plugs the VF back on the source
        hv1.define(domainXml("vm-02", null, STANDBY.replace("ua-net0", "ua-net1"), vf("0x2", true)), true);
        hv1.faults().failNextMigrations(1, "operation failed: migration out job: unexpectedly failed");
        MigrationResult failed = hv1.startMigration("vm-02", to("hv2", null)).toCompletableFuture()
                .get(5, TimeUnit.SECONDS);
        assertThat(failed.succeeded()).isFalse();
        assertThat(xml(hv1, "vm-02")).contains("function=\"0x2\"");
        await().atMost(2, TimeUnit.SECONDS).until(() -> events1.stream().filter(e -> e.domain().equals("vm-02"))
                .map(DeviceEvent::kind).toList().equals(List.of(DeviceEvent.Kind.REMOVED, DeviceEvent.Kind.ADDED)));
    }

    @Test
    void destinationXmlMustDescribeTheSameDomain() throws Exception {
        hv1.define(domainXml("vm-01", UUID1, STANDBY, vf("0x1", true)), true);
        assertThatThrownBy(() -> hv1.startMigration("vm-01", to("hv2", domainXml("vm-02", UUID1, STANDBY))))
                .hasMessageContaining("does not match");
        assertThatThrownBy(() -> hv1.startMigration("vm-01", to("hv2", domainXml("vm-01", UUID1, STANDBY))))
                .hasMessageContaining("hostdev count 0 does not match source 1");
    }

    @Test
    void concurrentMigrationsBothWaysNeverLoseAVm() throws Exception {
        hv1.setCopyTime(Duration.ofMillis(2));
        hv2.setCopyTime(Duration.ofMillis(2));
        hv1.define(domainXml("vm-a", null, STANDBY), true);
        hv2.define(domainXml("vm-b", null, STANDBY), true);
        for (int i = 0; i < 20; i++) {
            SimulatedHypervisor aFrom = i % 2 == 0 ? hv1 : hv2;
            SimulatedHypervisor bFrom = i % 2 == 0 ? hv2 : hv1;
            CompletableFuture<MigrationResult> a = aFrom.startMigration("vm-a",
                    to(i % 2 == 0 ? "hv2" : "hv1", null)).toCompletableFuture();
            CompletableFuture<MigrationResult> b = bFrom.startMigration("vm-b",
                    to(i % 2 == 0 ? "hv1" : "hv2", null)).toCompletableFuture();
            assertThat(a.get(5, TimeUnit.SECONDS).succeeded()).isTrue();
            assertThat(b.get(5, TimeUnit.SECONDS).succeeded()).isTrue();
            assertThat(fabric.hostsRunning("vm-a")).hasSize(1);
            assertThat(fabric.hostsRunning("vm-b")).hasSize(1);
        }
    }
}
