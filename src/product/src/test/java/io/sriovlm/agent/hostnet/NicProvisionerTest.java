package io.sriovlm.agent.hostnet;

import io.sriovlm.agent.hostnet.CommandRunner.CommandResult;
import io.sriovlm.agent.hostnet.NicProvisioner.ConditionUpdate;
import io.sriovlm.agent.hostnet.NicProvisioner.Context;
import io.sriovlm.agent.hostnet.NicProvisioner.Report;
import io.sriovlm.api.v1alpha1.HypervisorNicSpec;
import io.sriovlm.api.v1alpha1.HypervisorNicSpec.BondSpec;
import io.sriovlm.api.v1alpha1.HypervisorNicStatus.StepStatus;
import io.sriovlm.testing.host.FakeHostCommands;
import io.sriovlm.testing.host.FakeOvs;
import io.sriovlm.testing.host.FakeNicNames;
import io.sriovlm.testing.host.FakeSysfsTree;
import io.sriovlm.testing.host.RecordingCommandRunner;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The provisioning engine over a fake ConnectX tree, with devlink/ethtool/ip/OVS answered by a recording runner. */
class NicProvisionerTest {
    static final String PF = "ens2";
    static final String PCI = "0000:06:00.0";

    @TempDir
    Path root;

    FakeSysfsTree tree;
    FakeOvs ovs;
    RecordingCommandRunner runner;
    NicProvisioner provisioner;

    @BeforeEach
    void setUp() {
        tree = FakeSysfsTree.createBare(root, PF, PCI, 8);
        ovs = new FakeOvs();
        runner = new RecordingCommandRunner(new FakeHostCommands(tree, ovs));
        provisioner = new NicProvisioner(tree.hostNetwork(), runner, OvsCli.system());
    }

    static HypervisorNicSpec runbookSpec() {
        HypervisorNicSpec spec = new HypervisorNicSpec();
        spec.nodeName = "hv1";
        spec.pf = new HypervisorNicSpec.PhysicalFunction();
        spec.pf.name = PF;
        spec.pf.pciAddress = PCI;
        spec.numVfs = 2;
        spec.eswitchMode = HypervisorNicSpec.EswitchMode.switchdev;
        spec.hwTcOffload = true;
        spec.sfs = new HypervisorNicSpec.SubFunctionSpec();
        spec.sfs.count = 2;
        spec.ovs = new HypervisorNicSpec.OvsBridgeSpec();
        spec.ovs.bridge = "ovs-sriov";
        spec.ovs.uplink = PF;
        spec.ovs.hwOffload = true;
        spec.ovs.tcPolicy = "skip_sw";
        spec.ovs.maxIdleMs = 100000;
        for (int i = 0; i < 2; i++) {
            BondSpec b = new BondSpec();
            b.name = "bond" + i;
            b.sfNetdev = "meth" + i;
            b.sfRepresentor = "en6s0f0pf0sf" + i;
            b.vfRepresentor = PF + "_" + i;
            b.vfIndex = i;
            b.vlan = 100;
            spec.bonds.add(b);
        }
        return spec;
    }

    static Context first() {
        return new Context(1L, null, Map.of(), List::of);
    }

    static Context synced() {
        return new Context(1L, 1L, Map.of(), List::of);
    }

    static ConditionUpdate condition(Report r, String type) {
        return r.conditions().stream().filter(c -> c.type().equals(type)).findFirst().orElseThrow();
    }

    static StepStatus step(Report r, String name) {
        return r.steps().stream().filter(s -> s.name.equals(name)).findFirst().orElseThrow();
    }

