package io.sriovlm.testing.host;

import io.sriovlm.agent.hostnet.CommandRunner;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * An in-memory stand-in for ovsdb-server + ovs-vswitchd that answers the ovs-vsctl / ovs-appctl commands the
 * provisioner issues, in the output formats of OVS 3.1 (checked against the real one by OvsProvisioningSandboxTest).
 * The sandbox uses it for each simulated hypervisor; the real-OVS tier runs the same commands against real daemons.
 */
public final class FakeOvs implements CommandRunner {

    static final class Port {
        Integer tag;
        String bondMode;
        List<String> members = new ArrayList<>();
        String active;
    }

    static final class Bridge {
        String datapathType = "";
        final Map<String, Port> ports = new TreeMap<>();
    }

    private final Map<String, Bridge> bridges = new LinkedHashMap<>();
    private final Map<String, String> otherConfig = new TreeMap<>();
    private volatile boolean down;

    /** Makes every command fail as when ovsdb-server is not running. */
    public void setDown(boolean down) {
        this.down = down;
    }

    public synchronized boolean hasPort(String bridge, String port) {
        Bridge b = bridges.get(bridge);
        return b != null && b.ports.containsKey(port);
    }

    public synchronized Integer tag(String bridge, String port) {
        return bridges.get(bridge).ports.get(port).tag;
    }

    public synchronized Map<String, String> otherConfig() {
        return Map.copyOf(otherConfig);
    }

    /** Removes a port behind the agent's back (drift). */
    public synchronized void deletePort(String bridge, String port) {
        bridges.get(bridge).ports.remove(port);
    }

    @Override
    public synchronized CommandResult run(List<String> argv) {
        if (down) {
            return CommandResult.fail(1, argv.get(0) + ": unix:/var/run/openvswitch/db.sock: database connection failed "
                    + "(No such file or directory)");
        }
        List<String> args = new ArrayList<>();
        for (String a : argv.subList(1, argv.size())) {
            if (!a.startsWith("--db=") && !a.startsWith("--timeout=") && !a.startsWith("--target=")) {
                args.add(a);
            }
        }
        if (argv.get(0).equals("ovs-appctl")) {
            return appctl(args);
        }
        StringBuilder out = new StringBuilder();
        List<String> cmd = new ArrayList<>();
        for (String a : args) {
            if (a.equals("--")) {
                CommandResult r = vsctl(cmd, out);
                if (!r.succeeded()) {
                    return r;
                }
                cmd.clear();
            } else {
                cmd.add(a);
            }
        }
        CommandResult r = vsctl(cmd, out);
        return r.succeeded() ? CommandResult.ok(out.toString()) : r;
    }

    private CommandResult vsctl(List<String> cmd, StringBuilder out) {
        boolean mayExist = cmd.remove("--may-exist");
        if (cmd.isEmpty()) {
            return CommandResult.ok("");
        }
        String verb = cmd.get(0);
        switch (verb) {
            case "br-exists":
                return bridges.containsKey(cmd.get(1)) ? CommandResult.ok("") : CommandResult.fail(2, "");
            case "add-br": {
                if (bridges.containsKey(cmd.get(1)) && !mayExist) {
                    return CommandResult.fail(1, "ovs-vsctl: cannot create a bridge named " + cmd.get(1)
                            + " because a bridge named " + cmd.get(1) + " already exists");
                }
                bridges.putIfAbsent(cmd.get(1), new Bridge());
                return CommandResult.ok("");
            }
            case "list-ports": {
                Bridge b = bridges.get(cmd.get(1));
                if (b == null) {
                    return CommandResult.fail(1, "ovs-vsctl: no bridge named " + cmd.get(1));
                }
                b.ports.keySet().forEach(p -> out.append(p).append('\n'));
                return CommandResult.ok("");
            }
            case "add-port":
            case "add-bond": {
                Bridge b = bridges.get(cmd.get(1));
                if (b == null) {
                    return CommandResult.fail(1, "ovs-vsctl: no bridge named " + cmd.get(1));
                }
                String name = cmd.get(2);
                if (b.ports.containsKey(name)) {
                    return mayExist ? CommandResult.ok("")
                            : CommandResult.fail(1, "ovs-vsctl: cannot create a port named " + name + " because a port named "
                                    + name + " already exists on bridge " + cmd.get(1));
                }
                Port p = new Port();
                for (String a : cmd.subList(3, cmd.size())) {
                    if (a.startsWith("tag=")) {
                        p.tag = Integer.parseInt(a.substring(4));
                    } else if (a.startsWith("bond_mode=")) {
                        p.bondMode = a.substring(10);
                    } else if (verb.equals("add-bond")) {
                        p.members.add(a);
                    }
                }
                if (verb.equals("add-bond")) {
                    p.active = p.members.get(0);
                }
                b.ports.put(name, p);
                return CommandResult.ok("");
            }
            case "del-port": {
                Bridge b = bridges.get(cmd.get(1));
                if (b != null) {
                    b.ports.remove(cmd.get(2));
                }
                return CommandResult.ok("");
            }
            case "get":
                return get(cmd, out);
            case "set":
            case "clear":
                return set(verb, cmd);
            default:
                return CommandResult.fail(1, "ovs-vsctl: unknown command '" + verb + "'; use --help for help");
        }
    }

