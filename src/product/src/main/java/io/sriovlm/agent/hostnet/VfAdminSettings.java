package io.sriovlm.agent.hostnet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sriovlm.agent.hostnet.CommandRunner.CommandResult;
import io.sriovlm.api.v1alpha1.VmInventoryStatus;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The settings a PF keeps for each of its VFs (administrative MAC, VLAN, spoof checking, trust, link state), read
 * with {@code ip -j link show dev PF} (iproute2's {@code vfinfo_list}) and cleared with {@code ip link set dev PF vf N
 * mac 00:00:00:00:00:00 vlan 0}. sysfs does not show them: they live in the PF driver, reached over netlink.
 */
public final class VfAdminSettings {
    /** The MAC a VF has when no administrator or libvirt set one. */
    public static final String NO_MAC = io.sriovlm.api.v1alpha1.VmInventoryStatus.VfStatus.NO_MAC;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final CommandRunner runner;

    public VfAdminSettings(CommandRunner runner) {
        this.runner = runner;
    }

    /**
     * One VF's settings; a field the PF driver does not report is null.
     *
     * @param linkState auto, enable or disable
     */
    public record Settings(int index, String mac, Integer vlan, Boolean spoofCheck, Boolean trust, String linkState) {
        /** Whether a MAC or a VLAN is left on the VF (what a released VF must not keep). */
        public boolean carriesAddressOrVlan() {
            return (mac != null && !NO_MAC.equals(mac)) || (vlan != null && vlan != 0);
        }
    }

    /**
     * @return by VF index
     * @throws HostNetworkException naming the command and its error when ip fails or prints what it cannot parse
     */
    public Map<Integer, Settings> read(String pf) throws HostNetworkException {
        List<String> argv = List.of("ip", "-j", "link", "show", "dev", pf);
        CommandResult r = runner.run(argv);
        if (!r.succeeded()) {
            throw new HostNetworkException(CommandRunner.show(argv) + ": " + r.error());
        }
        try {
            return parse(r.stdout());
        } catch (RuntimeException | java.io.IOException e) {
            throw new HostNetworkException(CommandRunner.show(argv) + ": unparseable output: " + e.getMessage());
        }
    }

    /** iproute2's JSON: one link object with {@code vfinfo_list}; VLAN as {@code vlan_list} (≥ 4.x) or {@code vlan}. */
    static Map<Integer, Settings> parse(String json) throws java.io.IOException {
        Map<Integer, Settings> out = new LinkedHashMap<>();
        JsonNode links = JSON.readTree(json);
        JsonNode link = links.isArray() ? links.path(0) : links;
        for (JsonNode vf : link.path("vfinfo_list")) {
            if (!vf.path("vf").canConvertToInt()) {
                continue;
            }
            Integer vlan = null;
            if (vf.path("vlan_list").isArray()) {
                vlan = vf.path("vlan_list").size() == 0 ? 0 : vf.path("vlan_list").path(0).path("vlan").asInt(0);
            } else if (vf.has("vlan")) {
                vlan = vf.path("vlan").asInt(0);
            } else if (vf.has("address")) {
                vlan = 0; // iproute2 prints the VLAN only when one is set
            }
            int index = vf.path("vf").asInt();
            out.put(index, new Settings(index, vf.path("address").asText(null), vlan, bool(vf, "spoofchk"),
                    bool(vf, "trust"), vf.path("link_state").asText(null)));
        }
        return out;
    }

    private static Boolean bool(JsonNode vf, String field) {
        return vf.path(field).isBoolean() ? vf.path(field).asBoolean() : null;
    }

    /**
     * Clears the VF's administrative MAC and VLAN, the argv returned for the record.
     *
     * @throws HostNetworkException naming the command and its error
     */
    public List<String> clearAddressAndVlan(String pf, int index) throws HostNetworkException {
        List<String> argv = List.of("ip", "link", "set", "dev", pf, "vf", Integer.toString(index), "mac", NO_MAC,
                "vlan", "0");
        CommandResult r = runner.run(argv);
        if (!r.succeeded()) {
            throw new HostNetworkException(CommandRunner.show(argv) + ": " + r.error());
        }
        return argv;
    }
}