    @Test
    void turnsABarePfIntoTheRunbooksSetupInItsOrder() throws Exception {
        Report r = provisioner.provision(runbookSpec(), first());

        assertThat(r.syncStatus()).as(r.toString()).isEqualTo("Succeeded");
        assertThat(r.steps()).extracting(s -> s.name)
                .containsExactly("numVfs", "eswitch", "hwTcOffload", "sfs", "renames", "bonds", "ovs");
        assertThat(r.steps()).allSatisfy(s -> assertThat(s.result).isEqualTo("Applied"));
        assertThat(step(r, "numVfs").commands).containsExactly("write class/net/ens2/device/sriov_numvfs 2");
        assertThat(step(r, "eswitch").commands).containsExactly("devlink dev eswitch set pci/0000:06:00.0 mode switchdev");
        assertThat(step(r, "hwTcOffload").commands).containsExactly("ethtool -K ens2 hw-tc-offload on");
        assertThat(step(r, "sfs").commands).containsExactly(
                "devlink port add pci/0000:06:00.0 flavour pcisf pfnum 0 sfnum 0",
                "devlink port add pci/0000:06:00.0 flavour pcisf pfnum 0 sfnum 1",
                "devlink port function set pci/0000:06:00.0/32768 state active",
                "devlink port function set pci/0000:06:00.0/32769 state active");
        assertThat(step(r, "renames").commands).contains("ip link set dev enp6s0f0s0 name meth0",
                "ip link set dev enp6s0f0s1 name meth1");
        assertThat(step(r, "bonds").commands).containsSubsequence("write class/net/bonding_masters +bond0",
                "write class/net/bond0/bonding/mode active-backup", "write class/net/bond0/bonding/slaves +en6s0f0pf0sf0",
                "write class/net/bond0/bonding/slaves +ens2_0", "write class/net/bond0/bonding/primary en6s0f0pf0sf0",
                "ip link set dev bond0 up");
        assertThat(step(r, "ovs").commands).containsExactly(
                "ovs-vsctl --timeout=5 --may-exist add-br ovs-sriov",
                "ovs-vsctl --timeout=5 --may-exist add-port ovs-sriov ens2",
                "ovs-vsctl --timeout=5 --may-exist add-port ovs-sriov bond0 tag=100",
                "ovs-vsctl --timeout=5 --may-exist add-port ovs-sriov bond1 tag=100",
                "ovs-vsctl --timeout=5 set Open_vSwitch . other_config:hw-offload=true other_config:tc-policy=skip_sw "
                        + "other_config:max-idle=100000");
        assertThat(condition(r, "Provisioned").status()).isTrue();
        assertThat(condition(r, "Provisioned").message()).contains("ovs-vswitchd restarts");

        SysfsHostNetwork net = tree.hostNetwork();
        assertThat(net.slaves("bond1")).containsExactly("en6s0f0pf0sf1", "ens2_1");
        assertThat(net.primary("bond1")).contains("en6s0f0pf0sf1");
        assertThat(net.activeSlave("bond1")).contains("en6s0f0pf0sf1");
        assertThat(net.netdevExists("meth1")).isTrue();
        assertThat(ovs.tag("ovs-sriov", "bond1")).isEqualTo(100);
        assertThat(r.inventory().vfs()).extracting(NicInventory.Vf::representor).containsExactly("ens2_0", "ens2_1");
        assertThat(r.inventory().sfs()).extracting(NicInventory.Sf::netdev).containsExactly("meth0", "meth1");
    }

    @Test
    void aSecondApplyDoesNothing() {
        HypervisorNicSpec spec = runbookSpec();
        provisioner.provision(spec, first());
        runner.clear();

        Report again = provisioner.provision(spec, first());
        assertThat(again.syncStatus()).isEqualTo("Succeeded");
        assertThat(again.steps()).allSatisfy(s -> assertThat(s.result).isEqualTo("Unchanged"));
        assertThat(runner.changes()).isEmpty();
        assertThat(condition(again, "Provisioned").reason()).isEqualTo("UpToDate");

        runner.clear();
        assertThat(provisioner.provision(spec, synced()).steps()).allSatisfy(s -> assertThat(s.result).isEqualTo("Unchanged"));
        assertThat(runner.changes()).isEmpty();
    }

    @Test
    void theMlxdevmVariantRunsTheSameSyntax() {
        HypervisorNicSpec spec = runbookSpec();
        spec.sfs.tool = HypervisorNicSpec.SfTool.mlxdevm;
        Report r = provisioner.provision(spec, first());
        assertThat(r.syncStatus()).isEqualTo("Succeeded");
        assertThat(step(r, "sfs").commands).allSatisfy(c -> assertThat(c).startsWith("mlxdevm port "));
    }

