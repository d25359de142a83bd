package io.sriovlm.common;

import io.sriovlm.api.v1alpha1.HypervisorNicStatus.VfStateHost;
import io.sriovlm.api.v1alpha1.VmInventoryStatus.VfStatus;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Whether a VF's device state can be migrated between two hosts, from what their agents report. NVIDIA's documented
 * requirements for VF live migration with the mlx5_vfio_pci variant driver: ConnectX-7 or BlueField-3, the VF bound to
 * mlx5_vfio_pci, kernel 6.7 or newer, QEMU 8.1 or newer, libvirt 8.6 or newer, and the same PSID and firmware on
 * both hosts (docs/decisions/020-vf-state-method.md). Every problem names the host and the fix. Pure.
 */
public final class VfStateSupport {
    /** The VFIO variant driver whose VFs carry their state across a migration. */
    public static final String VARIANT_DRIVER = "mlx5_vfio_pci";
    /** PCI vendor:device of the PFs it supports. */
    static final Map<String, String> MODELS = Map.of("15b3:1021", "ConnectX-7", "15b3:a2dc", "BlueField-3");
    static final int[] MIN_KERNEL = {6, 7};
    static final int[] MIN_QEMU = {8, 1};
    static final int[] MIN_LIBVIRT = {8, 6};
    private static final Pattern VERSION = Pattern.compile("^(\\d+)(?:\\.(\\d+))?(?:\\.(\\d+))?");

    private VfStateSupport() {
    }

    /** True when the VF is bound to the variant driver (so its state can leave or arrive). */
    public static boolean stateMigratable(VfStatus vf) {
        return vf != null && VARIANT_DRIVER.equals(vf.driver);
    }

    /** What one host lacks, as the agent reports it in its own status; empty when it qualifies. */
    public static List<String> hostProblems(VfStateHost host) {
        List<String> out = new ArrayList<>();
        if (host == null) {
            out.add("its agent reports no VF-state facts (an older agent, or it cannot read them)");
            return out;
        }
        if (host.nicModel == null || !MODELS.containsKey(host.nicModel)) {
            out.add("NIC " + (host.nicModel == null ? "of unknown model" : host.nicModel)
                    + " is not a ConnectX-7 (15b3:1021) or BlueField-3 (15b3:a2dc)");
        }
        tooOld(out, "kernel", host.kernel, MIN_KERNEL, "upgrade the host kernel");
        tooOld(out, "QEMU", host.qemu, MIN_QEMU, "upgrade QEMU");
        tooOld(out, "libvirt", host.libvirt, MIN_LIBVIRT, "upgrade libvirt");
        if (host.psid == null || host.firmware == null) {
            out.add("PSID or firmware version unknown (devlink dev info gave none)");
        }
        return out;
    }

    /** What one host lacks, each line naming it. */
    public static List<String> hostProblems(String node, VfStateHost host) {
        return hostProblems(host).stream().map(p -> node + ": " + p).toList();
    }

    /** What the source and target lack together: each host's problems, then parity of PSID and firmware. */
    public static List<String> problems(String source, VfStateHost sourceHost, String target, VfStateHost targetHost) {
        List<String> out = new ArrayList<>(hostProblems(source, sourceHost));
        out.addAll(hostProblems(target, targetHost));
        if (sourceHost != null && targetHost != null) {
            if (sourceHost.psid != null && targetHost.psid != null && !sourceHost.psid.equals(targetHost.psid)) {
                out.add("PSID differs: " + source + " " + sourceHost.psid + ", " + target + " " + targetHost.psid
                        + " (the device state moves only between boards of the same PSID)");
            }
            if (sourceHost.firmware != null && targetHost.firmware != null
                    && !sourceHost.firmware.equals(targetHost.firmware)) {
                out.add("firmware differs: " + source + " " + sourceHost.firmware + ", " + target + " "
                        + targetHost.firmware + "; flash both to the same version");
            }
        }
        return out;
    }

    private static void tooOld(List<String> out, String what, String version, int[] min, String fix) {
        int[] v = parse(version);
        if (v == null) {
            out.add(what + " version unknown");
        } else if (compare(v, min) < 0) {
            out.add(what + " " + version + " is older than " + min[0] + "." + min[1] + "; " + fix);
        }
    }

    /** major.minor of a version string such as "6.8.0-45-generic" or "8.2.2"; null when it has none. */
    static int[] parse(String version) {
        if (version == null) {
            return null;
        }
        Matcher m = VERSION.matcher(version.trim());
        if (!m.find()) {
            return null;
        }
        return new int[] {Integer.parseInt(m.group(1)), m.group(2) == null ? 0 : Integer.parseInt(m.group(2))};
    }

    static int compare(int[] a, int[] b) {
        return a[0] != b[0] ? Integer.compare(a[0], b[0]) : Integer.compare(a[1], b[1]);
    }

    /** For messages: "libvirt 9.0.0, QEMU 7.2.0, ..." of one host. */
    public static String describe(VfStateHost host) {
        if (host == null) {
            return "not reported";
        }
        return "NIC " + Objects.toString(host.nicModel, "?") + ", PSID " + Objects.toString(host.psid, "?")
                + ", firmware " + Objects.toString(host.firmware, "?") + ", kernel " + Objects.toString(host.kernel, "?")
                + ", QEMU " + Objects.toString(host.qemu, "?") + ", libvirt " + Objects.toString(host.libvirt, "?");
    }
}
