package io.sriovlm.agent.hostnet;

import io.sriovlm.agent.hostnet.CommandRunner.CommandResult;
import io.sriovlm.agent.hostnet.VfAdminSettings.Settings;
import io.sriovlm.testing.host.FakeHostCommands;
import io.sriovlm.testing.host.FakeSysfsTree;
import io.sriovlm.testing.host.RecordingCommandRunner;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Unit: the VFs' settings as iproute2 prints them, and clearing a VF's MAC and VLAN. */
class VfAdminSettingsTest {

    @TempDir
    Path root;

    @Test
    void readsVlanListAndTheOlderVlanFieldAndLeavesUnreportedFieldsUnknown() throws Exception {
        // iproute2 ≥ 4.x prints vlan_list (an empty object for VLAN 0); older ones print vlan only when set; a
        // driver without trust support prints no trust field.
        String json = "[{\"ifname\":\"ens2\",\"vfinfo_list\":["
                + "{\"vf\":0,\"link_type\":\"ether\",\"address\":\"52:54:00:aa:00:01\",\"vlan_list\":[{\"vlan\":100,\"qos\":2}],"
                + "\"spoofchk\":true,\"link_state\":\"auto\",\"trust\":false},"
                + "{\"vf\":1,\"link_type\":\"ether\",\"address\":\"00:00:00:00:00:00\",\"vlan_list\":[{}],"
                + "\"spoofchk\":false,\"link_state\":\"disable\",\"trust\":true},"
                + "{\"vf\":2,\"link_type\":\"ether\",\"address\":\"00:00:00:00:00:00\",\"vlan\":7,\"spoofchk\":true},"
                + "{\"vf\":3,\"link_type\":\"ether\",\"address\":\"00:00:00:00:00:00\"}]}]";

        Map<Integer, Settings> vfs = VfAdminSettings.parse(json);

        assertThat(vfs.get(0)).isEqualTo(new Settings(0, "52:54:00:aa:00:01", 100, true, false, "auto"));
        assertThat(vfs.get(1)).isEqualTo(new Settings(1, VfAdminSettings.NO_MAC, 0, false, true, "disable"));
        assertThat(vfs.get(2)).isEqualTo(new Settings(2, VfAdminSettings.NO_MAC, 7, true, null, null));
        assertThat(vfs.get(3)).isEqualTo(new Settings(3, VfAdminSettings.NO_MAC, 0, null, null, null));
        assertThat(vfs.get(0).carriesAddressOrVlan()).isTrue();
        assertThat(vfs.get(1).carriesAddressOrVlan()).isFalse();
        assertThat(vfs.get(2).carriesAddressOrVlan()).isTrue();
    }

    @Test
    void clearsMacAndVlanWithOneIpCommandAndReadsTheResultBack() throws Exception {
        FakeSysfsTree tree = FakeSysfsTree.create(root, "ens2", "0000:06:00.0", 4, List.of());
        RecordingCommandRunner runner = new RecordingCommandRunner(new FakeHostCommands(tree, null));
        VfAdminSettings settings = new VfAdminSettings(runner);
        tree.kernel().setVf(2, Map.of("mac", "52:54:00:AA:00:02", "vlan", "300", "trust", "on"));

        assertThat(settings.read("ens2").get(2)).isEqualTo(new Settings(2, "52:54:00:aa:00:02", 300, true, true, "auto"));
        List<String> ran = settings.clearAddressAndVlan("ens2", 2);

        assertThat(ran).containsExactly("ip", "link", "set", "dev", "ens2", "vf", "2", "mac", "00:00:00:00:00:00", "vlan", "0");
        assertThat(settings.read("ens2").get(2)).as("trust is not the hygiene's to change")
                .isEqualTo(new Settings(2, VfAdminSettings.NO_MAC, 0, true, true, "auto"));
        assertThat(settings.read("ens2")).hasSize(4);
    }

    @Test
    void aFailingIpNamesTheCommandAndItsError() {
        RecordingCommandRunner runner = new RecordingCommandRunner()
                .answer(List.of("ip"), CommandResult.fail(1, "Cannot find device \"ens9\""));
        VfAdminSettings settings = new VfAdminSettings(runner);

        assertThatThrownBy(() -> settings.read("ens9")).isInstanceOf(HostNetworkException.class)
                .hasMessage("ip -j link show dev ens9: Cannot find device \"ens9\"");
        assertThatThrownBy(() -> settings.clearAddressAndVlan("ens9", 0)).isInstanceOf(HostNetworkException.class)
                .hasMessageStartingWith("ip link set dev ens9 vf 0 mac 00:00:00:00:00:00 vlan 0: Cannot find device");
    }
}