    private CommandResult get(List<String> cmd, StringBuilder out) {
        String table = cmd.get(1);
        String record = cmd.get(2);
        for (String column : cmd.subList(3, cmd.size())) {
            switch (table + "." + column) {
                case "Open_vSwitch.other_config" -> out.append(map(otherConfig)).append('\n');
                case "Bridge.datapath_type" -> {
                    Bridge b = bridges.get(record);
                    if (b == null) {
                        return CommandResult.fail(1, "ovs-vsctl: no row \"" + record + "\" in table Bridge");
                    }
                    out.append(b.datapathType.isEmpty() ? "\"\"" : b.datapathType).append('\n');
                }
                case "Port.tag", "Port.bond_mode", "Port.other_config" -> {
                    Port p = port(record);
                    if (p == null) {
                        return CommandResult.fail(1, "ovs-vsctl: no row \"" + record + "\" in table Port");
                    }
                    out.append(switch (column) {
                        case "tag" -> p.tag == null ? "[]" : p.tag.toString();
                        case "bond_mode" -> p.bondMode == null ? "[]" : p.bondMode;
                        default -> "{}";
                    }).append('\n');
                }
                default -> {
                    return CommandResult.fail(1, "ovs-vsctl: fake OVS does not know " + table + "." + column);
                }
            }
        }
        return CommandResult.ok("");
    }

    private CommandResult set(String verb, List<String> cmd) {
        String table = cmd.get(1);
        String record = cmd.get(2);
        for (String kv : cmd.subList(3, cmd.size())) {
            String key = verb.equals("clear") ? kv : kv.substring(0, kv.indexOf('='));
            String value = verb.equals("clear") ? null : kv.substring(kv.indexOf('=') + 1);
            if (table.equals("Open_vSwitch") && key.startsWith("other_config:")) {
                otherConfig.put(key.substring("other_config:".length()), value);
            } else if (table.equals("Bridge") && key.equals("datapath_type")) {
                Bridge b = bridges.get(record);
                if (b == null) {
                    return CommandResult.fail(1, "ovs-vsctl: no row \"" + record + "\" in table Bridge");
                }
                b.datapathType = value == null ? "" : value;
            } else if (table.equals("Port")) {
                Port p = port(record);
                if (p == null) {
                    return CommandResult.fail(1, "ovs-vsctl: no row \"" + record + "\" in table Port");
                }
                if (key.equals("tag")) {
                    p.tag = value == null ? null : Integer.valueOf(value);
                } else if (key.equals("bond_mode")) {
                    p.bondMode = value;
                }
            } else {
                return CommandResult.fail(1, "ovs-vsctl: fake OVS does not know " + table + " " + key);
            }
        }
        return CommandResult.ok("");
    }

    private CommandResult appctl(List<String> args) {
        String port = args.size() > 1 ? args.get(1) : "";
        Port p = port(port);
        if (p == null || p.bondMode == null) {
            return CommandResult.fail(2, "no such bond\novs-appctl: ovs-vswitchd: server returned an error");
        }
        switch (args.get(0)) {
            case "bond/show" -> {
                StringBuilder b = new StringBuilder("---- " + port + " ----\nbond_mode: " + p.bondMode + "\n");
                b.append("active member mac: 00:00:00:00:00:00(").append(p.active == null ? "none" : p.active).append(")\n\n");
                for (String m : p.members) {
                    b.append("member ").append(m).append(": enabled\n");
                    if (m.equals(p.active)) {
                        b.append("  active member\n");
                    }
                    b.append("  may_enable: true\n\n");
                }
                return CommandResult.ok(b.toString());
            }
            case "bond/set-active-member" -> {
                if (!p.members.contains(args.get(2))) {
                    return CommandResult.fail(2, "no such member\novs-appctl: ovs-vswitchd: server returned an error");
                }
                boolean change = !args.get(2).equals(p.active);
                p.active = args.get(2);
                return CommandResult.ok(change ? "done\n" : "no change\n");
            }
            default -> {
                return CommandResult.fail(2, "\"" + args.get(0) + "\" is not a valid command");
            }
        }
    }

    private Port port(String name) {
        for (Bridge b : bridges.values()) {
            if (b.ports.containsKey(name)) {
                return b.ports.get(name);
            }
        }
        return null;
    }

    private static String map(Map<String, String> m) {
        List<String> parts = new ArrayList<>();
        m.forEach((k, v) -> parts.add(k + "=" + (v.matches("[A-Za-z_][A-Za-z0-9_]*") && !v.equals("true") && !v.equals("false")
                ? v : "\"" + v + "\"")));
        return "{" + String.join(", ", parts) + "}";
    }
}
