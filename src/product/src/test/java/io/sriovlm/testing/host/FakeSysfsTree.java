package io.sriovlm.testing.host;

import io.sriovlm.api.v1alpha1.ApiPatterns;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Objects;
import java.util.Set;

import static io.sriovlm.testing.host.FakeNicNames.pciAddressOfVf;
import static io.sriovlm.testing.host.FakeNicNames.pfMac;
import static io.sriovlm.testing.host.FakeNicNames.repMac;
import static io.sriovlm.testing.host.FakeNicNames.requireName;
import static io.sriovlm.testing.host.FakeNicNames.switchId;
import static io.sriovlm.testing.host.FakeNicNames.vfMac;

/**
 * Writes a fake sysfs tree shaped like a ConnectX-class PF in switchdev mode with its VFs, VF representors,
 * sub-functions and one active-backup bond per SF/VF representor pair, as the NVIDIA runbook sets a hypervisor up.
 * What changes it is split along what it simulates: {@link FakeKernel} (sysfs writes, renames), {@link FakeDevlink}
 * (e-switch, SF ports), {@link FakeNicNames} (PCI addresses and MACs). The layout follows the kernel's, symlinks
 * included, so that {@code SysfsHostNetwork} reads it with the paths it
 * uses on a real host:
 *
 * <pre>
 * devices/pci0000:00/0000:00:02.0/PFPCI/{sriov_totalvfs,sriov_numvfs,virtfnN -> ../VFPCI}
 * devices/pci0000:00/0000:00:02.0/PFPCI/net/{PF,PF_i,SFREP}          (uplink, VF and SF representors)
 * devices/pci0000:00/0000:00:02.0/PFPCI/mlx5_core.sf.K/net/SFNETDEV  (SF netdevs on the auxiliary bus)
 * devices/pci0000:00/0000:00:02.0/VFPCI/{physfn -> ../PFPCI, net/VFNETDEV}  (VF netdevs only when asked)
 * devices/virtual/net/bondN/bonding/{mode,slaves,primary,active_slave}
 * class/net/NAME -> ../../devices/.../net/NAME
 * </pre>
 */
public final class FakeSysfsTree {

    /** Default {@code sriov_totalvfs}, as a ConnectX-5 port is commonly configured. */
    public static final int DEFAULT_TOTAL_VFS = 16;

    /**
     * One bond of the runbook: SF representor (primary slave, the standby path) and VF representor (the fast
     * path), the SF netdev the guest's macvtap sits on, and the slave that is active at first.
     */
    public record BondDef(String name, String sfNetdev, String sfRepresentor, String vfRepresentor, int vfIndex,
            String activeSlave) {
        public BondDef {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(sfNetdev, "sfNetdev");
            Objects.requireNonNull(sfRepresentor, "sfRepresentor");
            Objects.requireNonNull(vfRepresentor, "vfRepresentor");
            if (activeSlave == null) {
                activeSlave = sfRepresentor;
            }
        }

        /**
         * The runbook's naming for pair {@code index}: bond{@code index}, SF netdev meth{@code index}, SF representor
         * en{@code S}s0f0pf0sf{@code index} (from the PF's PCI slot), VF representor PF_{@code index}, on the SF.
         */
        public static BondDef standard(String pfName, String pfPci, int index) {
            int bus = Integer.parseInt(pfPci.substring(5, 7), 16);
            return new BondDef("bond" + index, "meth" + index, "en" + bus + "s0f0pf0sf" + index, pfName + "_" + index,
                    index, "en" + bus + "s0f0pf0sf" + index);
        }
    }

    private final Path root;
    private final String pfName;
    private final String pfPci;
    private final Path pfPciDir;
    private final FakeKernel kernel = new FakeKernel(this);
    private final FakeDevlink devlink = new FakeDevlink(this);

    private FakeSysfsTree(Path root, String pfName, String pfPci) {
        this.root = root;
        this.pfName = pfName;
        this.pfPci = pfPci;
        this.pfPciDir = root.resolve("devices/pci0000:00/0000:00:02.0").resolve(pfPci);
    }

