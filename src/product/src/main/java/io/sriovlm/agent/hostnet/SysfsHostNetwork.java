package io.sriovlm.agent.hostnet;

import io.sriovlm.api.v1alpha1.ApiPatterns;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@link HostNetwork} over sysfs, written to the kernel's documented interfaces so that the same code runs on a
 * host ({@code /sys}) and over a generated fake tree:
 * <ul>
 * <li>{@code ROOT/class/net/NAME} — a netdev exists;</li>
 * <li>{@code ROOT/class/net/BOND/bonding/{active_slave,slaves,mode,primary}} — Documentation/networking/bonding.rst;</li>
 * <li>{@code ROOT/class/net/PF/device/{sriov_numvfs,sriov_totalvfs,virtfnN}} — the PCI SR-IOV sysfs ABI;</li>
 * <li>{@code ROOT/class/net/PF/device/virtfnN/net/*}{@code /address} — the VF's MAC while a host driver owns it.</li>
 * </ul>
 * Every name is checked against {@link ApiPatterns#INTERFACE_NAME} before it becomes part of a path, so no value
 * from a custom resource can walk out of the tree.
 */
public class SysfsHostNetwork implements HostNetwork {

    private static final Pattern VIRTFN = Pattern.compile("virtfn(\\d+)");
    /** A netdev attribute path under class/net/NAME: one or two lower-case words, nothing that walks elsewhere. */
    private static final Pattern ATTRIBUTE = Pattern.compile("[a-z_]+(/[a-z_]+)?");

    private final Path root;

    /** @param sysfsRoot {@code /sys} on a host; a temporary directory in tests and in the sandbox */
    public SysfsHostNetwork(Path sysfsRoot) {
        this.root = Objects.requireNonNull(sysfsRoot, "sysfsRoot").toAbsolutePath().normalize();
    }

    public Path root() {
        return root;
    }

    /** An invalid name cannot name a netdev, so it does not exist. */
    @Override
    public boolean netdevExists(String name) {
        if (!validName(name)) {
            return false;
        }
        return Files.isDirectory(netdir(name));
    }

    /**
     * @throws IllegalArgumentException when {@code bond} is not a valid interface name (the interface gives this
     *                                  query no checked exception)
     */
    @Override
    public Optional<String> activeSlave(String bond) {
        Path file = bondingFile(requireValidUnchecked("bond", bond), "active_slave");
        return readOptional(file).map(String::trim).filter(s -> !s.isEmpty());
    }

    /**
     * @return the slaves in the kernel's order, empty when the bond does not exist
     * @throws IllegalArgumentException when {@code bond} is not a valid interface name
     */
    @Override
    public List<String> slaves(String bond) {
        Path file = bondingFile(requireValidUnchecked("bond", bond), "slaves");
        return readOptional(file).map(SysfsHostNetwork::words).orElse(List.of());
    }

    /** The bond's mode as the kernel prints it (e.g. {@code active-backup 1}), empty when the bond does not exist. */
    public Optional<String> mode(String bond) {
        return readOptional(bondingFile(requireValidUnchecked("bond", bond), "mode")).map(String::trim);
    }

    /** The bond's primary slave, empty when none is set or the bond does not exist. */
    public Optional<String> primary(String bond) {
        return readOptional(bondingFile(requireValidUnchecked("bond", bond), "primary")).map(String::trim)
                .filter(s -> !s.isEmpty());
    }

    @Override
    public Instant setActiveSlave(String bond, String slave) throws HostNetworkException {
        requireValid("bond", bond);
        requireValid("slave", slave);
        Path bonding = netdir(bond).resolve("bonding");
        if (!Files.isDirectory(bonding)) {
            throw new HostNetworkException("bond " + bond + " does not exist: no " + bonding);
        }
        Path modeFile = bonding.resolve("mode");
        String mode = readRequired(modeFile).trim();
        if (!mode.startsWith("active-backup")) {
            // bonding.rst: active_slave is only meaningful in active-backup, balance-tlb and balance-alb; we only
            // ever build active-backup bonds, and the kernel would refuse the write in the other modes.
            throw new HostNetworkException("bond " + bond + " is in mode '" + mode + "' (" + modeFile
                    + "), not active-backup: cannot set its active slave to " + slave);
        }
        List<String> slaves = words(readRequired(bonding.resolve("slaves")));
        if (!slaves.contains(slave)) {
            // the kernel answers EINVAL for a device that is not enslaved to this bond
            throw new HostNetworkException("bond " + bond + " has no slave " + slave + " (slaves: "
                    + (slaves.isEmpty() ? "none" : String.join(" ", slaves)) + ")");
        }
        Path activeFile = bonding.resolve("active_slave");
        String current = readRequired(activeFile).trim();
        if (current.equals(slave)) {
            return Instant.now();
        }
        try {
            writeAttribute(activeFile, slave);
        } catch (IOException e) {
            throw new HostNetworkException("writing '" + slave + "' to " + activeFile + " for bond " + bond
                    + " failed: " + describe(e) + " (the kernel refuses a slave whose link is down)", e);
        }
        String readBack = readRequired(activeFile).trim();
        if (!readBack.equals(slave)) {
            throw new HostNetworkException("bond " + bond + ": wrote '" + slave + "' to " + activeFile
                    + " but read back '" + readBack + "'");
        }
        return Instant.now();
    }

    @Override
    public List<VfInfo> listVfs(String pf) throws HostNetworkException {
        Path device = pfDevice(pf);
        List<VfInfo> vfs = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(device, "virtfn*")) {
            for (Path link : entries) {
                Matcher m = VIRTFN.matcher(link.getFileName().toString());
                if (!m.matches()) {
                    continue;
                }
                int index = Integer.parseInt(m.group(1));
                String pci = pciAddressOf(link);
                if (!ApiPatterns.matches(ApiPatterns.PCI_ADDRESS, pci)) {
                    throw new HostNetworkException("PF " + pf + ": " + link + " points at '" + pci
                            + "', which is not a PCI address");
                }
                vfs.add(new VfInfo(index, pci, vfMac(link).orElse(null)));
            }
        } catch (IOException e) {
            throw new HostNetworkException("PF " + pf + ": cannot list " + device + ": " + describe(e), e);
        }
        vfs.sort(Comparator.comparingInt(VfInfo::index));
        return vfs;
    }

    /** {@code sriov_numvfs} of the PF: how many VFs are enabled. */
    public int numVfs(String pf) throws HostNetworkException {
        return readInt(pfDevice(pf).resolve("sriov_numvfs"), pf);
    }

    /** {@code sriov_totalvfs} of the PF: how many VFs the device can enable. */
    public int totalVfs(String pf) throws HostNetworkException {
        return readInt(pfDevice(pf).resolve("sriov_totalvfs"), pf);
    }

    /** The netdevs in {@code class/net}, valid interface names only, sorted. */
    public List<String> netdevs() {
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(root.resolve("class").resolve("net"))) {
            for (Path p : entries) {
                String n = p.getFileName().toString();
                if (validName(n) && Files.isDirectory(p)) {
                    names.add(n);
                }
            }
        } catch (IOException e) {
            return List.of();
        }
        names.sort(null);
        return names;
    }

    /** One attribute of a netdev ({@code class/net/NAME/ATTR}), trimmed; empty when absent or unreadable. */
    public Optional<String> netdevAttribute(String netdev, String attribute) {
        if (!validName(netdev) || !ATTRIBUTE.matcher(attribute).matches()) {
            return Optional.empty();
        }
        return readOptional(netdir(netdev).resolve(attribute)).map(String::trim);
    }

    /** The PCI address of the device behind a netdev ({@code class/net/NAME/device}), if it is a PCI device. */
    public Optional<String> pciAddressOf(String netdev) {
        if (!validName(netdev)) {
            return Optional.empty();
        }
        try {
            String name = netdir(netdev).resolve("device").toRealPath().getFileName().toString();
            return ApiPatterns.matches(ApiPatterns.PCI_ADDRESS, name) ? Optional.of(name) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** The driver VF {@code index} of the PF is bound to ({@code PFDEV/virtfnN/driver}); empty when unbound. */
    public Optional<String> vfDriver(String pf, int index) {
        try {
            Path driver = pfDevice(pf).resolve("virtfn" + index).resolve("driver");
            if (!Files.isSymbolicLink(driver)) {
                return Optional.empty();
            }
            Path name = Files.readSymbolicLink(driver).getFileName();
            return name == null ? Optional.empty() : Optional.of(name.toString());
        } catch (HostNetworkException | IOException e) {
            return Optional.empty();
        }
    }

    /**
     * The kernel's release, from {@code proc/sys/kernel/osrelease} beside this sysfs root ({@code /proc} for
     * {@code /sys}); the JVM's os.version (uname -r) when there is none.
     */
    public String kernelRelease() {
        Path parent = root.getParent();
        return (parent == null ? Optional.<String>empty()
                : readOptional(parent.resolve("proc/sys/kernel/osrelease")).map(String::trim))
                .orElse(System.getProperty("os.version"));
    }

    /** A sub-function's auxiliary device below the PF: its sfnum and its netdev (when the SF is active). */
    public record SfDevice(String device, int sfNum, String netdev) {
    }

    /**
     * The SF auxiliary devices below the PF's PCI device ({@code PFDEV/*.sf.K/{sfnum,net/NAME}}), as mlx5 lays them
     * out on a host ({@code /sys/bus/auxiliary/devices/mlx5_core.sf.K} links there).
     */
    public List<SfDevice> subFunctions(String pf) throws HostNetworkException {
        Path device;
        try {
            device = pfDevice(pf).toRealPath();
        } catch (IOException e) {
            throw new HostNetworkException("PF " + pf + ": cannot resolve its device: " + describe(e), e);
        }
        List<SfDevice> out = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(device, "*.sf.*")) {
            for (Path aux : entries) {
                Optional<String> sfnum = readOptional(aux.resolve("sfnum")).map(String::trim);
                if (sfnum.isEmpty() || !sfnum.get().matches("\\d{1,5}")) {
                    continue;
                }
                String netdev = null;
                Path net = aux.resolve("net");
                if (Files.isDirectory(net)) {
                    try (DirectoryStream<Path> names = Files.newDirectoryStream(net)) {
                        for (Path n : names) {
                            if (validName(n.getFileName().toString())) {
                                netdev = n.getFileName().toString();
                            }
                        }
                    }
                }
                out.add(new SfDevice(aux.getFileName().toString(), Integer.parseInt(sfnum.get()), netdev));
            }
        } catch (IOException e) {
            throw new HostNetworkException("PF " + pf + ": cannot list SF devices in " + device + ": " + describe(e), e);
        }
        out.sort(Comparator.comparingInt(SfDevice::sfNum));
        return out;
    }

    /** True when the kernel offers bonding ({@code class/net/bonding_masters} exists). */
    public boolean bondingAvailable() {
        return Files.isRegularFile(root.resolve("class/net/bonding_masters"));
    }

    /**
     * Writes {@code value} to the sysfs attribute {@code relativePath} below the root (e.g.
     * {@code class/net/ens2/device/sriov_numvfs}). The path must stay inside the root.
     */
    public void write(String relativePath, String value) throws IOException {
        Path file = root.resolve(relativePath).normalize();
        if (!file.startsWith(root) || relativePath.contains("..")) {
            throw new IOException("refusing to write outside " + root + ": " + relativePath);
        }
        writeAttribute(file, value);
    }

    /**
     * Writes one sysfs attribute the way {@code echo VALUE > FILE} does. Never creates the file: sysfs attributes
     * exist or the kernel does not offer them. Overridable so tests can stand in for a kernel that ignores a write.
     */
    protected void writeAttribute(Path file, String value) throws IOException {
        Files.writeString(file, value + "\n", StandardCharsets.US_ASCII, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING);
    }

    private Path pfDevice(String pf) throws HostNetworkException {
        requireValid("PF", pf);
        Path device = netdir(pf).resolve("device");
        if (!Files.isDirectory(device)) {
            throw new HostNetworkException("PF " + pf + " not found or has no PCI device: no " + device);
        }
        return device;
    }

    private int readInt(Path file, String pf) throws HostNetworkException {
        String text = readRequired(file).trim();
        try {
            return Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new HostNetworkException("PF " + pf + ": " + file + " holds '" + text + "', not a number");
        }
    }

    private static String pciAddressOf(Path virtfnLink) throws IOException {
        if (Files.isSymbolicLink(virtfnLink)) {
            Path target = Files.readSymbolicLink(virtfnLink).getFileName();
            if (target != null) {
                return target.toString();
            }
        }
        return virtfnLink.toRealPath().getFileName().toString();
    }

    private static Optional<String> vfMac(Path virtfnLink) throws IOException {
        Path net = virtfnLink.resolve("net");
        if (!Files.isDirectory(net)) {
            return Optional.empty(); // bound to vfio-pci (assigned to a guest) or to no driver
        }
        try (DirectoryStream<Path> netdevs = Files.newDirectoryStream(net)) {
            List<Path> sorted = new ArrayList<>();
            netdevs.forEach(sorted::add);
            sorted.sort(Comparator.comparing(p -> p.getFileName().toString()));
            for (Path netdev : sorted) {
                Optional<String> mac = readOptional(netdev.resolve("address")).map(String::trim)
                        .filter(s -> !s.isEmpty());
                if (mac.isPresent()) {
                    return mac;
                }
            }
        }
        return Optional.empty();
    }

    private Path netdir(String name) {
        return root.resolve("class").resolve("net").resolve(name);
    }

    private Path bondingFile(String bond, String file) {
        return netdir(bond).resolve("bonding").resolve(file);
    }

    private static boolean validName(String name) {
        return ApiPatterns.matches(ApiPatterns.INTERFACE_NAME, name);
    }

    private static void requireValid(String what, String name) throws HostNetworkException {
        if (!validName(name)) {
            throw new HostNetworkException(invalidMessage(what, name));
        }
    }

    private static String requireValidUnchecked(String what, String name) {
        if (!validName(name)) {
            throw new IllegalArgumentException(invalidMessage(what, name));
        }
        return name;
    }

    private static String invalidMessage(String what, String name) {
        return "invalid " + what + " interface name '" + name + "': must match " + ApiPatterns.INTERFACE_NAME;
    }

    private static Optional<String> readOptional(Path file) {
        try {
            return Optional.of(Files.readString(file, StandardCharsets.US_ASCII));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static String readRequired(Path file) throws HostNetworkException {
        try {
            return Files.readString(file, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new HostNetworkException("cannot read " + file + ": " + describe(e), e);
        }
    }

    private static List<String> words(String text) {
        String t = text.trim();
        return t.isEmpty() ? List.of() : List.copyOf(Arrays.asList(t.split("\\s+")));
    }

    private static String describe(IOException e) {
        return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
    }
}
