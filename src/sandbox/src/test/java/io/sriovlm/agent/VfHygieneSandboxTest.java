package io.sriovlm.agent;

import io.sriovlm.agent.hostnet.VfAdminSettings;
import io.sriovlm.api.v1alpha1.HypervisorNicSpec;
import io.sriovlm.sandbox.Sandbox;
import io.sriovlm.sandbox.host.SimulatedFabric;
import io.sriovlm.sandbox.host.SimulatedHypervisor;
import io.sriovlm.testing.Objects;
import io.sriovlm.testing.host.FakeHostCommands;
import io.sriovlm.testing.host.FakeKernel.VfAdmin;
import io.sriovlm.testing.host.FakeNicNames;
import io.sriovlm.testing.host.FakeSysfsTree;
import io.sriovlm.testing.host.RecordingCommandRunner;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Sandbox tier (a simulated host and a fake PF, no API server): which VFs the hygiene clears. Four pool VFs (the
 * spec's bonds pair VFs 0-3) and two more on the PF, each left with a MAC and a VLAN; the ledger and the domains hold
 * some of them.
 */
@Tag("sandbox")
class VfHygieneSandboxTest {
    static final String STALE = "52:54:00:de:ad:01";

    @TempDir
    Path work;
    SimulatedFabric fabric;
    SimulatedHypervisor hv;
    FakeSysfsTree sys;
    RecordingCommandRunner commands;
    VfHygiene hygiene;
    HypervisorNicSpec spec;

    @BeforeEach
    void host() throws Exception {
        fabric = new SimulatedFabric();
        hv = fabric.newHost("hv1");
        List<FakeSysfsTree.BondDef> bonds = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            bonds.add(FakeSysfsTree.BondDef.standard(Sandbox.PF, Sandbox.PF_PCI, i));
        }
        sys = FakeSysfsTree.create(work.resolve("hv1"), Sandbox.PF, Sandbox.PF_PCI, 6, bonds);
        spec = Objects.nic("hv1", Map.of()).getSpec();
        spec.pf.name = Sandbox.PF;
        commands = new RecordingCommandRunner(new FakeHostCommands(sys, null));
        hygiene = new VfHygiene(hv, sys.hostNetwork(), new VfAdminSettings(commands));
        for (int i = 0; i < 6; i++) {
            sys.kernel().setVf(i, Map.of("mac", STALE.replace("01", "0" + i), "vlan", "4" + i, "trust", "on"));
        }
    }

    @AfterEach
    void close() {
        fabric.close();
    }

    static String vf(int index) {
        return FakeNicNames.pciAddressOfVf(Sandbox.PF_PCI, index);
    }

    @Test
    void onlyPoolVfsThatNothingHoldsAreClearedAndOnlyTheirMacAndVlan() throws Exception {
        // VF 0: the teamed primary of a running VM. VF 1: passed through as a plain <hostdev> to another domain.
        // VF 2: claimed or kept by a migration (the ledger holds it). VF 3: free. VFs 4, 5: not paired by any bond.
        hv.define(Sandbox.teamedDomain("vm-01", 0, vf(0)), true);
        hv.define("<domain type='kvm'><name>plain</name><uuid>6f1c2a36-54c8-4b0e-9a0e-4b7f2f7e0a01</uuid>"
                + "<memory>1024</memory><os><type>hvm</type></os><devices><hostdev mode='subsystem' type='pci'"
                + " managed='yes'><source><address domain='0x0000' bus='0x06' slot='0x00' function='0x2'/></source>"
                + "</hostdev></devices></domain>", true);
        assertThat(vf(1)).isEqualTo("0000:06:00.2");

        List<VfHygiene.Action> actions = hygiene.clean(spec, () -> Optional.of(Set.of(vf(2))));

        assertThat(actions).extracting(VfHygiene.Action::cleared).containsExactly(true);
        assertThat(actions.get(0).message()).startsWith("cleared VF 3 (" + vf(3) + ") of " + Sandbox.PF
                + ": MAC 52:54:00:de:ad:03, VLAN 43").contains("ip link set dev " + Sandbox.PF + " vf 3 mac 00:00:00:00:00:00 vlan 0");
        assertThat(sys.kernel().vfAdmin(3)).isEqualTo(new VfAdmin("00:00:00:00:00:00", 0, true, true, "auto"));
        for (int held : new int[] {0, 1, 2, 4, 5}) {
            assertThat(sys.kernel().vfAdmin(held).mac()).as("VF %d", held).isNotEqualTo("00:00:00:00:00:00");
        }
        assertThat(hygiene.clean(spec, () -> Optional.of(Set.of(vf(2))))).as("a second pass finds nothing").isEmpty();
    }

    @Test
    void whenTheLedgerCannotBeReadNothingIsClearedAndACleanHostCostsOneRead() throws Exception {
        assertThat(hygiene.clean(spec, Optional::empty)).isEmpty();
        assertThat(sys.kernel().vfAdmin(3).mac()).isEqualTo("52:54:00:de:ad:03");

        for (int i = 0; i < 6; i++) {
            sys.kernel().setVf(i, Map.of("mac", "00:00:00:00:00:00", "vlan", "0"));
        }
        commands.clear();
        boolean[] asked = new boolean[1];
        assertThat(hygiene.clean(spec, () -> {
            asked[0] = true;
            return Optional.of(Set.of());
        })).isEmpty();
        assertThat(asked[0]).as("no cache is read when no VF carries a MAC or VLAN").isFalse();
        assertThat(commands.calls()).containsExactly(List.of("ip", "-j", "link", "show", "dev", Sandbox.PF));
    }

    @Test
    void aFailedClearIsReportedNotThrown() throws Exception {
        commands.answer(List.of("ip", "link", "set"), io.sriovlm.agent.hostnet.CommandRunner.CommandResult.fail(2,
                "RTNETLINK answers: Operation not permitted"));
        List<VfHygiene.Action> actions = hygiene.clean(spec, () -> Optional.of(Set.of()));
        assertThat(actions).hasSize(4).allSatisfy(a -> {
            assertThat(a.cleared()).isFalse();
            assertThat(a.message()).startsWith("could not clear VF").endsWith("RTNETLINK answers: Operation not permitted");
        });
    }
}
