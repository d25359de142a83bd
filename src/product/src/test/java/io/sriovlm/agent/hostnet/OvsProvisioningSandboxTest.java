package io.sriovlm.agent.hostnet;

import io.sriovlm.agent.hostnet.NicProvisioner.Context;
import io.sriovlm.agent.hostnet.NicProvisioner.Report;
import io.sriovlm.api.v1alpha1.HypervisorNicSpec;
import io.sriovlm.api.v1alpha1.HypervisorNicSpec.BondSpec;
import io.sriovlm.api.v1alpha1.HypervisorNicStatus.StepStatus;
import io.sriovlm.testing.host.FakeHostCommands;
import io.sriovlm.testing.host.FakeNicNames;
import io.sriovlm.testing.host.FakeSysfsTree;
import io.sriovlm.testing.host.RecordingCommandRunner;
import io.sriovlm.testing.OvsFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Real Open vSwitch tier: the provisioner's OVS step against ovsdb-server + ovs-vswitchd started by the test
 * (userspace datapath, own sockets, ovs-vswitchd in its own network namespace with veth stand-ins for the PF uplink,
 * the bonds and the representors). The PF, SFs and kernel bonds come from a fake sysfs tree, devlink/ethtool/ip
 * from FakeHostCommands: only OVS is real here.
 */
@Tag("sandbox")
class OvsProvisioningSandboxTest {
    static OvsFixture ovs;

    @TempDir
    Path root;

    @BeforeAll
    static void startOvs() throws Exception {
        ovs = OvsFixture.start();
        ovs.netdevs("ens2", "bond0", "bond1", "en6s0f0pf0sf2", "ens2_2", "up1");
    }

    @AfterAll
    static void stopOvs() {
        if (ovs != null) {
            ovs.close();
        }
    }

    RecordingCommandRunner runner;

    NicProvisioner provisioner(OvsCli cli) {
        FakeSysfsTree tree = FakeSysfsTree.create(root, "ens2", "0000:06:00.0", 4,
                List.of(0, 1, 2, 3).stream().map(i -> FakeSysfsTree.BondDef.standard("ens2", "0000:06:00.0", i)).toList());
        runner = new RecordingCommandRunner(new FakeHostCommands(tree, new ProcessCommandRunner(Duration.ofSeconds(20))));
        return new NicProvisioner(tree.hostNetwork(), runner, cli);
    }

    static HypervisorNicSpec spec(String bridge, String uplink, int... bonds) {
        HypervisorNicSpec spec = new HypervisorNicSpec();
        spec.nodeName = "hv1";
        spec.pf = new HypervisorNicSpec.PhysicalFunction();
        spec.pf.name = "ens2";
        spec.numVfs = 4;
        spec.ovs = new HypervisorNicSpec.OvsBridgeSpec();
        spec.ovs.bridge = bridge;
        spec.ovs.uplink = uplink;
        spec.ovs.datapathType = HypervisorNicSpec.DatapathType.netdev;
        spec.ovs.hwOffload = true;
        spec.ovs.tcPolicy = "skip_sw";
        spec.ovs.maxIdleMs = 100000;
        for (int i : bonds) {
            BondSpec b = new BondSpec();
            b.name = "bond" + i;
            b.sfNetdev = "meth" + i;
            b.sfRepresentor = "en6s0f0pf0sf" + i;
            b.vfRepresentor = "ens2_" + i;
            b.vfIndex = i;
            b.vlan = 100 + i;
            spec.bonds.add(b);
        }
        return spec;
    }

    static StepStatus step(Report r, String name) {
        return r.steps().stream().filter(s -> s.name.equals(name)).findFirst().orElseThrow();
    }

    List<String> ovsChanges() {
        return runner.changes().stream().filter(c -> c.startsWith("ovs-")).toList();
    }

