package io.sriovlm.testing.host;

import io.sriovlm.agent.hostnet.CommandRunner;
import io.sriovlm.testing.host.FakeDevlink.SfPort;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The host tools over a {@link FakeSysfsTree}: devlink (e-switch mode, SF ports; mlxdevm takes the same syntax),
 * ethtool (hw-tc-offload), ip link (up, down, rename), and ovs-vsctl / ovs-appctl through a {@link FakeOvs}. Output
 * formats follow iproute2 6.1's JSON ({@code -j}) and ethtool 6.1. Wrap it in a {@link RecordingCommandRunner} to
 * record calls and script failures.
 */
public final class FakeHostCommands implements CommandRunner {
    private final FakeSysfsTree tree;
    private final CommandRunner ovs;

    public FakeHostCommands(FakeSysfsTree tree, CommandRunner ovs) {
        this.tree = tree;
        this.ovs = ovs;
    }

    @Override
    public CommandResult run(List<String> argv) {
        try {
            return switch (argv.get(0)) {
                case "devlink", "mlxdevm" -> devlink(argv);
                case "ethtool" -> ethtool(argv);
                case "ip" -> ip(argv);
                case "ovs-vsctl", "ovs-appctl" -> ovs == null
                        ? CommandResult.fail(127, "cannot start " + argv.get(0) + ": No such file or directory")
                        : ovs.run(argv);
                default -> CommandResult.fail(127, "cannot start " + argv.get(0) + ": No such file or directory");
            };
        } catch (IOException e) {
            return CommandResult.fail(1, e.getMessage());
        } catch (RuntimeException e) {
            return CommandResult.fail(1, "fake host: cannot parse " + String.join(" ", argv) + ": " + e);
        }
    }

    private String pciDev() {
        return "pci/" + tree.pfPci();
    }

    private CommandResult devlink(List<String> a) throws IOException {
        String sub = String.join(" ", a.subList(1, Math.min(a.size(), 4)));
        if (sub.equals("dev eswitch show")) {
            requireDev(a.get(4));
            return CommandResult.ok("{\"dev\":{\"" + pciDev() + "\":{\"mode\":\"" + tree.devlink().eswitchMode()
                    + "\",\"inline-mode\":\"none\",\"encap-mode\":\"basic\"}}}\n");
        }
        if (a.get(1).equals("dev") && a.get(2).equals("info")) {
            requireDev(a.get(3));
            return CommandResult.ok("{\"info\":{\"" + pciDev() + "\":{\"driver\":\"mlx5_core\",\"versions\":{"
                    + "\"fixed\":{\"fw.psid\":\"" + tree.devlink().psid() + "\"},\"running\":{\"fw.version\":\""
                    + tree.devlink().firmware() + "\"}}}}}\n");
        }
        if (sub.equals("dev eswitch set")) {
            requireDev(a.get(4));
            tree.devlink().setEswitchMode(a.get(a.indexOf("mode") + 1));
            return CommandResult.ok("");
        }
        if (a.get(1).equals("port") && a.get(2).equals("show")) {
            List<String> ports = new ArrayList<>();
            for (SfPort p : tree.devlink().sfPorts()) {
                ports.add("\"" + pciDev() + "/" + p.portIndex() + "\":{\"type\":\"eth\",\"netdev\":\"" + p.representor()
                        + "\",\"flavour\":\"pcisf\",\"controller\":0,\"pfnum\":" + p.pfNum() + ",\"sfnum\":" + p.sfNum()
                        + ",\"splittable\":false,\"function\":{\"hw_addr\":\"00:00:00:00:00:00\",\"state\":\"" + p.state()
                        + "\",\"opstate\":\"" + (p.state().equals("active") ? "attached" : "detached") + "\"}}");
            }
            return CommandResult.ok("{\"port\":{" + String.join(",", ports) + "}}\n");
        }
        if (a.get(1).equals("port") && a.get(2).equals("add")) {
            requireDev(a.get(3));
            if (!tree.devlink().eswitchMode().equals("switchdev")) {
                return CommandResult.fail(1, "Error: mlx5_core: SF ports are only supported in eswitch switchdev mode.\n"
                        + "kernel answers: Operation not supported");
            }
            SfPort p = tree.devlink().addSf(Integer.parseInt(a.get(a.indexOf("pfnum") + 1)), Integer.parseInt(a.get(a.indexOf("sfnum") + 1)));
            return CommandResult.ok(pciDev() + "/" + p.portIndex() + ": type eth netdev " + p.representor()
                    + " flavour pcisf controller 0 pfnum " + p.pfNum() + " sfnum " + p.sfNum() + " splittable false\n"
                    + "  function:\n    hw_addr 00:00:00:00:00:00 state inactive opstate detached\n");
        }
        if (a.get(1).equals("port") && a.get(2).equals("function") && a.get(3).equals("set")) {
            String handle = a.get(4);
            if (!handle.startsWith(pciDev() + "/")) {
                return CommandResult.fail(1, "devlink answers: No such device");
            }
            tree.devlink().activateSf(Integer.parseInt(handle.substring(handle.lastIndexOf('/') + 1)));
            return CommandResult.ok("");
        }
        return CommandResult.fail(1, "fake devlink: unsupported " + String.join(" ", a));
    }

