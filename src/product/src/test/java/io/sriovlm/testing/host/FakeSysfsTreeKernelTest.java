package io.sriovlm.testing.host;

import io.sriovlm.agent.hostnet.SysfsHostNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The fake tree answers the provisioner's sysfs writes as the kernel does (sriov_numvfs ABI, bonding.rst). */
class FakeSysfsTreeKernelTest {
    @TempDir
    Path root;

    @Test
    void numVfsWritesCreateAndRemoveVfsWithTheKernelsErrors() throws Exception {
        FakeSysfsTree tree = FakeSysfsTree.createBare(root, "ens2", "0000:06:00.0", 4);
        SysfsHostNetwork net = tree.hostNetwork();
        assertThatThrownBy(() -> net.write("class/net/ens2/device/sriov_numvfs", "5"))
                .isInstanceOf(IOException.class).hasMessage("Numerical result out of range");
        net.write("class/net/ens2/device/sriov_numvfs", "3");
        assertThat(net.listVfs("ens2")).extracting(v -> v.pciAddress()).containsExactly("0000:06:00.1", "0000:06:00.2",
                "0000:06:00.3");
        assertThat(net.netdevExists("ens2_0")).as("no representors in legacy mode").isFalse();
        assertThatThrownBy(() -> net.write("class/net/ens2/device/sriov_numvfs", "2"))
                .isInstanceOf(IOException.class).hasMessage("Device or resource busy");
        tree.devlink().setEswitchMode("switchdev");
        assertThat(net.netdevAttribute("ens2_2", "phys_port_name")).contains("pf0vf2");
        net.write("class/net/ens2/device/sriov_numvfs", "0");
        assertThat(net.listVfs("ens2")).isEmpty();
        assertThat(net.netdevExists("ens2_2")).isFalse();
        assertThatThrownBy(() -> net.write("../etc/passwd", "x")).isInstanceOf(IOException.class)
                .hasMessageContaining("refusing to write outside");
    }

    @Test
    void bondingMastersAndBondAttributesFollowBondingRst() throws Exception {
        FakeSysfsTree tree = FakeSysfsTree.createBare(root, "ens2", "0000:06:00.0", 4);
        SysfsHostNetwork net = tree.hostNetwork();
        net.write("class/net/ens2/device/sriov_numvfs", "1");
        tree.devlink().setEswitchMode("switchdev");
        tree.devlink().addSf(0, 0);
        net.write("class/net/bonding_masters", "+bond0");
        assertThat(net.mode("bond0")).contains("balance-rr 0");
        net.write("class/net/bond0/bonding/mode", "active-backup");
        net.write("class/net/bond0/bonding/slaves", "+en6s0f0pf0sf0");
        net.write("class/net/bond0/bonding/slaves", "+ens2_0");
        assertThatThrownBy(() -> net.write("class/net/bond0/bonding/mode", "balance-rr"))
                .hasMessageContaining("bond has slaves");
        assertThatThrownBy(() -> net.write("class/net/bond0/bonding/slaves", "+nosuch"))
                .hasMessage("No such device");
        net.write("class/net/bond0/bonding/primary", "en6s0f0pf0sf0");
        assertThat(net.slaves("bond0")).containsExactly("en6s0f0pf0sf0", "ens2_0");
        assertThat(net.activeSlave("bond0")).contains("en6s0f0pf0sf0");
        net.setActiveSlave("bond0", "ens2_0");
        assertThat(tree.activeSlave("bond0")).isEqualTo("ens2_0");
        net.write("class/net/bonding_masters", "-bond0");
        assertThat(net.netdevExists("bond0")).isFalse();
    }
}