    @Test
    void driftIsReportedAndRepairedOnlyWhenAsked() {
        HypervisorNicSpec spec = runbookSpec();
        provisioner.provision(spec, first());
        tree.forceActiveSlave("bond0", "ens2_0");
        ovs.deletePort("ovs-sriov", "bond1");
        runner.clear();

        Report drift = provisioner.provision(spec, synced());
        assertThat(drift.syncStatus()).isEqualTo("Succeeded");
        assertThat(drift.drift()).anySatisfy(d -> assertThat(d).contains("bond0").contains("ens2_0").contains("en6s0f0pf0sf0"))
                .anySatisfy(d -> assertThat(d).contains("add-port ovs-sriov bond1"));
        assertThat(condition(drift, "Drifted").status()).isTrue();
        assertThat(condition(drift, "Drifted").message()).contains("spec.repair");
        assertThat(step(drift, "ovs").result).isEqualTo("Drift");
        assertThat(runner.changes()).isEmpty();
        assertThat(tree.activeSlave("bond0")).isEqualTo("ens2_0");

        spec.repair = true;
        Report repaired = provisioner.provision(spec, synced());
        assertThat(repaired.syncStatus()).isEqualTo("Succeeded");
        assertThat(condition(repaired, "Drifted").status()).isFalse();
        assertThat(condition(repaired, "Provisioned").reason()).isEqualTo("DriftRepaired");
        assertThat(tree.activeSlave("bond0")).isEqualTo("en6s0f0pf0sf0");
        assertThat(ovs.hasPort("ovs-sriov", "bond1")).isTrue();
        assertThat(provisioner.provision(spec, synced()).drift()).isEmpty();
    }

    @Test
    void aBondOnItsVfRepresentorIsNoDriftWhileThatVfIsAttached() {
        HypervisorNicSpec spec = runbookSpec();
        provisioner.provision(spec, first());
        tree.forceActiveSlave("bond0", "ens2_0");
        Context attached = new Context(1L, 1L, Map.of(FakeNicNames.pciAddressOfVf(PCI, 0), "vm-01"), List::of);
        assertThat(provisioner.provision(spec, attached).drift()).isEmpty();
        // the VF attached but the bond still on the standby path: drift the other way
        tree.forceActiveSlave("bond0", "en6s0f0pf0sf0");
        assertThat(provisioner.provision(spec, attached).drift()).singleElement().asString()
                .contains("bond0").contains("should be ens2_0");
    }

    @Test
    void aMissingPfIsAPreciseFailure() {
        HypervisorNicSpec spec = runbookSpec();
        spec.pf.name = "ens9";
        Report r = provisioner.provision(spec, first());
        assertThat(r.syncStatus()).isEqualTo("Failed");
        assertThat(condition(r, "Provisioned").reason()).isEqualTo("PfNotFound");
        assertThat(r.lastSyncError()).contains("PF ens9 not found");
        assertThat(runner.changes()).isEmpty();

        spec.pf.name = null;
        spec.pf.pciAddress = "0000:07:00.0";
        assertThat(provisioner.provision(spec, first()).lastSyncError()).contains("no PF netdev found at PCI address 0000:07:00.0");
        spec.pf.pciAddress = PCI;
        assertThat(provisioner.provision(spec, first()).syncStatus()).isEqualTo("Succeeded"); // found by PCI alone
    }

    @Test
    void moreVfsThanTheDeviceOffersIsRefusedBeforeAnyChange() {
        HypervisorNicSpec spec = runbookSpec();
        spec.numVfs = 9;
        Report r = provisioner.provision(spec, first());
        assertThat(r.syncStatus()).isEqualTo("Failed");
        assertThat(condition(r, "Provisioned").reason()).isEqualTo("InvalidSpec");
        assertThat(r.lastSyncError()).contains("spec.numVfs 9 exceeds sriov_totalvfs 8 of PF ens2");
        assertThat(runner.changes()).isEmpty();
        assertThat(tree.devlink().eswitchMode()).isEqualTo("legacy");
    }

