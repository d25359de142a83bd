package io.sriovlm.agent.hostnet;

import io.sriovlm.agent.hostnet.HostAction.Run;
import io.sriovlm.agent.hostnet.HostAction.Write;
import io.sriovlm.agent.hostnet.NicInventory.Bond;
import io.sriovlm.agent.hostnet.NicInventory.Representor;
import io.sriovlm.agent.hostnet.NicInventory.Sf;
import io.sriovlm.agent.hostnet.NicInventory.ToolError;
import io.sriovlm.agent.hostnet.OvsCli.OvsPort;
import io.sriovlm.api.v1alpha1.ApiPatterns;
import io.sriovlm.api.v1alpha1.HypervisorNicSpec;
import io.sriovlm.api.v1alpha1.HypervisorNicSpec.BondBackend;
import io.sriovlm.api.v1alpha1.HypervisorNicSpec.BondSpec;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Pure: from a spec and what discovery found, the actions one step needs (empty when the host already matches), or a
 * problem that stops the step before anything runs. The provisioner re-discovers before every step, so each plan
 * sees the effect of the steps before it.
 */
public final class NicPlanner {

    /** The plan of one step: actions to run in order, or a problem (then no actions). */
    public record StepPlan(ProvisioningStep step, List<HostAction> actions, String problem) {
        static StepPlan of(ProvisioningStep step, List<HostAction> actions) {
            return new StepPlan(step, List.copyOf(actions), null);
        }

        static StepPlan problem(ProvisioningStep step, String problem) {
            return new StepPlan(step, List.of(), problem);
        }

        public boolean inSync() {
            return problem == null && actions.isEmpty();
        }
    }

    private final OvsCli ovs;

    public NicPlanner(OvsCli ovs) {
        this.ovs = ovs;
    }

    // ---------------------------------------------------------------- validation

