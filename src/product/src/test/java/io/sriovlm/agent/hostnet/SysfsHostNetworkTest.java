package io.sriovlm.agent.hostnet;

import io.sriovlm.testing.host.FakeNicNames;
import io.sriovlm.testing.host.FakeSysfsTree;
import io.sriovlm.testing.host.FakeSysfsTree.BondDef;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SysfsHostNetworkTest {

    @TempDir
    Path root;

    FakeSysfsTree tree;
    SysfsHostNetwork net;

    @BeforeEach
    void setUp() {
        tree = FakeSysfsTree.create(root, "ens2", "0000:06:00.0", 4, List.of(
                new BondDef("bond0", "meth0", "en6s0f0pf0sf0", "ens2_0", 0, "en6s0f0pf0sf0"),
                new BondDef("bond1", "meth1", "en6s0f0pf0sf1", "ens2_1", 1, "ens2_1")));
        net = new SysfsHostNetwork(root);
    }

    @Test
    void readsTheFakeTreeLikeAHost() throws Exception {
        assertThat(net.netdevExists("ens2")).isTrue();
        assertThat(net.netdevExists("meth0")).isTrue();
        assertThat(net.netdevExists("en6s0f0pf0sf1")).isTrue();
        assertThat(net.netdevExists("ens2_3")).isTrue();
        assertThat(net.netdevExists("ens2_4")).isFalse();
        assertThat(net.netdevExists("bond1")).isTrue();

        assertThat(net.slaves("bond0")).containsExactly("en6s0f0pf0sf0", "ens2_0");
        assertThat(net.activeSlave("bond0")).contains("en6s0f0pf0sf0");
        assertThat(net.activeSlave("bond1")).contains("ens2_1");
        assertThat(net.mode("bond0")).contains("active-backup 1");
        assertThat(net.primary("bond1")).contains("en6s0f0pf0sf1");
        assertThat(net.activeSlave("bond9")).isEmpty();
        assertThat(net.slaves("bond9")).isEmpty();

        assertThat(net.numVfs("ens2")).isEqualTo(4);
        assertThat(net.totalVfs("ens2")).isEqualTo(16);
        assertThat(net.listVfs("ens2")).containsExactly(
                new HostNetwork.VfInfo(0, "0000:06:00.1", null),
                new HostNetwork.VfInfo(1, "0000:06:00.2", null),
                new HostNetwork.VfInfo(2, "0000:06:00.3", null),
                new HostNetwork.VfInfo(3, "0000:06:00.4", null));
        // representors carry the switchdev port names
        assertThat(Files.readString(root.resolve("class/net/ens2_2/phys_port_name")).trim()).isEqualTo("pf0vf2");
        assertThat(Files.readString(root.resolve("class/net/en6s0f0pf0sf1/phys_port_name")).trim())
                .isEqualTo("pf0sf1");
        // the PF's device link resolves to its PCI function, as on a host
        assertThat(root.resolve("class/net/ens2/device").toRealPath().getFileName().toString())
                .isEqualTo("0000:06:00.0");
        assertThat(root.resolve("class/net/ens2_0/master").toRealPath().getFileName().toString()).isEqualTo("bond0");
    }

    @Test
    void vfMacsAreReadWhenTheVfsHaveHostNetdevs(@TempDir Path other) throws Exception {
        FakeSysfsTree.create(other, "ens3", "0000:81:00.0", 9, List.of(), true);
        List<HostNetwork.VfInfo> vfs = new SysfsHostNetwork(other).listVfs("ens3");
        assertThat(vfs).hasSize(9);
        assertThat(vfs.get(0)).isEqualTo(new HostNetwork.VfInfo(0, "0000:81:00.1", FakeNicNames.vfMac("0000:81:00.0", 0)));
        // past function 7 the kernel moves to the next slot
        assertThat(vfs.get(7).pciAddress()).isEqualTo("0000:81:01.0");
        assertThat(vfs.get(8).pciAddress()).isEqualTo("0000:81:01.1");
        assertThat(vfs.get(8).mac()).matches("^[0-9a-f]{2}(:[0-9a-f]{2}){5}$");
    }

    @Test
    void pciAddressOfVfFollowsTheRoutingId() {
        assertThat(FakeNicNames.pciAddressOfVf("0000:06:00.0", 0)).isEqualTo("0000:06:00.1");
        assertThat(FakeNicNames.pciAddressOfVf("0000:06:00.0", 6)).isEqualTo("0000:06:00.7");
        assertThat(FakeNicNames.pciAddressOfVf("0000:06:00.0", 7)).isEqualTo("0000:06:01.0");
        assertThat(FakeNicNames.pciAddressOfVf("0000:06:00.1", 0)).isEqualTo("0000:06:00.2");
        assertThat(FakeNicNames.pciAddressOfVf("0000:06:1f.7", 0)).isEqualTo("0000:07:00.0");
    }

    @Test
    void setActiveSlaveWritesAndConfirms() throws Exception {
        Instant before = Instant.now();
        Instant confirmed = net.setActiveSlave("bond0", "ens2_0");
        assertThat(confirmed).isAfterOrEqualTo(before);
        assertThat(tree.activeSlave("bond0")).isEqualTo("ens2_0");
        assertThat(net.activeSlave("bond0")).contains("ens2_0");

        net.setActiveSlave("bond0", "en6s0f0pf0sf0");
        assertThat(tree.activeSlave("bond0")).isEqualTo("en6s0f0pf0sf0");
    }

    @Test
    void setActiveSlaveIsIdempotentWithoutWriting() throws Exception {
        AtomicInteger writes = new AtomicInteger();
        SysfsHostNetwork counting = new SysfsHostNetwork(root) {
            @Override
            protected void writeAttribute(Path file, String value) throws IOException {
                writes.incrementAndGet();
                super.writeAttribute(file, value);
            }
        };
        assertThat(counting.setActiveSlave("bond1", "ens2_1")).isNotNull();
        assertThat(writes).hasValue(0);
        counting.setActiveSlave("bond1", "en6s0f0pf0sf1");
        counting.setActiveSlave("bond1", "en6s0f0pf0sf1");
        assertThat(writes).hasValue(1);
    }

    @Test
    void setActiveSlaveRefusesADeviceThatIsNotASlave() {
        assertThatThrownBy(() -> net.setActiveSlave("bond0", "ens2_1"))
                .isInstanceOf(HostNetworkException.class)
                .hasMessageContaining("bond0").hasMessageContaining("ens2_1")
                .hasMessageContaining("en6s0f0pf0sf0 ens2_0");
        assertThat(tree.activeSlave("bond0")).isEqualTo("en6s0f0pf0sf0");
    }

    @Test
    void setActiveSlaveReportsAWriteThatDidNotStick() {
        SysfsHostNetwork deaf = new SysfsHostNetwork(root) {
            @Override
            protected void writeAttribute(Path file, String value) {
                // the kernel kept the old active slave
            }
        };
        assertThatThrownBy(() -> deaf.setActiveSlave("bond0", "ens2_0"))
                .isInstanceOf(HostNetworkException.class)
                .hasMessageContaining(root.resolve("class/net/bond0/bonding/active_slave").toString())
                .hasMessageContaining("read back 'en6s0f0pf0sf0'");
    }

    @Test
    void setActiveSlaveReportsAFailedWrite() {
        SysfsHostNetwork refusing = new SysfsHostNetwork(root) {
            @Override
            protected void writeAttribute(Path file, String value) throws IOException {
                throw new IOException("Invalid argument");
            }
        };
        assertThatThrownBy(() -> refusing.setActiveSlave("bond0", "ens2_0"))
                .isInstanceOf(HostNetworkException.class)
                .hasMessageContaining("active_slave").hasMessageContaining("Invalid argument");
    }

    @Test
    void setActiveSlaveRefusesAMissingBondOrAnotherMode() throws Exception {
        assertThatThrownBy(() -> net.setActiveSlave("bond7", "ens2_0"))
                .isInstanceOf(HostNetworkException.class).hasMessageContaining("bond7");
        Files.writeString(root.resolve("class/net/bond1/bonding/mode"), "balance-rr 0\n");
        assertThatThrownBy(() -> net.setActiveSlave("bond1", "en6s0f0pf0sf1"))
                .isInstanceOf(HostNetworkException.class).hasMessageContaining("balance-rr");
    }

    @Test
    void namesAreValidatedBeforeTheyBecomePaths() {
        for (String bad : List.of("..", "../../etc", "a/b", "bond 0", "", ".hidden", "averyveryverylongname")) {
            assertThatThrownBy(() -> net.setActiveSlave(bad, "ens2_0"))
                    .isInstanceOf(HostNetworkException.class).hasMessageContaining("'" + bad + "'");
            assertThatThrownBy(() -> net.setActiveSlave("bond0", bad))
                    .isInstanceOf(HostNetworkException.class).hasMessageContaining("'" + bad + "'");
            assertThatThrownBy(() -> net.listVfs(bad))
                    .isInstanceOf(HostNetworkException.class).hasMessageContaining("'" + bad + "'");
            assertThatThrownBy(() -> net.slaves(bad)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("'" + bad + "'");
            assertThatThrownBy(() -> net.activeSlave(bad)).isInstanceOf(IllegalArgumentException.class);
            assertThat(net.netdevExists(bad)).isFalse();
        }
        assertThat(net.netdevExists(null)).isFalse();
    }

    @Test
    void listVfsOfAMissingPfNamesIt() {
        assertThatThrownBy(() -> net.listVfs("ens9"))
                .isInstanceOf(HostNetworkException.class).hasMessageContaining("ens9");
        // a bond has no PCI device
        assertThatThrownBy(() -> net.listVfs("bond0"))
                .isInstanceOf(HostNetworkException.class).hasMessageContaining("bond0");
    }

    @Test
    void fakeTreeRejectsBadInput(@TempDir Path other) {
        assertThatThrownBy(() -> FakeSysfsTree.create(other, "ens2", "6:00.0", 2, List.of()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> FakeSysfsTree.create(other, "ens2", "0000:06:00.0", 2,
                List.of(BondDef.standard("ens2", "0000:06:00.0", 2))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("VF 2");
        assertThat(BondDef.standard("ens2", "0000:06:00.0", 0))
                .isEqualTo(new BondDef("bond0", "meth0", "en6s0f0pf0sf0", "ens2_0", 0, "en6s0f0pf0sf0"));
    }
}