    @Test
    void badNamesNeverReachACommand() {
        HypervisorNicSpec spec = runbookSpec();
        spec.bonds.get(0).sfNetdev = "meth0-much-too-long";
        spec.bonds.get(1).name = "bond1;reboot";
        spec.ovs.bridge = "-br";
        Report r = provisioner.provision(spec, first());
        assertThat(r.syncStatus()).isEqualTo("Failed");
        assertThat(condition(r, "Provisioned").reason()).isEqualTo("InvalidSpec");
        assertThat(r.lastSyncError()).contains("spec.bonds[0].sfNetdev 'meth0-much-too-long'")
                .contains("longer than 15 characters (19)")
                .contains("spec.bonds[1].name 'bond1;reboot'").contains("characters outside")
                .contains("spec.ovs.bridge '-br'");
        assertThat(runner.calls()).isEmpty();
    }

    @Test
    void aDevlinkFailureStopsAtItsStepAndSaysWhatWasAndWasNotApplied() {
        runner.answer(List.of("devlink", "dev", "eswitch", "set"), CommandResult.fail(1,
                "Error: mlx5_core: Failed setting eswitch to offloads.\nkernel answers: Invalid argument"));
        Report r = provisioner.provision(runbookSpec(), first());
        assertThat(r.syncStatus()).isEqualTo("Failed");
        assertThat(step(r, "numVfs").result).isEqualTo("Applied");
        assertThat(step(r, "eswitch").result).isEqualTo("Failed");
        assertThat(step(r, "hwTcOffload").result).isEqualTo("NotRun");
        assertThat(step(r, "ovs").result).isEqualTo("NotRun");
        ConditionUpdate c = condition(r, "Provisioned");
        assertThat(c.reason()).isEqualTo("StepFailed");
        assertThat(c.message()).contains("step eswitch: `devlink dev eswitch set pci/0000:06:00.0 mode switchdev` exited 1: "
                + "Error: mlx5_core: Failed setting eswitch to offloads.")
                .contains("applied before it: numVfs").contains("not run: hwTcOffload, sfs, renames, bonds, ovs");
        assertThat(r.lastSyncError()).startsWith("step eswitch: `devlink dev eswitch set");
        assertThat(runner.changes()).noneMatch(cmd -> cmd.startsWith("ethtool") || cmd.startsWith("ovs-vsctl"));
    }

    @Test
    void devlinkWithoutKernelSupportIsNamedAsSuch() {
        runner.answer(List.of("devlink", "dev", "eswitch", "show"), CommandResult.fail(1, "Failed to connect to devlink Netlink"));
        Report r = provisioner.provision(runbookSpec(), first());
        assertThat(r.lastSyncError()).contains("step eswitch: cannot read the e-switch mode of 0000:06:00.0: "
                + "`devlink dev eswitch show pci/0000:06:00.0 -j` failed: Failed to connect to devlink Netlink");
    }

    @Test
    void anOvsThatIsDownFailsTheOvsStepAfterTheRest() {
        ovs.setDown(true);
        Report r = provisioner.provision(runbookSpec(), first());
        assertThat(r.syncStatus()).isEqualTo("Failed");
        assertThat(step(r, "bonds").result).isEqualTo("Applied");
        assertThat(step(r, "ovs").result).isEqualTo("Failed");
        assertThat(r.lastSyncError()).contains("step ovs: Open vSwitch is not reachable: "
                + "`ovs-vsctl --timeout=5 get Open_vSwitch . other_config` failed:").contains("database connection failed");
        assertThat(condition(r, "Provisioned").message()).contains("applied before it: numVfs, eswitch, hwTcOffload, sfs, renames, bonds");
        ovs.setDown(false);
        assertThat(provisioner.provision(runbookSpec(), first()).syncStatus()).isEqualTo("Succeeded"); // retried, finished
    }

    @Test
    void numVfsIsNotChangedUnderARunningVm() throws Exception {
        HypervisorNicSpec spec = runbookSpec();
        provisioner.provision(spec, first());
        spec.numVfs = 1;
        spec.bonds.remove(1);
        runner.clear();
        Report r = provisioner.provision(spec, new Context(2L, 1L, Map.of("0000:06:00.1", "vm-01"), List::of));
        assertThat(r.syncStatus()).isEqualTo("InProgress");
        ConditionUpdate c = condition(r, "ChangeRefused");
        assertThat(c.status()).isTrue();
        assertThat(c.reason()).isEqualTo("VfsInUse");
        assertThat(c.message()).contains("from 2 to 1").contains("0000:06:00.1 (vm-01)");
        assertThat(step(r, "numVfs").result).isEqualTo("Refused");
        assertThat(runner.changes()).isEmpty();
        assertThat(tree.hostNetwork().listVfs(PF)).hasSize(2);
    }

