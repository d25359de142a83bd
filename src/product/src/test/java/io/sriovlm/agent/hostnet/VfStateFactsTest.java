package io.sriovlm.agent.hostnet;

import io.sriovlm.testing.host.FakeHostCommands;
import io.sriovlm.testing.host.FakeOvs;
import io.sriovlm.testing.host.FakeSysfsTree;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Unit: the VF-state facts read from a fake sysfs tree and the fake host's devlink. */
class VfStateFactsTest {

    @Test
    void readsTheNicModelFirmwareKernelAndEachVfsDriver(@TempDir Path dir) throws Exception {
        FakeSysfsTree tree = FakeSysfsTree.create(dir.resolve("sys"), "ens2", "0000:06:00.0", 4, List.of());
        VfStateFacts facts = new VfStateFacts(tree.hostNetwork(), new FakeHostCommands(tree, new FakeOvs()));
        Files.createDirectories(dir.resolve("proc/sys/kernel"));
        Files.writeString(dir.resolve("proc/sys/kernel/osrelease"), "6.8.0-45-generic\n");

        VfStateFacts.Host cx5 = facts.read("ens2");
        assertThat(cx5).isEqualTo(new VfStateFacts.Host("6.8.0-45-generic", "15b3:1017", "MT_0000000838", "28.39.1002"));

        tree.setPfDevice("1021");
        tree.devlink().setFirmware("MT_0000000591", "28.40.1000");
        assertThat(facts.read("ens2")).isEqualTo(new VfStateFacts.Host("6.8.0-45-generic", "15b3:1021",
                "MT_0000000591", "28.40.1000"));

        assertThat(facts.vfDriver("ens2", 2)).as("unbound").isEmpty();
        tree.bindVfDriver(2, "mlx5_vfio_pci");
        assertThat(facts.vfDriver("ens2", 2)).hasValue("mlx5_vfio_pci");
        assertThat(facts.vfDriver("ens9", 2)).as("no such PF").isEmpty();
    }

    @Test
    void withoutDevlinkOrProcTheFactsAreUnknownNotWrong(@TempDir Path dir) {
        FakeSysfsTree tree = FakeSysfsTree.create(dir.resolve("sys"), "ens2", "0000:06:00.0", 1, List.of());
        VfStateFacts facts = new VfStateFacts(tree.hostNetwork(), argv -> CommandRunner.CommandResult.fail(127,
                "devlink: not found"));
        VfStateFacts.Host host = facts.read("ens2");
        assertThat(host.psid()).isNull();
        assertThat(host.firmware()).isNull();
        assertThat(host.kernel()).as("uname -r of this JVM's host").isEqualTo(System.getProperty("os.version"));
    }
}
