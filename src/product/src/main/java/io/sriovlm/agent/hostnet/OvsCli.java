package io.sriovlm.agent.hostnet;

import io.sriovlm.agent.hostnet.CommandRunner.CommandResult;
import io.sriovlm.api.v1alpha1.ApiPatterns;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Builds ovs-vsctl / ovs-appctl argument lists (no shell) and reads Open vSwitch's state through them. Which
 * ovsdb-server and ovs-vswitchd it talks to is configuration: the system's defaults on a host, a test's own sockets
 * in a temp dir.
 *
 * @param dbSocket        {@code --db=unix:PATH} for ovs-vsctl, or null for the default
 * @param vswitchdControl {@code --target=PATH} for ovs-appctl (ovs-vswitchd's control socket), or null for the default
 * @param timeoutSeconds  {@code --timeout} of ovs-vsctl, so that an OVS that is down fails fast instead of hanging
 */
public record OvsCli(String dbSocket, String vswitchdControl, int timeoutSeconds) {

    public static OvsCli system() {
        return new OvsCli(null, null, 5);
    }

    /** The bridge as OVS has it, or why OVS could not be read. */
    public record OvsState(boolean reachable, String error, List<String> errorCommand, boolean bridgeExists,
            String datapathType, Map<String, OvsPort> ports, Map<String, String> otherConfig) {
        static OvsState down(List<String> argv, String error) {
            return new OvsState(false, error, argv, false, null, Map.of(), Map.of());
        }
    }

    /** One port of the bridge: its VLAN tag, and for an OVS bond its members, mode and active member. */
    public record OvsPort(String name, Integer tag, String bondMode, List<String> members, String activeMember,
            String bondPrimary) {
    }

    public List<String> vsctl(String... args) {
        List<String> argv = new ArrayList<>();
        argv.add("ovs-vsctl");
        if (dbSocket != null) {
            argv.add("--db=unix:" + dbSocket);
        }
        argv.add("--timeout=" + timeoutSeconds);
        argv.addAll(List.of(args));
        return argv;
    }

    public List<String> appctl(String... args) {
        List<String> argv = new ArrayList<>();
        argv.add("ovs-appctl");
        if (vswitchdControl != null) {
            argv.add("--target=" + vswitchdControl);
        }
        argv.add("--timeout=" + timeoutSeconds);
        argv.addAll(List.of(args));
        return argv;
    }

    /** Reads the bridge, its ports (tag, bond members) and the Open_vSwitch row's other_config. */
    public OvsState read(CommandRunner runner, String bridge) {
        if (!ApiPatterns.matches(ApiPatterns.INTERFACE_NAME, bridge)) {
            // never an argv element: a name starting with '-' would be read as an option of ovs-vsctl
            return OvsState.down(List.of(), "refusing to read bridge '" + bridge + "': not an interface name ("
                    + ApiPatterns.INTERFACE_NAME + ")");
        }
        List<String> probe = vsctl("get", "Open_vSwitch", ".", "other_config");
        CommandResult oc = runner.run(probe);
        if (!oc.succeeded()) {
            return OvsState.down(probe, oc.error());
        }
        Map<String, String> otherConfig = parseMap(oc.stdout());
        List<String> exists = vsctl("br-exists", bridge);
        CommandResult br = runner.run(exists);
        if (br.exitCode() == 2) {
            return new OvsState(true, null, null, false, null, Map.of(), otherConfig);
        }
        if (!br.succeeded()) {
            return OvsState.down(exists, br.error());
        }
        String datapath = null;
        List<String> dpArgv = vsctl("get", "Bridge", bridge, "datapath_type");
        CommandResult dp = runner.run(dpArgv);
        if (!dp.succeeded()) {
            return OvsState.down(dpArgv, dp.error());
        }
        datapath = unquote(dp.stdout().strip());
        List<String> lpArgv = vsctl("list-ports", bridge);
        CommandResult lp = runner.run(lpArgv);
        if (!lp.succeeded()) {
            return OvsState.down(lpArgv, lp.error());
        }
        Map<String, OvsPort> ports = new LinkedHashMap<>();
        for (String port : lp.stdout().strip().split("\n")) {
            port = port.strip();
            if (port.isEmpty()) {
                continue;
            }
            if (!ApiPatterns.matches(ApiPatterns.INTERFACE_NAME, port)) {
                // A port someone else added under a name no spec can give (and that could read as an option):
                // listed, never passed to ovs-vsctl or ovs-appctl.
                ports.put(port, new OvsPort(port, null, null, List.of(), null, null));
                continue;
            }
            List<String> getArgv = vsctl("get", "Port", port, "tag", "bond_mode", "other_config");
            CommandResult get = runner.run(getArgv);
            if (!get.succeeded()) {
                return OvsState.down(getArgv, get.error());
            }
            String[] lines = get.stdout().strip().split("\n", -1);
            Integer tag = lines.length > 0 ? parseTag(lines[0]) : null;
            String bondMode = lines.length > 1 ? emptyToNull(unquote(lines[1].strip())) : null;
            Map<String, String> portConfig = lines.length > 2 ? parseMap(lines[2]) : Map.of();
            List<String> members = List.of();
            String active = null;
            if (bondMode != null) {
                List<String> showArgv = appctl("bond/show", port);
                CommandResult show = runner.run(showArgv);
                if (!show.succeeded()) {
                    return OvsState.down(showArgv, show.error());
                }
                members = bondMembers(show.stdout());
                active = activeMember(show.stdout()).orElse(null);
            }
            ports.put(port, new OvsPort(port, tag, bondMode, members, active, portConfig.get("bond-primary")));
        }
        return new OvsState(true, null, null, true, emptyToNull(datapath), ports, otherConfig);
    }

    private static final Pattern MEMBER = Pattern.compile("^(?:member|slave) ([^:\\s]+):", Pattern.MULTILINE);
    private static final Pattern ACTIVE = Pattern.compile("^active (?:member|slave) mac: .*\\(([^)]+)\\)$|"
            + "^(?:member|slave) ([^:\\s]+): enabled\\s*\\n\\s*active (?:member|slave)", Pattern.MULTILINE);

    /** Member names in {@code ovs-appctl bond/show} output. */
    public static List<String> bondMembers(String bondShow) {
        List<String> out = new ArrayList<>();
        Matcher m = MEMBER.matcher(bondShow);
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    /** The active member in {@code ovs-appctl bond/show} output. */
    public static Optional<String> activeMember(String bondShow) {
        Matcher m = ACTIVE.matcher(bondShow);
        while (m.find()) {
            String name = m.group(1) != null ? m.group(1) : m.group(2);
            if (name != null && !name.equals("none")) {
                return Optional.of(name);
            }
        }
        return Optional.empty();
    }

    /** Parses ovs-vsctl's map syntax {@code {hw-offload="true", max-idle="100000", tc-policy=skip_sw}}. */
    public static Map<String, String> parseMap(String text) {
        Map<String, String> map = new LinkedHashMap<>();
        String t = text.strip();
        if (t.startsWith("{") && t.endsWith("}")) {
            t = t.substring(1, t.length() - 1);
        }
        Matcher m = Pattern.compile("\\s*([^=,\\s]+)=(\"(?:[^\"\\\\]|\\\\.)*\"|[^,]*)\\s*(?:,|$)").matcher(t);
        while (m.find()) {
            if (m.group(1).isEmpty()) {
                continue;
            }
            map.put(unquote(m.group(1)), unquote(m.group(2).strip()));
        }
        return map;
    }

    static Integer parseTag(String text) {
        String t = text.strip();
        if (t.isEmpty() || t.equals("[]")) {
            return null;
        }
        try {
            return Integer.parseInt(t);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    static String unquote(String s) {
        if (s.length() >= 2 && s.startsWith("\"") && s.endsWith("\"")) {
            return s.substring(1, s.length() - 1).replace("\\\"", "\"").replace("\\\\", "\\");
        }
        return s;
    }

    private static String emptyToNull(String s) {
        return s == null || s.isEmpty() || s.equals("[]") ? null : s;
    }
}