    private void requireDev(String dev) throws IOException {
        if (!dev.equals(pciDev())) {
            throw new IOException("devlink answers: No such device");
        }
    }

    private CommandResult ethtool(List<String> a) throws IOException {
        String dev = a.get(2);
        if (!dev.equals(tree.pfName())) {
            return CommandResult.fail(1, "netlink error: no device matches name (offset 24)\nnetlink error: No such device");
        }
        if (a.get(1).equals("-k")) {
            return CommandResult.ok("Features for " + dev + ":\nrx-checksumming: on\nhw-tc-offload: "
                    + (tree.devlink().hwTcOffload() ? "on" : "off") + "\n");
        }
        if (a.get(1).equals("-K") && a.get(3).equals("hw-tc-offload")) {
            tree.devlink().setHwTcOffload(a.get(4).equals("on"));
            return CommandResult.ok("");
        }
        return CommandResult.fail(1, "fake ethtool: unsupported " + String.join(" ", a));
    }

    private CommandResult ip(List<String> a) throws IOException {
        // ip -j link show dev PF: the PF with its VFs' settings, as iproute2 6.1 prints them
        if (a.equals(List.of("ip", "-j", "link", "show", "dev", tree.pfName()))) {
            int numVfs = Integer.parseInt(FakeSysfsTree.read(tree.pfDevice().resolve("sriov_numvfs")).trim());
            List<String> vfs = new ArrayList<>();
            for (int i = 0; i < numVfs; i++) {
                FakeKernel.VfAdmin v = tree.kernel().vfAdmin(i);
                vfs.add("{\"vf\":" + i + ",\"link_type\":\"ether\",\"address\":\"" + v.mac()
                        + "\",\"broadcast\":\"ff:ff:ff:ff:ff:ff\",\"vlan_list\":[{" + (v.vlan() == 0 ? "" : "\"vlan\":" + v.vlan())
                        + "}],\"rate\":{\"max_tx\":0,\"min_tx\":0},\"spoofchk\":" + v.spoofCheck() + ",\"link_state\":\""
                        + v.linkState() + "\",\"trust\":" + v.trust() + ",\"query_rss_en\":false}");
            }
            return CommandResult.ok("[{\"ifindex\":4,\"ifname\":\"" + tree.pfName() + "\",\"flags\":[\"BROADCAST\",\"MULTICAST\",\"UP\"],"
                    + "\"mtu\":1500,\"operstate\":\"UP\",\"link_type\":\"ether\",\"address\":\""
                    + FakeSysfsTree.read(tree.netdev(tree.pfName()).resolve("address")).trim() + "\",\"vfinfo_list\":["
                    + String.join(",", vfs) + "]}]\n");
        }
        // ip link set dev PF vf N KEY VALUE ...
        if (a.size() >= 9 && a.subList(1, 4).equals(List.of("link", "set", "dev")) && a.get(5).equals("vf")) {
            if (!a.get(4).equals(tree.pfName())) {
                return CommandResult.fail(1, "Cannot find device \"" + a.get(4) + "\"");
            }
            java.util.Map<String, String> settings = new java.util.LinkedHashMap<>();
            for (int i = 7; i + 1 < a.size(); i += 2) {
                settings.put(a.get(i), a.get(i + 1));
            }
            tree.kernel().setVf(Integer.parseInt(a.get(6)), settings);
            return CommandResult.ok("");
        }
        // ip link set dev NAME up|down|name NEW
        if (a.size() >= 6 && a.get(1).equals("link") && a.get(2).equals("set") && a.get(3).equals("dev")) {
            String dev = a.get(4);
            if (!java.nio.file.Files.exists(tree.netdev(dev))) {
                return CommandResult.fail(1, "Cannot find device \"" + dev + "\"");
            }
            if (a.get(5).equals("name")) {
                tree.kernel().rename(dev, a.get(6));
            }
            return CommandResult.ok("");
        }
        return CommandResult.fail(1, "fake ip: unsupported " + String.join(" ", a));
    }
}
