package io.sriovlm.agent.hostnet;

import io.sriovlm.api.v1alpha1.HypervisorNicStatus;
import io.sriovlm.api.v1alpha1.ConditionTypes;
import io.sriovlm.agent.hostnet.CommandRunner.CommandResult;
import io.sriovlm.agent.hostnet.NicProvisioner.Report;
import io.sriovlm.api.v1alpha1.HypervisorNicSpec;
import io.sriovlm.testing.host.FakeHostCommands;
import io.sriovlm.testing.host.FakeOvs;
import io.sriovlm.testing.host.FakeSysfsTree;
import io.sriovlm.testing.host.RecordingCommandRunner;
import io.sriovlm.testing.HostileNames;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Unit tier: a HypervisorNic whose names carry shell or XML metacharacters never reaches a host command. The API
 * server's schema refuses them first (see InjectionSandboxTest); this is the agent's own check behind it, for a CRD
 * installed without the schema or an object written before it.
 */
class HostCommandInjectionTest {
    static final List<String> HOSTILE = HostileNames.ALL;

    @TempDir
    Path root;
    FakeSysfsTree tree;
    RecordingCommandRunner runner;
    NicProvisioner provisioner;

    @BeforeEach
    void setUp() {
        tree = FakeSysfsTree.createBare(root, NicProvisionerTest.PF, NicProvisionerTest.PCI, 8);
        runner = new RecordingCommandRunner(new FakeHostCommands(tree, new FakeOvs()));
        provisioner = new NicProvisioner(tree.hostNetwork(), runner, OvsCli.system());
    }

    static final Map<String, BiConsumer<HypervisorNicSpec, String>> FIELDS = Map.of(
            "spec.pf.name", (s, v) -> s.pf.name = v,
            "spec.ovs.bridge", (s, v) -> s.ovs.bridge = v,
            "spec.ovs.uplink", (s, v) -> s.ovs.uplink = v,
            "spec.bonds[0].name", (s, v) -> s.bonds.get(0).name = v,
            "spec.bonds[0].sfNetdev", (s, v) -> s.bonds.get(0).sfNetdev = v,
            "spec.bonds[0].sfRepresentor", (s, v) -> s.bonds.get(0).sfRepresentor = v,
            "spec.bonds[0].vfRepresentor", (s, v) -> s.bonds.get(0).vfRepresentor = v,
            "spec.sfs.netdevPrefix", (s, v) -> s.sfs.netdevPrefix = v,
            "spec.ovs.tcPolicy", (s, v) -> s.ovs.tcPolicy = v);

    @Test
    void noHostileNameInAnyFieldRunsACommandOrWritesSysfs() throws Exception {
        Path numVfs = root.resolve("sys/class/net/" + NicProvisionerTest.PF + "/device/sriov_numvfs");
        String before = Files.exists(numVfs) ? Files.readString(numVfs) : null;
        for (var field : FIELDS.entrySet()) {
            for (String hostile : HOSTILE) {
                HypervisorNicSpec spec = NicProvisionerTest.runbookSpec();
                field.getValue().accept(spec, hostile);
                runner.clear();
                Report r = provisioner.provision(spec, NicProvisionerTest.first());
                String at = field.getKey() + " = " + hostile.replace("\n", "\\n");
                assertThat(r.syncStatus()).as(at).isEqualTo(HypervisorNicStatus.SYNC_FAILED);
                assertThat(NicProvisionerTest.condition(r, ConditionTypes.PROVISIONED).reason()).as(at)
                        .isEqualTo("InvalidSpec");
                assertThat(r.lastSyncError()).as(at).contains(field.getKey());
                assertThat(runner.calls()).as("commands run for " + at).isEmpty();
            }
        }
        assertThat(Files.exists(numVfs) ? Files.readString(numVfs) : null).isEqualTo(before);
    }

    @Test
    void theValidSpecStillRunsSoTheRefusalsAboveAreAboutTheNames() {
        Report r = provisioner.provision(NicProvisionerTest.runbookSpec(), NicProvisionerTest.first());
        assertThat(r.syncStatus()).as(r.lastSyncError()).isEqualTo(HypervisorNicStatus.SYNC_SUCCEEDED);
        assertThat(runner.calls()).isNotEmpty();
        // every command is an argv of one program, never a shell
        assertThat(runner.calls()).allSatisfy(argv -> assertThat(argv.get(0))
                .isIn("devlink", "mlxdevm", "ethtool", "ip", "ovs-vsctl", "ovs-appctl"));
    }

    @Test
    void ovsReadRefusesAHostileBridgeAndNeverPassesAForeignPortNameOn() {
        RecordingCommandRunner scripted = new RecordingCommandRunner();
        OvsCli ovs = OvsCli.system();
        for (String hostile : HOSTILE) {
            OvsCli.OvsState state = ovs.read(scripted, hostile);
            assertThat(state.reachable()).isFalse();
            assertThat(state.error()).contains("not an interface name");
        }
        assertThat(scripted.calls()).isEmpty();

        // a port someone else created on the bridge with names no spec can give
        scripted.answer(List.of("ovs-vsctl", "list-ports", "br0"),
                CommandResult.ok("bond0\n--db=unix:/tmp/evil\n$(reboot)\nvm 01;x\n"));
        scripted.answer(List.of("ovs-vsctl", "get", "Port", "bond0"), CommandResult.ok("100\n[]\n{}\n"));
        OvsCli.OvsState state = ovs.read(scripted, "br0");
        assertThat(state.reachable()).isTrue();
        assertThat(state.ports()).containsKeys("bond0", "--db=unix:/tmp/evil", "$(reboot)", "vm 01;x");
        assertThat(state.ports().get("bond0").tag()).isEqualTo(100);
        assertThat(scripted.calls()).allSatisfy(argv -> assertThat(argv)
                .doesNotContain("--db=unix:/tmp/evil", "$(reboot)", "vm 01;x"));
    }
}
