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
import java.util.Objects;
import java.util.Set;

/**
 * Writes a fake sysfs tree shaped like a ConnectX-class PF in switchdev mode with its VFs, VF representors,
 * sub-functions and one active-backup bond per SF/VF representor pair, as the NVIDIA runbook sets a hypervisor up.
 * The layout follows the kernel's, symlinks included, so that {@code SysfsHostNetwork} reads it with the paths it
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

    /** A sub-function's devlink port as the fake device knows it. */
    public record SfPort(int pfNum, int sfNum, int portIndex, String state, String representor) {
    }

    private final Map<Integer, SfPort> sfs = new java.util.TreeMap<>();
    private String eswitchMode = "switchdev";
    private boolean hwTcOffload = true;
    /** Writes to a bond's active_slave still to be ignored (fault injection), guarded by this. */
    private int ignoredBondWrites;
    private final Path root;
    private final String pfName;
    private final String pfPci;
    private final Path pfPciDir;

    private FakeSysfsTree(Path root, String pfName, String pfPci) {
        this.root = root;
        this.pfName = pfName;
        this.pfPci = pfPci;
        this.pfPciDir = root.resolve("devices/pci0000:00/0000:00:02.0").resolve(pfPci);
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

    /**
     * The PCI address the kernel gives VF {@code index} of the PF: routing ID = PF's + First VF Offset (1) +
     * index × VF Stride (1), shown as bus:slot.function, so VF 0 of 0000:06:00.0 is 0000:06:00.1 and VF 7 is
     * 0000:06:01.0.
     */
    public static String pciAddressOfVf(String pfPci, int index) {
        if (!ApiPatterns.matches(ApiPatterns.PCI_ADDRESS, pfPci)) {
            throw new IllegalArgumentException("not a PCI address: '" + pfPci + "'");
        }
        if (index < 0) {
            throw new IllegalArgumentException("negative VF index " + index);
        }
        int domain = Integer.parseInt(pfPci.substring(0, 4), 16);
        int bus = Integer.parseInt(pfPci.substring(5, 7), 16);
        int slot = Integer.parseInt(pfPci.substring(8, 10), 16);
        int fn = Integer.parseInt(pfPci.substring(11, 12), 16);
        int rid = (bus << 8) | (slot << 3) | fn;
        int vfRid = rid + 1 + index;
        if (vfRid > 0xffff) {
            throw new IllegalArgumentException("VF " + index + " of " + pfPci + " is beyond the last bus");
        }
        return String.format("%04x:%02x:%02x.%x", domain, vfRid >> 8, (vfRid >> 3) & 0x1f, vfRid & 7);
    }

    /** The MAC the tree gives VF {@code index}'s host netdev (locally administered, derived from the PF address). */
    public static String vfMac(String pfPci, int index) {
        String vf = pciAddressOfVf(pfPci, index);
        int bus = Integer.parseInt(vf.substring(5, 7), 16);
        int slot = Integer.parseInt(vf.substring(8, 10), 16);
        int fn = Integer.parseInt(vf.substring(11, 12), 16);
        return String.format("02:00:%02x:%02x:%02x:%02x", bus, slot, fn, index & 0xff);
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
     * The next {@code n} writes to any bond's {@code active_slave} through {@link #kernelWrite} do not stick: the
     * file keeps its old value, as when the kernel refuses a slave whose carrier dropped a moment before (the
     * writer's read-back sees it). 0 clears the fault.
     */
    public synchronized void ignoreNextBondWrites(int n) {
        ignoredBondWrites = Math.max(0, n);
    }

    /** Bond writes still to be ignored. */
    public synchronized int ignoredBondWritesLeft() {
        return ignoredBondWrites;
    }

    /**
     * A PF as it comes out of the box: legacy e-switch, hw-tc-offload off, no VFs, no SFs, no bonds, and
     * {@code sriov_totalvfs} as given. The provisioner's job is to turn it into the runbook's setup.
     */
    public static FakeSysfsTree createBare(Path root, String pfName, String pfPci, int totalVfs) {
        FakeSysfsTree tree = create(root, pfName, pfPci, 0, List.of());
        tree.eswitchMode = "legacy";
        tree.hwTcOffload = false;
        tree.writeFile(tree.pfPciDir.resolve("sriov_totalvfs"), totalVfs + "\n");
        return tree;
    }

    /** A {@link io.sriovlm.agent.hostnet.SysfsHostNetwork} over this tree whose writes behave as the kernel's. */
    public io.sriovlm.agent.hostnet.SysfsHostNetwork hostNetwork() {
        return new io.sriovlm.agent.hostnet.SysfsHostNetwork(root) {
            @Override
            protected void writeAttribute(Path file, String value) throws IOException {
                kernelWrite(file, value);
            }
        };
    }

    public synchronized String eswitchMode() {
        return eswitchMode;
    }

    /** {@code devlink dev eswitch set ... mode M}: in switchdev mode every VF gets its representor PF_i. */
    public synchronized void setEswitchMode(String mode) throws IOException {
        eswitchMode = mode;
        if (mode.equals("switchdev")) {
            int n = Integer.parseInt(read(pfPciDir.resolve("sriov_numvfs")).trim());
            for (int i = 0; i < n; i++) {
                final int index = i;
                boolean has;
                try (var links = Files.list(root.resolve("class/net"))) {
                    has = links.anyMatch(l -> Files.isRegularFile(l.resolve("phys_port_name"))
                            && read(l.resolve("phys_port_name")).trim().equals("pf0vf" + index));
                }
                if (!has) {
                    netdevUnderPci(requireName(pfName + "_" + i), pfPciDir, "pf0vf" + i, switchId(pfPci), repMac(pfPci, 0x10, i));
                }
            }
        }
    }

    public synchronized boolean hwTcOffload() {
        return hwTcOffload;
    }

    public synchronized void setHwTcOffload(boolean on) {
        hwTcOffload = on;
    }

    public synchronized List<SfPort> sfPorts() {
        return List.copyOf(sfs.values());
    }

    /** The PCI device directory of the PF (below which VFs' links, representors and SF devices live). */
    public Path pfDevice() {
        return pfPciDir;
    }

    /** {@code devlink port add ... flavour pcisf pfnum P sfnum N}: an inactive SF whose representor appears now. */
    public synchronized SfPort addSf(int pfNum, int sfNum) throws IOException {
        if (sfs.containsKey(sfNum)) {
            throw new IOException("Error: mlx5_core: SF already exists. kernel answers: File exists");
        }
        int bus = Integer.parseInt(pfPci.substring(5, 7), 16);
        String rep = "en" + bus + "s0f0pf" + pfNum + "sf" + sfNum;
        netdevUnderPci(requireName(rep), pfPciDir, "pf" + pfNum + "sf" + sfNum, switchId(pfPci), repMac(pfPci, 0x20, sfNum));
        SfPort port = new SfPort(pfNum, sfNum, 32768 + sfNum, "inactive", rep);
        sfs.put(sfNum, port);
        return port;
    }

    /** {@code devlink port function set ... state active}: the SF's auxiliary device and netdev appear. */
    public synchronized void activateSf(int portIndex) throws IOException {
        SfPort port = sfs.values().stream().filter(p -> p.portIndex() == portIndex).findFirst()
                .orElseThrow(() -> new IOException("Error: devlink: port " + portIndex + " not found"));
        if (port.state().equals("active")) {
            return;
        }
        int bus = Integer.parseInt(pfPci.substring(5, 7), 16);
        Path sfDev = pfPciDir.resolve("mlx5_core.sf." + (port.sfNum() + 100));
        Files.createDirectories(sfDev);
        writeFile(sfDev.resolve("sfnum"), port.sfNum() + "\n");
        netdevUnderPci(requireName("enp" + bus + "s0f0s" + port.sfNum()), sfDev, null, null, repMac(pfPci, 0x30, port.sfNum()));
        sfs.put(port.sfNum(), new SfPort(port.pfNum(), port.sfNum(), port.portIndex(), "active", port.representor()));
    }

    /** {@code ip link set dev OLD name NEW}. */
    public synchronized void rename(String oldName, String newName) throws IOException {
        Path link = root.resolve("class/net").resolve(requireName(oldName));
        Path target = root.resolve("class/net").resolve(requireName(newName));
        if (!Files.exists(link)) {
            throw new IOException("Cannot find device \"" + oldName + "\"");
        }
        if (Files.exists(target)) {
            throw new IOException("RTNETLINK answers: File exists");
        }
        Path dir = link.toRealPath();
        Path newDir = dir.resolveSibling(newName);
        Files.move(dir, newDir);
        Files.delete(link);
        Files.createSymbolicLink(target, target.getParent().relativize(newDir));
        for (Map.Entry<Integer, SfPort> e : sfs.entrySet()) {
            if (e.getValue().representor().equals(oldName)) {
                SfPort p = e.getValue();
                e.setValue(new SfPort(p.pfNum(), p.sfNum(), p.portIndex(), p.state(), newName));
            }
        }
    }

    /**
     * What the kernel does on a sysfs write, for the attributes the provisioner writes: {@code sriov_numvfs} creates
     * or removes VFs and their representors (ERANGE above sriov_totalvfs, EBUSY for a new non-zero count while VFs
     * exist); {@code bonding_masters} creates and deletes bonds; a bond's {@code mode}, {@code slaves},
     * {@code primary}, {@code active_slave} and {@code miimon} as bonding.rst describes.
     */
    public synchronized void kernelWrite(Path file, String value) throws IOException {
        Path real = file.getParent().toRealPath().resolve(file.getFileName());
        String v = value.trim();
        String name = real.getFileName().toString();
        if (real.equals(pfPciDir.toRealPath().resolve("sriov_numvfs"))) {
            int n;
            try {
                n = Integer.parseInt(v);
            } catch (NumberFormatException e) {
                throw new IOException("Invalid argument");
            }
            int total = Integer.parseInt(read(pfPciDir.resolve("sriov_totalvfs")).trim());
            int current = Integer.parseInt(read(pfPciDir.resolve("sriov_numvfs")).trim());
            if (n < 0 || n > total) {
                throw new IOException("Numerical result out of range");
            }
            if (current != 0 && n != 0 && n != current) {
                throw new IOException("Device or resource busy");
            }
            setVfCount(current, n);
            writeFile(real, n + "\n");
            return;
        }
        if (real.equals(root.toRealPath().resolve("class/net/bonding_masters"))) {
            String bond = requireName(v.substring(1));
            if (v.startsWith("+")) {
                createBond(bond);
            } else if (v.startsWith("-")) {
                deleteRecursively(root.resolve("devices/virtual/net").resolve(bond));
                Files.deleteIfExists(root.resolve("class/net").resolve(bond));
            } else {
                throw new IOException("Invalid argument");
            }
            writeFile(real, String.join(" ", bonds()) + "\n");
            return;
        }
        if (real.getParent().getFileName().toString().equals("bonding")) {
            Path bonding = real.getParent();
            switch (name) {
                case "mode" -> {
                    if (!read(bonding.resolve("slaves")).isBlank()) {
                        throw new IOException("Operation not permitted (bond has slaves)");
                    }
                    writeFile(real, v.equals("active-backup") || v.equals("1") ? "active-backup 1\n" : v + "\n");
                }
                case "slaves" -> {
                    List<String> slaves = new java.util.ArrayList<>(List.of(read(bonding.resolve("slaves")).trim().split("\\s+")));
                    slaves.removeIf(String::isEmpty);
                    String slave = requireName(v.substring(1));
                    if (v.startsWith("+")) {
                        if (!Files.exists(root.resolve("class/net").resolve(slave))) {
                            throw new IOException("No such device");
                        }
                        if (!slaves.contains(slave)) {
                            slaves.add(slave);
                        }
                        if (read(bonding.resolve("active_slave")).isBlank()) {
                            writeFile(bonding.resolve("active_slave"), slave + "\n");
                        }
                    } else {
                        slaves.remove(slave);
                    }
                    writeFile(real, String.join(" ", slaves) + "\n");
                }
                case "primary" -> {
                    writeFile(real, v + "\n");
                    if (read(bonding.resolve("slaves")).trim().contains(v)) {
                        writeFile(bonding.resolve("active_slave"), v + "\n"); // primary_reselect=always
                    }
                }
                case "active_slave" -> {
                    if (ignoredBondWrites > 0) {
                        ignoredBondWrites--;
                        return;
                    }
                    writeFile(real, v + "\n");
                }
                default -> writeFile(real, v + "\n");
            }
            return;
        }
        writeFile(real, v + "\n");
    }

    private List<String> bonds() throws IOException {
        Path dir = root.resolve("devices/virtual/net");
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (var s = Files.list(dir)) {
            return s.filter(p -> Files.isDirectory(p.resolve("bonding"))).map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private void createBond(String bond) throws IOException {
        Path bondDir = root.resolve("devices/virtual/net").resolve(bond);
        if (Files.exists(root.resolve("class/net").resolve(bond))) {
            throw new IOException("File exists");
        }
        Path bonding = Files.createDirectories(bondDir.resolve("bonding"));
        writeFile(bondDir.resolve("address"), "00:00:00:00:00:00\n");
        writeFile(bondDir.resolve("operstate"), "down\n");
        writeFile(bonding.resolve("mode"), "balance-rr 0\n");
        writeFile(bonding.resolve("slaves"), "\n");
        writeFile(bonding.resolve("primary"), "\n");
        writeFile(bonding.resolve("active_slave"), "\n");
        writeFile(bonding.resolve("miimon"), "0\n");
        Files.createSymbolicLink(root.resolve("class/net").resolve(bond), Path.of("../../devices/virtual/net", bond));
    }

    private void setVfCount(int current, int n) throws IOException {
        Path pciParent = pfPciDir.getParent();
        for (int i = n; i < current; i++) {
            String vfPci = pciAddressOfVf(pfPci, i);
            Files.deleteIfExists(pfPciDir.resolve("virtfn" + i));
            deleteRecursively(pciParent.resolve(vfPci));
            Path classNet = root.resolve("class/net");
            try (var links = Files.list(classNet)) {
                for (Path l : links.toList()) {
                    Path port = l.resolve("phys_port_name");
                    if (Files.isRegularFile(port) && read(port).trim().equals("pf0vf" + i)) {
                        Path dir = l.toRealPath();
                        Files.delete(l);
                        deleteRecursively(dir);
                    }
                }
            }
        }
        for (int i = current; i < n; i++) {
            String vfPci = pciAddressOfVf(pfPci, i);
            Path vfDir = pciParent.resolve(vfPci);
            Files.createDirectories(vfDir);
            writeFile(vfDir.resolve("vendor"), "0x15b3\n");
            writeFile(vfDir.resolve("device"), "0x1018\n");
            Files.createSymbolicLink(pfPciDir.resolve("virtfn" + i), Path.of("..", vfPci));
            Files.createSymbolicLink(vfDir.resolve("physfn"), Path.of("..", pfPci));
            if (eswitchMode.equals("switchdev")) {
                netdevUnderPci(requireName(pfName + "_" + i), pfPciDir, "pf0vf" + i, switchId(pfPci), repMac(pfPci, 0x10, i));
            }
        }
    }

    private static void deleteRecursively(Path p) throws IOException {
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
            sfs.put(k, new SfPort(0, k, 32768 + k, "active", b.sfRepresentor()));
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

    /** A netdev living below a device directory, linked from class/net as the kernel does. */
    private void netdevUnderPci(String name, Path deviceDir, String physPortName, String switchId, String mac)
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

    private static String switchId(String pfPci) {
        return String.format("%016x", (long) pfPci.hashCode() * 0x9E3779B97F4A7C15L);
    }

    private static String pfMac(String pfPci) {
        return repMac(pfPci, 0x00, 0);
    }

    private static String repMac(String pfPci, int kind, int index) {
        int bus = Integer.parseInt(pfPci.substring(5, 7), 16);
        int fn = Integer.parseInt(pfPci.substring(11, 12), 16);
        return String.format("0a:00:%02x:%02x:%02x:%02x", bus, fn, kind, index & 0xff);
    }

    private static String requireName(String name) {
        if (!ApiPatterns.matches(ApiPatterns.INTERFACE_NAME, name)) {
            throw new IllegalArgumentException("invalid interface name '" + name + "'");
        }
        return name;
    }

    private static void writeFile(Path file, String content) {
        try {
            Files.writeString(file, content, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