    /** The kernel side: sysfs writes, renames, and the fault of a bond write that does not stick. */
    public FakeKernel kernel() {
        return kernel;
    }

    /** The devlink side: e-switch mode, hw-tc-offload, sub-function ports. */
    public FakeDevlink devlink() {
        return devlink;
    }

    /** Same as {@link #create(Path, String, String, int, List, boolean)} without VF netdevs (VFs bound to vfio-pci). */
    public static FakeSysfsTree create(Path root, String pfName, String pfPci, int numVfs, List<BondDef> bonds) {
        return create(root, pfName, pfPci, numVfs, bonds, false);
    }

    /**
     * Writes the tree under {@code root} (which may exist; it should be empty).
     *
     * @param vfNetdevs also give every VF a host netdev {@code PFvI} with a MAC, as when the VFs are bound to the
     *                  NIC's own driver rather than to vfio-pci
     * @throws IllegalArgumentException for a name or PCI address the kernel would not have, or a bond whose VF
     *                                  index is out of range
     */
    public static FakeSysfsTree create(Path root, String pfName, String pfPci, int numVfs, List<BondDef> bonds,
            boolean vfNetdevs) {
        requireName(pfName);
        if (!ApiPatterns.matches(ApiPatterns.PCI_ADDRESS, pfPci)) {
            throw new IllegalArgumentException("not a PCI address: '" + pfPci + "'");
        }
        if (numVfs < 0 || numVfs > 255) {
            throw new IllegalArgumentException("numVfs out of range: " + numVfs);
        }
        FakeSysfsTree tree = new FakeSysfsTree(root.toAbsolutePath().normalize(), pfName, pfPci);
        try {
            tree.write(numVfs, bonds == null ? List.of() : bonds, vfNetdevs);
        } catch (IOException e) {
            throw new UncheckedIOException("writing fake sysfs tree under " + root, e);
        }
        return tree;
    }

    public Path root() {
        return root;
    }

    public String pfName() {
        return pfName;
    }

    public String pfPci() {
        return pfPci;
    }

    /** {@code ROOT/class/net/NAME}, the path an agent reads. */
    public Path netdev(String name) {
        return root.resolve("class/net").resolve(requireName(name));
    }

    /** The bond's active slave as the file says, or "" when none. */
    public String activeSlave(String bond) {
        return read(netdev(bond).resolve("bonding/active_slave")).trim();
    }

    /** Changes the active slave behind the agent's back, as the kernel does on a link failure. */
    public void forceActiveSlave(String bond, String slave) {
        requireName(slave);
        writeFile(netdev(bond).resolve("bonding/active_slave"), slave + "\n");
    }

    /**
     * A PF as it comes out of the box: legacy e-switch, hw-tc-offload off, no VFs, no SFs, no bonds, and
     * {@code sriov_totalvfs} as given. The provisioner's job is to turn it into the runbook's setup.
     */
    public static FakeSysfsTree createBare(Path root, String pfName, String pfPci, int totalVfs) {
        FakeSysfsTree tree = create(root, pfName, pfPci, 0, List.of());
        synchronized (tree) {
            tree.devlink.outOfTheBox();
            writeFile(tree.pfPciDir.resolve("sriov_totalvfs"), totalVfs + "\n");
        }
        return tree;
    }

    /** A {@link io.sriovlm.agent.hostnet.SysfsHostNetwork} over this tree whose writes behave as the kernel's. */
    public io.sriovlm.agent.hostnet.SysfsHostNetwork hostNetwork() {
        return new io.sriovlm.agent.hostnet.SysfsHostNetwork(root) {
            @Override
            protected void writeAttribute(Path file, String value) throws IOException {
                kernel.write(file, value);
            }
        };
    }

    /** The PF's PCI device ID, e.g. "1021" for a ConnectX-7 (the tree starts as a ConnectX-5, 1017). */
    public void setPfDevice(String deviceId) {
        writeFile(pfPciDir.resolve("device"), "0x" + deviceId + "\n");
    }