    @Test
    void bridgePortsTagsAndOtherConfigOnRealOvsAndASecondApplyDoesNothing() {
        NicProvisioner p = provisioner(ovs.cli());
        HypervisorNicSpec spec = spec("ovs-sriov", "ens2", 0, 1);
        Report r = p.provision(spec, new Context(1L, null, Map.of(), List::of));
        assertThat(r.syncStatus()).as(r.lastSyncError() + "\n" + ovs.vswitchdLog()).isEqualTo("Succeeded");
        assertThat(step(r, "ovs").result).isEqualTo("Applied");
        assertThat(step(r, "ovs").commands).first().asString().contains("--may-exist add-br ovs-sriov -- set Bridge ovs-sriov "
                + "datapath_type=netdev");

        assertThat(ovs.vsctl("get", "Bridge", "ovs-sriov", "datapath_type").stdout().strip()).isEqualTo("netdev");
        assertThat(ovs.vsctl("list-ports", "ovs-sriov").stdout().strip().split("\n")).containsExactly("bond0", "bond1", "ens2");
        assertThat(ovs.vsctl("get", "Port", "bond0", "tag").stdout().strip()).isEqualTo("100");
        assertThat(ovs.vsctl("get", "Port", "bond1", "tag").stdout().strip()).isEqualTo("101");
        assertThat(ovs.vsctl("get", "Port", "ens2", "tag").stdout().strip()).isEqualTo("[]");
        assertThat(OvsCli.parseMap(ovs.vsctl("get", "Open_vSwitch", ".", "other_config").stdout()))
                .containsEntry("hw-offload", "true").containsEntry("tc-policy", "skip_sw").containsEntry("max-idle", "100000");
        assertThat(r.inventory().ovs().ports()).containsKeys("bond0", "bond1", "ens2");
        assertThat(r.inventory().ovs().datapathType()).isEqualTo("netdev");

        runner.clear();
        Report again = p.provision(spec, new Context(1L, 1L, Map.of(), List::of));
        assertThat(again.steps()).allSatisfy(s -> assertThat(s.result).isEqualTo("Unchanged"));
        assertThat(ovsChanges()).isEmpty();

        // drift behind the agent's back: a port removed, a tag changed
        assertThat(ovs.vsctl("del-port", "ovs-sriov", "bond1").succeeded()).isTrue();
        assertThat(ovs.vsctl("set", "Port", "bond0", "tag=7").succeeded()).isTrue();
        Report drift = p.provision(spec, new Context(1L, 1L, Map.of(), List::of));
        assertThat(drift.drift()).anySatisfy(d -> assertThat(d).contains("add-port ovs-sriov bond1 tag=101"))
                .anySatisfy(d -> assertThat(d).contains("set Port bond0 tag=100"));
        assertThat(ovsChanges()).isEmpty();
        assertThat(ovs.vsctl("get", "Port", "bond0", "tag").stdout().strip()).isEqualTo("7");

        spec.repair = true;
        Report repaired = p.provision(spec, new Context(1L, 1L, Map.of(), List::of));
        assertThat(repaired.syncStatus()).as(repaired.lastSyncError()).isEqualTo("Succeeded");
        assertThat(ovs.vsctl("get", "Port", "bond0", "tag").stdout().strip()).isEqualTo("100");
        assertThat(ovs.vsctl("get", "Port", "bond1", "tag").stdout().strip()).isEqualTo("101");
    }

    @Test
    void anOvsThatIsDownIsAPreciseFailureAfterTheStepsBeforeIt() {
        NicProvisioner p = provisioner(new OvsCli(ovs.dbSocket() + ".gone", ovs.vswitchdControl(), 2));
        Report r = p.provision(spec("ovs-down", "up1"), new Context(1L, null, Map.of(), List::of));
        assertThat(r.syncStatus()).isEqualTo("Failed");
        assertThat(step(r, "ovs").result).isEqualTo("Failed");
        assertThat(r.lastSyncError()).startsWith("step ovs: Open vSwitch is not reachable: `ovs-vsctl --db=unix:")
                .contains("get Open_vSwitch . other_config` failed: ")
                .contains("database connection failed");
        assertThat(r.conditions()).anySatisfy(c -> assertThat(c.message()).contains("applied before it: nothing")
                .contains("not run: nothing"));
    }

    @Test
    void ovsActiveBackupBondsAsTheSecondBackend() {
        NicProvisioner p = provisioner(ovs.cli());
        HypervisorNicSpec spec = spec("ovs-bonds", "up1", 2);
        spec.ovs.bondBackend = HypervisorNicSpec.BondBackend.ovs;
        Report r = p.provision(spec, new Context(1L, null, Map.of(), List::of));
        assertThat(r.syncStatus()).as(r.lastSyncError() + "\n" + ovs.vswitchdLog()).isEqualTo("Succeeded");
        assertThat(step(r, "ovs").commands).contains("ovs-appctl --target=" + ovs.vswitchdControl()
                + " --timeout=10 bond/set-active-member bond2 en6s0f0pf0sf2");
        assertThat(ovs.vsctl("get", "Port", "bond2", "bond_mode", "tag").stdout().strip()).isEqualTo("active-backup\n102");
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(
                OvsCli.activeMember(ovs.appctl("bond/show", "bond2").stdout())).contains("en6s0f0pf0sf2"));

        // the VF of bond2 is attached to a running VM: the fast path should be active; the agent's repair moves it
        spec.repair = true;
        Context attached = new Context(1L, 1L, Map.of(FakeNicNames.pciAddressOfVf("0000:06:00.0", 2), "vm-03"), List::of);
        Report repaired = p.provision(spec, attached);
        assertThat(repaired.syncStatus()).as(repaired.lastSyncError()).isEqualTo("Succeeded");
        assertThat(repaired.drift()).singleElement().asString().contains("bond2").contains("should be ens2_2");
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(
                OvsCli.activeMember(ovs.appctl("bond/show", "bond2").stdout())).contains("ens2_2"));
        assertThat(p.provision(spec, attached).drift()).isEmpty();
    }
}