    /** Problems with the spec alone, each naming the field; checked before anything on the host is read. */
    public static List<String> validate(HypervisorNicSpec spec) {
        List<String> problems = new ArrayList<>();
        if (spec.pf == null || (spec.pf.name == null && spec.pf.pciAddress == null)) {
            problems.add("spec.pf must name the PF by name or pciAddress");
        } else {
            name(problems, "spec.pf.name", spec.pf.name, false);
            if (spec.pf.pciAddress != null && !ApiPatterns.matches(ApiPatterns.PCI_ADDRESS, spec.pf.pciAddress)) {
                problems.add("spec.pf.pciAddress '" + spec.pf.pciAddress + "' is not a PCI address (" + ApiPatterns.PCI_ADDRESS + ")");
            }
        }
        if (spec.numVfs != null && (spec.numVfs < 0 || spec.numVfs > 256)) {
            problems.add("spec.numVfs " + spec.numVfs + " is outside 0..256");
        }
        if (spec.ovs != null) {
            name(problems, "spec.ovs.bridge", spec.ovs.bridge, true);
            name(problems, "spec.ovs.uplink", spec.ovs.uplink, false);
            if (spec.ovs.tcPolicy != null && !ApiPatterns.matches(ApiPatterns.OVS_TC_POLICY, spec.ovs.tcPolicy)) {
                problems.add("spec.ovs.tcPolicy '" + spec.ovs.tcPolicy + "' must be none, skip_sw, skip_hw or verbose");
            }
            if (spec.ovs.maxIdleMs != null && spec.ovs.maxIdleMs < 0) {
                problems.add("spec.ovs.maxIdleMs must not be negative");
            }
        }
        if (spec.sfs != null) {
            if (spec.sfs.count == null || spec.sfs.count < 0 || spec.sfs.count > 256) {
                problems.add("spec.sfs.count must be set, 0..256");
            }
            if (spec.sfs.netdevPrefix != null && !ApiPatterns.matches(ApiPatterns.INTERFACE_PREFIX, spec.sfs.netdevPrefix)) {
                problems.add("spec.sfs.netdevPrefix '" + spec.sfs.netdevPrefix + "' must match " + ApiPatterns.INTERFACE_PREFIX
                        + " (at most 11 characters, leaving room for the index in a 15-character name)");
            }
        }
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < spec.bonds.size(); i++) {
            BondSpec b = spec.bonds.get(i);
            String at = "spec.bonds[" + i + "]";
            name(problems, at + ".name", b.name, true);
            name(problems, at + ".sfNetdev", b.sfNetdev, true);
            name(problems, at + ".sfRepresentor", b.sfRepresentor, true);
            name(problems, at + ".vfRepresentor", b.vfRepresentor, true);
            for (String n : new String[] { b.name, b.sfNetdev, b.sfRepresentor, b.vfRepresentor }) {
                if (n != null && !seen.add(n)) {
                    problems.add(at + " uses the name " + n + " a second time");
                }
            }
            if (b.vfIndex != null && spec.numVfs != null && (b.vfIndex < 0 || b.vfIndex >= spec.numVfs)) {
                problems.add(at + ".vfIndex " + b.vfIndex + " is not a VF of the " + spec.numVfs + " in spec.numVfs");
            }
            if (b.vlan != null && (b.vlan < 0 || b.vlan > 4094)) {
                problems.add(at + ".vlan " + b.vlan + " is outside 0..4094");
            }
            if (spec.sfs != null && spec.sfs.count != null) {
                int sfNum = sfNumOf(spec, i);
                int start = start(spec);
                if (sfNum < start || sfNum >= start + spec.sfs.count) {
                    problems.add(at + " uses sfnum " + sfNum + ", outside the " + spec.sfs.count + " SFs from sfnum " + start);
                }
            }
        }
        if (spec.ovs != null && spec.ovs.bondBackend == BondBackend.ovs && spec.ovs.bridge == null) {
            problems.add("spec.ovs.bondBackend ovs needs spec.ovs.bridge");
        }
        return problems;
    }

    /** Problems of the spec against the host: more VFs than the device offers. */
    public static List<String> validate(HypervisorNicSpec spec, NicInventory inv) {
        List<String> problems = new ArrayList<>();
        if (inv.pf() != null && spec.numVfs != null && spec.numVfs > inv.pf().totalVfs()) {
            problems.add("spec.numVfs " + spec.numVfs + " exceeds sriov_totalvfs " + inv.pf().totalVfs() + " of PF "
                    + inv.pf().name() + " (class/net/" + inv.pf().name() + "/device/sriov_totalvfs)");
        }
        return problems;
    }

    private static void name(List<String> problems, String field, String value, boolean required) {
        if (value == null) {
            if (required) {
                problems.add(field + " is required");
            }
            return;
        }
        if (!ApiPatterns.matches(ApiPatterns.INTERFACE_NAME, value)) {
            String why = value.length() > 15 ? "longer than 15 characters (" + value.length() + ")"
                    : "has characters outside [A-Za-z0-9_.-] or starts with '.' or '-'";
            problems.add(field + " '" + printable(value) + "' is not an interface name: " + why);
        }
    }

    private static String printable(String s) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            b.append(c < 0x20 || c == 0x7f ? String.format("\\x%02x", (int) c) : String.valueOf(c));
        }
        return b.toString();
    }

    static int start(HypervisorNicSpec spec) {
        return spec.sfs == null || spec.sfs.sfNumStart == null ? 0 : spec.sfs.sfNumStart;
    }

    /** The sfnum bond {@code i} uses: its own, else sfNumStart + i. */
    static int sfNumOf(HypervisorNicSpec spec, int i) {
        BondSpec b = spec.bonds.get(i);
        return b.sfNum != null ? b.sfNum : start(spec) + i;
    }

    static int pfNum(HypervisorNicSpec spec) {
        return spec.sfs == null || spec.sfs.pfNum == null ? 0 : spec.sfs.pfNum;
    }

    // ---------------------------------------------------------------- planning

    public StepPlan plan(ProvisioningStep step, HypervisorNicSpec spec, NicInventory inv) {
        try {
            return switch (step) {
                case NUM_VFS -> numVfs(spec, inv);
                case ESWITCH -> eswitch(spec, inv);
                case HW_TC_OFFLOAD -> hwTcOffload(spec, inv);
                case SFS -> sfs(spec, inv);
                case RENAMES -> renames(spec, inv);
                case BONDS -> bonds(spec, inv);
                case OVS -> ovs(spec, inv);
            };
        } catch (IllegalArgumentException e) {
            return StepPlan.problem(step, e.getMessage());
        }
    }

    private static String toolProblem(String what, ToolError e) {
        return what + ": `" + CommandRunner.show(e.argv()) + "` failed: " + e.error();
    }

    private StepPlan numVfs(HypervisorNicSpec spec, NicInventory inv) {
        ProvisioningStep s = ProvisioningStep.NUM_VFS;
        if (spec.numVfs == null || inv.pf().numVfs() == spec.numVfs) {
            return StepPlan.of(s, List.of());
        }
        String file = "class/net/" + netdev(inv.pf().name()) + "/device/sriov_numvfs";
        List<HostAction> actions = new ArrayList<>();
        if (inv.pf().numVfs() != 0 && spec.numVfs != 0) {
            // The kernel answers EBUSY to a new non-zero count while VFs exist: back to 0 first (sriov_numvfs ABI).
            actions.add(new Write(file, "0"));
        }
        actions.add(new Write(file, Integer.toString(spec.numVfs)));
        return StepPlan.of(s, actions);
    }

    private StepPlan eswitch(HypervisorNicSpec spec, NicInventory inv) {
        ProvisioningStep s = ProvisioningStep.ESWITCH;
        if (spec.eswitchMode == null) {
            return StepPlan.of(s, List.of());
        }
        ToolError e = inv.toolErrors().get("eswitch");
        if (e != null) {
            return StepPlan.problem(s, toolProblem("cannot read the e-switch mode of " + inv.pf().pciAddress(), e));
        }
        if (spec.eswitchMode.name().equals(inv.pf().eswitchMode())) {
            return StepPlan.of(s, List.of());
        }
        return StepPlan.of(s, List.of(new Run(List.of("devlink", "dev", "eswitch", "set", "pci/" + pci(inv), "mode",
                spec.eswitchMode.name()))));
    }

    private StepPlan hwTcOffload(HypervisorNicSpec spec, NicInventory inv) {
        ProvisioningStep s = ProvisioningStep.HW_TC_OFFLOAD;
        if (spec.hwTcOffload == null) {
            return StepPlan.of(s, List.of());
        }
        ToolError e = inv.toolErrors().get("hwTcOffload");
        if (e != null) {
            return StepPlan.problem(s, toolProblem("cannot read the offload features of " + inv.pf().name(), e));
        }
        if (spec.hwTcOffload.equals(inv.pf().hwTcOffload())) {
            return StepPlan.of(s, List.of());
        }
        return StepPlan.of(s, List.of(new Run(List.of("ethtool", "-K", netdev(inv.pf().name()), "hw-tc-offload",
                spec.hwTcOffload ? "on" : "off"))));
    }

    private StepPlan sfs(HypervisorNicSpec spec, NicInventory inv) {
        ProvisioningStep s = ProvisioningStep.SFS;
        if (spec.sfs == null || spec.sfs.count == null) {
            return StepPlan.of(s, List.of());
        }
        ToolError e = inv.toolErrors().get("sfs");
        if (e != null) {
            return StepPlan.problem(s, toolProblem("cannot list the SF ports of " + inv.pf().pciAddress(), e));
        }
        String tool = NicDiscovery.sfToolBinary(spec);
        List<HostAction> actions = new ArrayList<>();
        for (int i = 0; i < spec.sfs.count; i++) {
            int sfNum = start(spec) + i;
            Optional<Sf> sf = inv.sf(sfNum);
            if (sf.isEmpty()) {
                actions.add(new Run(List.of(tool, "port", "add", "pci/" + pci(inv), "flavour", "pcisf", "pfnum",
                        Integer.toString(pfNum(spec)), "sfnum", Integer.toString(sfNum))));
            } else if (!"active".equals(sf.get().state())) {
                String port = sf.get().port();
                if (!port.matches("pci/[0-9a-f:.]+/\\d+")) {
                    throw new IllegalArgumentException("SF " + sfNum + " has an unexpected devlink port handle '" + port + "'");
                }
                actions.add(new Run(List.of(tool, "port", "function", "set", port, "state", "active")));
            }
        }
        return StepPlan.of(s, actions);
    }

    /** Wanted names by SF number: netdev and representor. */
    private static Map<Integer, String[]> sfNames(HypervisorNicSpec spec) {
        Map<Integer, String[]> names = new LinkedHashMap<>();
        if (spec.sfs == null || spec.sfs.count == null) {
            return names;
        }
        for (int i = 0; i < spec.sfs.count; i++) {
            int sfNum = start(spec) + i;
            names.put(sfNum, new String[] { spec.sfs.netdevPrefix == null ? null : spec.sfs.netdevPrefix + i, null });
        }
        for (int i = 0; i < spec.bonds.size(); i++) {
            BondSpec b = spec.bonds.get(i);
            names.put(sfNumOf(spec, i), new String[] { b.sfNetdev, b.sfRepresentor });
        }
        return names;
    }

    private StepPlan renames(HypervisorNicSpec spec, NicInventory inv) {
        ProvisioningStep s = ProvisioningStep.RENAMES;
        List<String[]> renames = new ArrayList<>();
        if (spec.sfs != null) {
            for (Map.Entry<Integer, String[]> e : sfNames(spec).entrySet()) {
                Optional<Sf> sf = inv.sf(e.getKey());
                if (sf.isEmpty()) {
                    continue;
                }
                String[] want = e.getValue();
                if (want[0] != null && sf.get().netdev() != null && !sf.get().netdev().equals(want[0])) {
                    renames.add(new String[] { sf.get().netdev(), want[0] });
                }
                if (want[1] != null && sf.get().representor() != null && !sf.get().representor().equals(want[1])) {
                    renames.add(new String[] { sf.get().representor(), want[1] });
                }
            }
        }
        for (BondSpec b : spec.bonds) {
            if (b.vfIndex == null) {
                continue;
            }
            Optional<Representor> rep = inv.vfRepresentor(b.vfIndex);
            if (rep.isPresent() && !rep.get().name().equals(b.vfRepresentor)) {
                renames.add(new String[] { rep.get().name(), b.vfRepresentor });
            }
        }
        List<HostAction> actions = new ArrayList<>();
        for (String[] r : renames) {
            String from = netdev(r[0]);
            String to = netdev(r[1]);
            if (inv.netdevExists(to)) {
                return StepPlan.problem(s, "cannot rename " + from + " to " + to + ": a netdev " + to + " already exists");
            }
            actions.add(new Run(List.of("ip", "link", "set", "dev", from, "down")));
            actions.add(new Run(List.of("ip", "link", "set", "dev", from, "name", to)));
            actions.add(new Run(List.of("ip", "link", "set", "dev", to, "up")));
        }
        return StepPlan.of(s, actions);
    }

    private StepPlan bonds(HypervisorNicSpec spec, NicInventory inv) {
        ProvisioningStep s = ProvisioningStep.BONDS;
        if (spec.ovs != null && spec.ovs.bondBackend == BondBackend.ovs) {
            return StepPlan.of(s, List.of()); // OVS bonds: made in the OVS step
        }
        List<HostAction> actions = new ArrayList<>();
        for (BondSpec b : spec.bonds) {
            String bond = netdev(b.name);
            String dir = "class/net/" + bond + "/bonding/";
            Bond have = inv.bonds().get(bond);
            for (String slave : List.of(b.sfRepresentor, b.vfRepresentor)) {
                if (!inv.netdevExists(slave)) {
                    return StepPlan.problem(s, "bond " + bond + ": slave " + slave + " does not exist on this host");
                }
            }
            boolean changed = false;
            if (have == null) {
                if (!inv.bondingAvailable()) {
                    return StepPlan.problem(s, "bond " + bond + " is missing and the kernel has no bonding driver "
                            + "(no class/net/bonding_masters)");
                }
                if (inv.netdevExists(bond)) {
                    return StepPlan.problem(s, "a netdev " + bond + " exists and is not a bond");
                }
                // Documentation/networking/bonding.rst, "Configuring Bonding Manually via Sysfs"
                actions.add(new Write("class/net/bonding_masters", "+" + bond));
                actions.add(new Write(dir + "mode", "active-backup"));
                actions.add(new Write(dir + "miimon", "100"));
                have = new Bond(bond, "active-backup 1", List.of(), null, null, "100");
                changed = true;
            } else if (!have.mode().startsWith("active-backup")) {
                if (!have.slaves().isEmpty()) {
                    return StepPlan.problem(s, "bond " + bond + " is in mode '" + have.mode() + "' with slaves "
                            + have.slaves() + "; the kernel changes a bond's mode only without slaves");
                }
                actions.add(new Run(List.of("ip", "link", "set", "dev", bond, "down")));
                actions.add(new Write(dir + "mode", "active-backup"));
                changed = true;
            }
            for (String extra : have.slaves()) {
                if (!extra.equals(b.sfRepresentor) && !extra.equals(b.vfRepresentor)) {
                    actions.add(new Write(dir + "slaves", "-" + netdev(extra)));
                    changed = true;
                }
            }
            for (String slave : List.of(b.sfRepresentor, b.vfRepresentor)) {
                if (!have.slaves().contains(slave)) {
                    actions.add(new Run(List.of("ip", "link", "set", "dev", netdev(slave), "down")));
                    actions.add(new Write(dir + "slaves", "+" + slave));
                    actions.add(new Run(List.of("ip", "link", "set", "dev", slave, "up")));
                    changed = true;
                }
            }
            if (!b.sfRepresentor.equals(have.primary())) {
                // the SF representor is the primary slave: the paravirtual path (bond_setup.sh)
                actions.add(new Write(dir + "primary", b.sfRepresentor));
                changed = true;
            }
            if (changed) {
                actions.add(new Run(List.of("ip", "link", "set", "dev", bond, "up")));
            }
        }
        return StepPlan.of(s, actions);
    }

    /** other_config keys and values the spec wants on the Open_vSwitch row. */
    static Map<String, String> wantedOtherConfig(HypervisorNicSpec spec) {
        Map<String, String> want = new LinkedHashMap<>();
        if (spec.ovs.hwOffload != null) {
            want.put("hw-offload", spec.ovs.hwOffload.toString());
        }
        if (spec.ovs.tcPolicy != null) {
            want.put("tc-policy", spec.ovs.tcPolicy);
        }
        if (spec.ovs.maxIdleMs != null) {
            want.put("max-idle", spec.ovs.maxIdleMs.toString());
        }
        return want;
    }

    private StepPlan ovs(HypervisorNicSpec spec, NicInventory inv) {
        ProvisioningStep s = ProvisioningStep.OVS;
        if (spec.ovs == null || spec.ovs.bridge == null) {
            return StepPlan.of(s, List.of());
        }
        OvsCli.OvsState st = inv.ovs();
        if (!st.reachable()) {
            return StepPlan.problem(s, "Open vSwitch is not reachable: `" + CommandRunner.show(st.errorCommand())
                    + "` failed: " + st.error());
        }
        String br = netdev(spec.ovs.bridge);
        List<HostAction> actions = new ArrayList<>();
        String dp = spec.ovs.datapathType == null ? null : spec.ovs.datapathType.name();
        if (!st.bridgeExists()) {
            List<String> args = new ArrayList<>(List.of("--may-exist", "add-br", br));
            if (dp != null) {
                args.addAll(List.of("--", "set", "Bridge", br, "datapath_type=" + dp));
            }
            actions.add(new Run(ovs.vsctl(args.toArray(String[]::new))));
        } else if (dp != null && !dp.equals(st.datapathType() == null ? "system" : st.datapathType())) {
            actions.add(new Run(ovs.vsctl("set", "Bridge", br, "datapath_type=" + dp)));
        }
        Map<String, OvsPort> ports = st.ports();
        if (spec.ovs.uplink != null && !ports.containsKey(spec.ovs.uplink)) {
            actions.add(new Run(ovs.vsctl("--may-exist", "add-port", br, netdev(spec.ovs.uplink))));
        }
        boolean ovsBonds = spec.ovs.bondBackend == BondBackend.ovs;
        for (BondSpec b : spec.bonds) {
            String name = netdev(b.name);
            OvsPort port = ports.get(name);
            if (port == null) {
                List<String> args = new ArrayList<>(ovsBonds
                        ? List.of("--may-exist", "add-bond", br, name, netdev(b.sfRepresentor), netdev(b.vfRepresentor),
                                "bond_mode=active-backup")
                        : List.of("--may-exist", "add-port", br, name));
                if (b.vlan != null) {
                    args.add("tag=" + b.vlan);
                }
                actions.add(new Run(ovs.vsctl(args.toArray(String[]::new))));
                if (ovsBonds) {
                    // the SF representor carries traffic first, as the kernel bond's primary does
                    actions.add(new Run(ovs.appctl("bond/set-active-member", name, b.sfRepresentor)));
                }
                continue;
            }
            if (!java.util.Objects.equals(port.tag(), b.vlan)) {
                actions.add(new Run(b.vlan == null ? ovs.vsctl("clear", "Port", name, "tag")
                        : ovs.vsctl("set", "Port", name, "tag=" + b.vlan)));
            }
            if (ovsBonds && !"active-backup".equals(port.bondMode())) {
                actions.add(new Run(ovs.vsctl("set", "Port", name, "bond_mode=active-backup")));
            }
        }
        Map<String, String> want = wantedOtherConfig(spec);
        List<String> set = new ArrayList<>(List.of("set", "Open_vSwitch", "."));
        want.forEach((k, v) -> {
            if (!v.equals(st.otherConfig().get(k))) {
                set.add("other_config:" + k + "=" + v);
            }
        });
        if (set.size() > 3) {
            actions.add(new Run(ovs.vsctl(set.toArray(String[]::new))));
        }
        return StepPlan.of(s, actions);
    }

    /**
     * Bonds whose active slave is not what the VMs need: the VF representor while the bond's VF is attached to a
     * running VM, the SF representor otherwise. Each entry: bond, active now, wanted.
     */
    public static List<String[]> activeSlaveDrift(HypervisorNicSpec spec, NicInventory inv, Set<String> attachedVfPcis) {
        List<String[]> out = new ArrayList<>();
        boolean ovsBonds = spec.ovs != null && spec.ovs.bondBackend == BondBackend.ovs;
        for (BondSpec b : spec.bonds) {
            String wanted = b.sfRepresentor;
            if (b.vfIndex != null) {
                boolean attached = inv.vfs().stream()
                        .anyMatch(v -> v.index() == b.vfIndex && attachedVfPcis.contains(v.pciAddress()));
                if (attached) {
                    wanted = b.vfRepresentor;
                }
            }
            String active;
            if (ovsBonds) {
                OvsPort p = inv.ovs() == null ? null : inv.ovs().ports().get(b.name);
                active = p == null ? null : p.activeMember();
                if (p == null) {
                    continue;
                }
            } else {
                Bond bond = inv.bonds().get(b.name);
                if (bond == null) {
                    continue;
                }
                active = bond.activeSlave();
            }
            if (!wanted.equals(active)) {
                out.add(new String[] { b.name, active, wanted });
            }
        }
        return out;
    }

    private static String pci(NicInventory inv) {
        String pci = inv.pf().pciAddress();
        if (!ApiPatterns.matches(ApiPatterns.PCI_ADDRESS, pci)) {
            throw new IllegalArgumentException("PF " + inv.pf().name() + " has no PCI address in sysfs");
        }
        return pci;
    }

    /** A name about to reach an argv or a sysfs path: must be an interface name. */
    static String netdev(String name) {
        if (!ApiPatterns.matches(ApiPatterns.INTERFACE_NAME, name)) {
            throw new IllegalArgumentException("refusing to use '" + name + "' as an interface name: must match "
                    + ApiPatterns.INTERFACE_NAME);
        }
        return name;
    }
}