    /** Binds VF {@code index} to {@code driver} ({@code VFDEV/driver}, as the kernel's bind does); null unbinds. */
    public void bindVfDriver(int index, String driver) {
        Path link = pfPciDir.getParent().resolve(pciAddressOfVf(pfPci, index)).resolve("driver");
        try {
            Files.deleteIfExists(link);
            if (driver != null) {
                Files.createSymbolicLink(link, Path.of("..", "..", "..", "bus", "pci", "drivers", driver));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The driver the VF of this PCI address is bound to; empty when unbound or not a VF of this tree. */
    public Optional<String> vfDriver(String vfPci) {
        Path link = pfPciDir.getParent().resolve(vfPci).resolve("driver");
        try {
            return Files.isSymbolicLink(link) ? Optional.of(Files.readSymbolicLink(link).getFileName().toString())
                    : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** The PCI device directory of the PF (below which VFs' links, representors and SF devices live). */
    public Path pfDevice() {
        return pfPciDir;
    }

    static void deleteRecursively(Path p) throws IOException {
        if (!Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            try (var s = Files.list(p)) {
                for (Path c : s.toList()) {
                    deleteRecursively(c);
                }
            }
        }
        Files.delete(p);
    }

    private void write(int numVfs, List<BondDef> bonds, boolean vfNetdevs) throws IOException {
        Path classNet = root.resolve("class/net");
        Files.createDirectories(classNet);
        writeFile(classNet.resolve("bonding_masters"), String.join(" ", bonds.stream().map(BondDef::name).toList()) + "\n");
        Files.createDirectories(pfPciDir);
        String switchId = switchId(pfPci);

        int totalVfs = Math.max(DEFAULT_TOTAL_VFS, numVfs);
        writeFile(pfPciDir.resolve("sriov_totalvfs"), totalVfs + "\n");
        writeFile(pfPciDir.resolve("sriov_numvfs"), numVfs + "\n");
        writeFile(pfPciDir.resolve("sriov_vf_device"), "1018\n");
        writeFile(pfPciDir.resolve("vendor"), "0x15b3\n");
        writeFile(pfPciDir.resolve("device"), "0x1017\n");

        // the PF netdev is the uplink representor in switchdev mode
        netdevUnderPci(pfName, pfPciDir, "p0", switchId, pfMac(pfPci));

        Map<Integer, String> repNames = new HashMap<>();
        for (BondDef b : bonds) {
            if (b.vfIndex() < 0 || b.vfIndex() >= numVfs) {
                throw new IllegalArgumentException("bond " + b.name() + " names VF " + b.vfIndex() + " but the PF has "
                        + numVfs + " VFs");
            }
            repNames.put(b.vfIndex(), b.vfRepresentor());
        }
        Path pciParent = pfPciDir.getParent();
        for (int i = 0; i < numVfs; i++) {
            String vfPci = pciAddressOfVf(pfPci, i);
            Path vfDir = pciParent.resolve(vfPci);
            Files.createDirectories(vfDir);
            writeFile(vfDir.resolve("vendor"), "0x15b3\n");
            writeFile(vfDir.resolve("device"), "0x1018\n");
            Files.createSymbolicLink(pfPciDir.resolve("virtfn" + i), Path.of("..", vfPci));
            Files.createSymbolicLink(vfDir.resolve("physfn"), Path.of("..", pfPci));
            if (vfNetdevs) {
                netdevUnderPci(requireName(pfName + "v" + i), vfDir, null, null, vfMac(pfPci, i));
            }
            String rep = repNames.getOrDefault(i, pfName + "_" + i);
            netdevUnderPci(requireName(rep), pfPciDir, "pf0vf" + i, switchId, repMac(pfPci, 0x10, i));
        }

        Set<String> seen = new HashSet<>();
        for (int k = 0; k < bonds.size(); k++) {
            BondDef b = bonds.get(k);
            for (String n : List.of(b.name(), b.sfNetdev(), b.sfRepresentor(), b.vfRepresentor(), b.activeSlave())) {
                requireName(n);
            }
            if (!seen.add(b.name()) || !seen.add(b.sfNetdev()) || !seen.add(b.sfRepresentor())) {
                throw new IllegalArgumentException("bond " + b.name() + " reuses a name of another bond");
            }
            if (!b.activeSlave().equals(b.sfRepresentor()) && !b.activeSlave().equals(b.vfRepresentor())) {
                throw new IllegalArgumentException("bond " + b.name() + ": active slave " + b.activeSlave()
                        + " is neither " + b.sfRepresentor() + " nor " + b.vfRepresentor());
            }
            // SF K: its netdev on the auxiliary bus below the PF, its representor among the PF's netdevs
            Path sfDev = pfPciDir.resolve("mlx5_core.sf." + (k + 2));
            Files.createDirectories(sfDev);
            writeFile(sfDev.resolve("sfnum"), k + "\n");
            devlink.registerActiveSf(k, b.sfRepresentor());
            netdevUnderPci(b.sfNetdev(), sfDev, null, null, repMac(pfPci, 0x30, k));
            netdevUnderPci(b.sfRepresentor(), pfPciDir, "pf0sf" + k, switchId, repMac(pfPci, 0x20, k));

            Path bondDir = root.resolve("devices/virtual/net").resolve(b.name());
            Path bonding = bondDir.resolve("bonding");
            Files.createDirectories(bonding);
            writeFile(bondDir.resolve("address"), repMac(pfPci, 0x20, k) + "\n");
            writeFile(bondDir.resolve("operstate"), "up\n");
            writeFile(bonding.resolve("mode"), "active-backup 1\n");
            writeFile(bonding.resolve("slaves"), b.sfRepresentor() + " " + b.vfRepresentor() + "\n");
            writeFile(bonding.resolve("primary"), b.sfRepresentor() + "\n");
            writeFile(bonding.resolve("active_slave"), b.activeSlave() + "\n");
            writeFile(bonding.resolve("miimon"), "100\n");
            Files.createSymbolicLink(classNet.resolve(b.name()), Path.of("../../devices/virtual/net", b.name()));
            for (String slave : List.of(b.sfRepresentor(), b.vfRepresentor())) {
                Path slaveDir = classNet.resolve(slave).toRealPath();
                Files.createSymbolicLink(slaveDir.resolve("master"), slaveDir.relativize(bondDir));
                Path state = slaveDir.resolve("bonding_slave");
                Files.createDirectories(state);
                writeFile(state.resolve("state"), slave.equals(b.activeSlave()) ? "active\n" : "backup\n");
            }
        }
    }

    /** VF {@code index}'s representor {@code PF_index}, as switchdev mode creates it. Caller holds the monitor. */
    void addVfRepresentor(int index) throws IOException {
        netdevUnderPci(requireName(pfName + "_" + index), pfPciDir, "pf0vf" + index, switchId(pfPci),
                repMac(pfPci, 0x10, index));
    }

    /** A netdev living below a device directory, linked from class/net as the kernel does. Caller holds the monitor. */
    void netdevUnderPci(String name, Path deviceDir, String physPortName, String switchId, String mac)
            throws IOException {
        Path dir = deviceDir.resolve("net").resolve(name);
        if (Files.exists(dir)) {
            throw new IllegalArgumentException("netdev " + name + " defined twice");
        }
        Files.createDirectories(dir);
        writeFile(dir.resolve("address"), mac + "\n");
        writeFile(dir.resolve("operstate"), "up\n");
        writeFile(dir.resolve("mtu"), "1500\n");
        if (physPortName != null) {
            writeFile(dir.resolve("phys_port_name"), physPortName + "\n");
            writeFile(dir.resolve("phys_switch_id"), switchId + "\n");
        }
        Files.createSymbolicLink(dir.resolve("device"), dir.relativize(deviceDir));
        Path classLink = root.resolve("class/net").resolve(name);
        Files.createSymbolicLink(classLink, classLink.getParent().relativize(dir));
    }

    static void writeFile(Path file, String content) {
        try {
            Files.writeString(file, content, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
