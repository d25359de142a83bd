package io.sriovlm.testing.host;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static io.sriovlm.testing.host.FakeNicNames.pciAddressOfVf;
import static io.sriovlm.testing.host.FakeNicNames.requireName;
import static io.sriovlm.testing.host.FakeSysfsTree.deleteRecursively;
import static io.sriovlm.testing.host.FakeSysfsTree.read;
import static io.sriovlm.testing.host.FakeSysfsTree.writeFile;

/**
 * The fake NIC's kernel side: what a write to a sysfs attribute does (VFs appear and go with {@code sriov_numvfs},
 * bonds with {@code bonding_masters}, a bond's attributes behave as bonding.rst says), {@code ip link} renames, and
 * the fault of a bond write that does not stick. Guarded by the tree's monitor, like every change to the tree.
 */
public final class FakeKernel {
    private final FakeSysfsTree tree;
    /** Writes to a bond's active_slave still to be ignored (fault injection). */
    private int ignoredBondWrites;

    FakeKernel(FakeSysfsTree tree) {
        this.tree = tree;
    }

    /**
     * The next {@code n} writes to any bond's {@code active_slave} through {@link #write} do not stick: the
     * file keeps its old value, as when the kernel refuses a slave whose carrier dropped a moment before (the
     * writer's read-back sees it). 0 clears the fault.
     */
    public void ignoreNextBondWrites(int n) {
        synchronized (tree) {
            ignoredBondWrites = Math.max(0, n);
        }
    }

    /** Bond writes still to be ignored. */
    public int ignoredBondWritesLeft() {
        synchronized (tree) {
            return ignoredBondWrites;
        }
    }

    /** What the PF driver keeps for one VF ({@code ip link set dev PF vf N ...}); reset when the VF goes. */
    public record VfAdmin(String mac, int vlan, boolean spoofCheck, boolean trust, String linkState) {
        /** A VF as the driver creates it: no MAC, no VLAN, spoof checking on, not trusted, link state auto. */
        public static final VfAdmin FRESH = new VfAdmin("00:00:00:00:00:00", 0, true, false, "auto");
    }

    private final java.util.Map<Integer, VfAdmin> vfAdmin = new java.util.HashMap<>();

    /** The VF's settings on the PF; {@link VfAdmin#FRESH} for one never set. */
    public VfAdmin vfAdmin(int index) {
        synchronized (tree) {
            return vfAdmin.getOrDefault(index, VfAdmin.FRESH);
        }
    }

    /**
     * {@code ip link set dev PF vf N KEY VALUE...}: mac, vlan, spoofchk, trust, state.
     *
     * @throws IOException as the kernel answers for a VF the PF does not have or a value it refuses
     */
    public void setVf(int index, java.util.Map<String, String> settings) throws IOException {
        synchronized (tree) {
            int numVfs = Integer.parseInt(read(tree.pfDevice().resolve("sriov_numvfs")).trim());
            if (index < 0 || index >= numVfs) {
                throw new IOException("RTNETLINK answers: Invalid argument");
            }
            VfAdmin v = vfAdmin.getOrDefault(index, VfAdmin.FRESH);
            for (var e : settings.entrySet()) {
                String value = e.getValue();
                v = switch (e.getKey()) {
                    case "mac" -> new VfAdmin(value.toLowerCase(java.util.Locale.ROOT), v.vlan(), v.spoofCheck(), v.trust(), v.linkState());
                    case "vlan" -> new VfAdmin(v.mac(), Integer.parseInt(value), v.spoofCheck(), v.trust(), v.linkState());
                    case "spoofchk" -> new VfAdmin(v.mac(), v.vlan(), onOff(value), v.trust(), v.linkState());
                    case "trust" -> new VfAdmin(v.mac(), v.vlan(), v.spoofCheck(), onOff(value), v.linkState());
                    case "state" -> {
                        if (!List.of("auto", "enable", "disable").contains(value)) {
                            throw new IOException("Error: argument \"" + value + "\" is wrong: Invalid link state");
                        }
                        yield new VfAdmin(v.mac(), v.vlan(), v.spoofCheck(), v.trust(), value);
                    }
                    default -> throw new IOException("Error: argument \"" + e.getKey() + "\" is wrong: unknown vf setting");
                };
            }
            vfAdmin.put(index, v);
        }
    }

