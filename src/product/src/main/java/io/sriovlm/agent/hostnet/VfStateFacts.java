package io.sriovlm.agent.hostnet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sriovlm.agent.hostnet.CommandRunner.CommandResult;

import java.util.List;
import java.util.Optional;

/**
 * What VF-state migration needs of this host that the NIC side tells: the PF's PCI model (sysfs vendor and device),
 * its board's PSID and running firmware ({@code devlink dev info pci/PF -j}), the kernel's release, and which driver
 * each VF is bound to. QEMU's and libvirt's versions come from the hypervisor. Read at each heartbeat.
 */
public final class VfStateFacts {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final SysfsHostNetwork sysfs;
    private final CommandRunner runner;

    public VfStateFacts(SysfsHostNetwork sysfs, CommandRunner runner) {
        this.sysfs = sysfs;
        this.runner = runner;
    }

    /** @param nicModel PCI vendor:device, e.g. 15b3:1021; each field null when unknown */
    public record Host(String kernel, String nicModel, String psid, String firmware) {
    }

    public Host read(String pf) {
        String vendor = sysfs.netdevAttribute(pf, "device/vendor").map(VfStateFacts::hexId).orElse(null);
        String device = sysfs.netdevAttribute(pf, "device/device").map(VfStateFacts::hexId).orElse(null);
        String model = vendor == null || device == null ? null : vendor + ":" + device;
        String psid = null;
        String firmware = null;
        Optional<String> pci = sysfs.pciAddressOf(pf);
        if (pci.isPresent()) {
            CommandResult r = runner.run(List.of("devlink", "dev", "info", "pci/" + pci.get(), "-j"));
            if (r.succeeded()) {
                JsonNode versions = parse(r.stdout()).path("info").path("pci/" + pci.get()).path("versions");
                psid = text(versions.path("fixed").path("fw.psid"));
                firmware = text(versions.path("running").path("fw.version"));
            }
        }
        return new Host(sysfs.kernelRelease(), model, psid, firmware);
    }

    /** The driver a VF is bound to; empty when unbound. */
    public Optional<String> vfDriver(String pf, int index) {
        return sysfs.vfDriver(pf, index);
    }

    /** "0x15b3" → "15b3". */
    static String hexId(String sysfsValue) {
        String v = sysfsValue.trim().toLowerCase(java.util.Locale.ROOT);
        return v.startsWith("0x") ? v.substring(2) : v;
    }

    private static JsonNode parse(String json) {
        try {
            return JSON.readTree(json);
        } catch (Exception e) {
            return JSON.missingNode();
        }
    }

    private static String text(JsonNode n) {
        return n.isMissingNode() || n.isNull() ? null : n.asText();
    }
}