    @Test
    void nothingChangesWhileMigrationsAreInFlight() {
        HypervisorNicSpec spec = runbookSpec();
        Report r = provisioner.provision(spec, new Context(1L, null, Map.of(), () -> List.of("default/move-vm-01")));
        assertThat(r.syncStatus()).isEqualTo("InProgress");
        ConditionUpdate c = condition(r, "ChangeRefused");
        assertThat(c.reason()).isEqualTo("MigrationsInFlight");
        assertThat(c.message()).contains("default/move-vm-01");
        assertThat(runner.changes()).isEmpty();
        assertThat(tree.devlink().eswitchMode()).isEqualTo("legacy");
    }

    @Test
    void externallyManagedOnlyValidatesAndReports() {
        HypervisorNicSpec spec = runbookSpec();
        spec.externallyManaged = true;
        Report r = provisioner.provision(spec, first());
        assertThat(r.syncStatus()).isEqualTo("Failed");
        assertThat(condition(r, "Provisioned").reason()).isEqualTo("ExternallyManagedDiffers");
        assertThat(step(r, "eswitch").result).isEqualTo("Differs");
        assertThat(r.drift()).anySatisfy(d -> assertThat(d).startsWith("numVfs: write class/net/ens2/device/sriov_numvfs 2"));
        assertThat(runner.changes()).isEmpty();

        spec.externallyManaged = false;
        provisioner.provision(spec, first());
        spec.externallyManaged = true;
        Report ok = provisioner.provision(spec, first());
        assertThat(ok.syncStatus()).isEqualTo("Succeeded");
        assertThat(ok.steps()).allSatisfy(s -> assertThat(s.result).isEqualTo("Validated"));
    }

    @Test
    void aKernelWithoutBondingIsNamed() throws Exception {
        Files.delete(root.resolve("class/net/bonding_masters"));
        Report r = provisioner.provision(runbookSpec(), first());
        assertThat(r.lastSyncError()).contains("step bonds: bond bond0 is missing and the kernel has no bonding driver");
    }

    @Test
    void ovsBondsAreAnAlternativeBackend() {
        HypervisorNicSpec spec = runbookSpec();
        spec.ovs.bondBackend = HypervisorNicSpec.BondBackend.ovs;
        Report r = provisioner.provision(spec, first());
        assertThat(r.syncStatus()).as(r.toString()).isEqualTo("Succeeded");
        assertThat(step(r, "bonds").result).isEqualTo("Unchanged");
        assertThat(step(r, "ovs").commands).contains(
                "ovs-vsctl --timeout=5 --may-exist add-bond ovs-sriov bond0 en6s0f0pf0sf0 ens2_0 bond_mode=active-backup tag=100",
                "ovs-appctl --timeout=5 bond/set-active-member bond0 en6s0f0pf0sf0");
        assertThat(tree.hostNetwork().netdevExists("bond0")).isFalse();
        runner.clear();
        assertThat(provisioner.provision(spec, synced()).drift()).isEmpty();
        assertThat(runner.changes()).isEmpty();
    }

    @Test
    void anOvsThatGoesDownAfterTheSyncIsAFailureNotDrift() {
        HypervisorNicSpec spec = runbookSpec();
        provisioner.provision(spec, first());
        ovs.setDown(true);
        Report r = provisioner.provision(spec, synced());
        assertThat(r.syncStatus()).isEqualTo("Failed");
        assertThat(step(r, "ovs").result).isEqualTo("Failed");
        assertThat(condition(r, "Provisioned").reason()).isEqualTo("StepFailed");
        assertThat(r.lastSyncError()).startsWith("step ovs: Open vSwitch is not reachable");
        assertThat(r.syncedGeneration()).isEqualTo(1L);
        ovs.setDown(false);
        assertThat(provisioner.provision(spec, synced()).syncStatus()).isEqualTo("Succeeded");
    }
}