    private static boolean onOff(String value) throws IOException {
        if (!value.equals("on") && !value.equals("off")) {
            throw new IOException("Error: argument \"" + value + "\" is wrong: expected on or off");
        }
        return value.equals("on");
    }

    /** {@code ip link set dev OLD name NEW}. */
    public void rename(String oldName, String newName) throws IOException {
        synchronized (tree) {
            renameLocked(oldName, newName);
        }
    }

    private void renameLocked(String oldName, String newName) throws IOException {
        Path link = tree.root().resolve("class/net").resolve(requireName(oldName));
        Path target = tree.root().resolve("class/net").resolve(requireName(newName));
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
        tree.devlink().renamed(oldName, newName);
    }

    /**
     * What the kernel does on a sysfs write, for the attributes the provisioner writes: {@code sriov_numvfs} creates
     * or removes VFs and their representors (ERANGE above sriov_totalvfs, EBUSY for a new non-zero count while VFs
     * exist); {@code bonding_masters} creates and deletes bonds; a bond's {@code mode}, {@code slaves},
     * {@code primary}, {@code active_slave} and {@code miimon} as bonding.rst describes.
     */
    public void write(Path file, String value) throws IOException {
        synchronized (tree) {
            writeLocked(file, value);
        }
    }

    private void writeLocked(Path file, String value) throws IOException {
        Path real = file.getParent().toRealPath().resolve(file.getFileName());
        String v = value.trim();
        String name = real.getFileName().toString();
        if (real.equals(tree.pfDevice().toRealPath().resolve("sriov_numvfs"))) {
            int n;
            try {
                n = Integer.parseInt(v);
            } catch (NumberFormatException e) {
                throw new IOException("Invalid argument");
            }
            int total = Integer.parseInt(read(tree.pfDevice().resolve("sriov_totalvfs")).trim());
            int current = Integer.parseInt(read(tree.pfDevice().resolve("sriov_numvfs")).trim());
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
        if (real.equals(tree.root().toRealPath().resolve("class/net/bonding_masters"))) {
            String bond = requireName(v.substring(1));
            if (v.startsWith("+")) {
                createBond(bond);
            } else if (v.startsWith("-")) {
                deleteRecursively(tree.root().resolve("devices/virtual/net").resolve(bond));
                Files.deleteIfExists(tree.root().resolve("class/net").resolve(bond));
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
                        if (!Files.exists(tree.root().resolve("class/net").resolve(slave))) {
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
        Path dir = tree.root().resolve("devices/virtual/net");
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (var s = Files.list(dir)) {
            return s.filter(p -> Files.isDirectory(p.resolve("bonding"))).map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private void createBond(String bond) throws IOException {
        Path bondDir = tree.root().resolve("devices/virtual/net").resolve(bond);
        if (Files.exists(tree.root().resolve("class/net").resolve(bond))) {
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
        Files.createSymbolicLink(tree.root().resolve("class/net").resolve(bond), Path.of("../../devices/virtual/net", bond));
    }

    private void setVfCount(int current, int n) throws IOException {
        Path pciParent = tree.pfDevice().getParent();
        for (int i = n; i < current; i++) {
            vfAdmin.remove(i);
            String vfPci = pciAddressOfVf(tree.pfPci(), i);
            Files.deleteIfExists(tree.pfDevice().resolve("virtfn" + i));
            deleteRecursively(pciParent.resolve(vfPci));
            Path classNet = tree.root().resolve("class/net");
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
            String vfPci = pciAddressOfVf(tree.pfPci(), i);
            Path vfDir = pciParent.resolve(vfPci);
            Files.createDirectories(vfDir);
            writeFile(vfDir.resolve("vendor"), "0x15b3\n");
            writeFile(vfDir.resolve("device"), "0x1018\n");
            Files.createSymbolicLink(tree.pfDevice().resolve("virtfn" + i), Path.of("..", vfPci));
            Files.createSymbolicLink(vfDir.resolve("physfn"), Path.of("..", tree.pfPci()));
            if (tree.devlink().eswitchMode().equals("switchdev")) {
                tree.addVfRepresentor(i);
            }
        }
    }

}
