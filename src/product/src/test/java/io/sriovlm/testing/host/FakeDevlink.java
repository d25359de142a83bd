package io.sriovlm.testing.host;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static io.sriovlm.testing.host.FakeNicNames.repMac;
import static io.sriovlm.testing.host.FakeNicNames.requireName;
import static io.sriovlm.testing.host.FakeNicNames.switchId;

/**
 * The fake NIC's devlink side: its e-switch mode (switchdev gives every VF a representor), hw-tc-offload, and its
 * sub-function ports, which appear as representors when added and as netdevs on the auxiliary bus when activated.
 * Guarded by the tree's monitor, like every change to the tree.
 */
public final class FakeDevlink {

    /** A sub-function's devlink port as the fake device knows it. */
    public record SfPort(int pfNum, int sfNum, int portIndex, String state, String representor) {
    }

    private final FakeSysfsTree tree;
    private final Map<Integer, SfPort> sfs = new TreeMap<>();
    private String eswitchMode = "switchdev";
    private boolean hwTcOffload = true;

    FakeDevlink(FakeSysfsTree tree) {
        this.tree = tree;
    }

    private volatile String psid = "MT_0000000838";
    private volatile String firmware = "28.39.1002";

    /** The board's PSID and running firmware, as {@code devlink dev info} reports them. */
    public String psid() {
        return psid;
    }

    public String firmware() {
        return firmware;
    }

    public void setFirmware(String psid, String firmware) {
        this.psid = psid;
        this.firmware = firmware;
    }

    public String eswitchMode() {
        synchronized (tree) {
            return eswitchMode;
        }
    }

    /** {@code devlink dev eswitch set ... mode M}: in switchdev mode every VF gets its representor PF_i. */
    public void setEswitchMode(String mode) throws IOException {
        synchronized (tree) {
            eswitchMode = mode;
            if (!mode.equals("switchdev")) {
                return;
            }
            int n = Integer.parseInt(FakeSysfsTree.read(tree.pfDevice().resolve("sriov_numvfs")).trim());
            for (int i = 0; i < n; i++) {
                final int index = i;
                boolean has;
                try (var links = Files.list(tree.root().resolve("class/net"))) {
                    has = links.anyMatch(l -> Files.isRegularFile(l.resolve("phys_port_name"))
                            && FakeSysfsTree.read(l.resolve("phys_port_name")).trim().equals("pf0vf" + index));
                }
                if (!has) {
                    tree.addVfRepresentor(i);
                }
            }
        }
    }

    public boolean hwTcOffload() {
        synchronized (tree) {
            return hwTcOffload;
        }
    }

    public void setHwTcOffload(boolean on) {
        synchronized (tree) {
            hwTcOffload = on;
        }
    }

    public List<SfPort> sfPorts() {
        synchronized (tree) {
            return List.copyOf(sfs.values());
        }
    }

    /** {@code devlink port add ... flavour pcisf pfnum P sfnum N}: an inactive SF whose representor appears now. */
    public SfPort addSf(int pfNum, int sfNum) throws IOException {
        synchronized (tree) {
            if (sfs.containsKey(sfNum)) {
                throw new IOException("Error: mlx5_core: SF already exists. kernel answers: File exists");
            }
            String pfPci = tree.pfPci();
            int bus = Integer.parseInt(pfPci.substring(5, 7), 16);
            String rep = "en" + bus + "s0f0pf" + pfNum + "sf" + sfNum;
            tree.netdevUnderPci(requireName(rep), tree.pfDevice(), "pf" + pfNum + "sf" + sfNum, switchId(pfPci),
                    repMac(pfPci, 0x20, sfNum));
            SfPort port = new SfPort(pfNum, sfNum, 32768 + sfNum, "inactive", rep);
            sfs.put(sfNum, port);
            return port;
        }
    }

    /** {@code devlink port function set ... state active}: the SF's auxiliary device and netdev appear. */
    public void activateSf(int portIndex) throws IOException {
        synchronized (tree) {
            SfPort port = sfs.values().stream().filter(p -> p.portIndex() == portIndex).findFirst()
                    .orElseThrow(() -> new IOException("Error: devlink: port " + portIndex + " not found"));
            if (port.state().equals("active")) {
                return;
            }
            String pfPci = tree.pfPci();
            int bus = Integer.parseInt(pfPci.substring(5, 7), 16);
            Path sfDev = tree.pfDevice().resolve("mlx5_core.sf." + (port.sfNum() + 100));
            Files.createDirectories(sfDev);
            FakeSysfsTree.writeFile(sfDev.resolve("sfnum"), port.sfNum() + "\n");
            tree.netdevUnderPci(requireName("enp" + bus + "s0f0s" + port.sfNum()), sfDev, null, null,
                    repMac(pfPci, 0x30, port.sfNum()));
            sfs.put(port.sfNum(), new SfPort(port.pfNum(), port.sfNum(), port.portIndex(), "active",
                    port.representor()));
        }
    }

    /** An active SF the tree was written with. Caller holds the tree's monitor. */
    void registerActiveSf(int sfNum, String representor) {
        sfs.put(sfNum, new SfPort(0, sfNum, 32768 + sfNum, "active", representor));
    }

    /** A netdev was renamed: an SF representor keeps its port under its new name. Caller holds the monitor. */
    void renamed(String oldName, String newName) {
        sfs.replaceAll((sfNum, p) -> p.representor().equals(oldName)
                ? new SfPort(p.pfNum(), p.sfNum(), p.portIndex(), p.state(), newName) : p);
    }

    /** Before the provisioner: legacy e-switch, hw-tc-offload off. Caller holds the monitor. */
    void outOfTheBox() {
        eswitchMode = "legacy";
        hwTcOffload = false;
    }
}
