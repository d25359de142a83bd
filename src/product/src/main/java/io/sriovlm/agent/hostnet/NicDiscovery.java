package io.sriovlm.agent.hostnet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sriovlm.agent.hostnet.CommandRunner.CommandResult;
import io.sriovlm.agent.hostnet.NicInventory.Bond;
import io.sriovlm.agent.hostnet.NicInventory.Pf;
import io.sriovlm.agent.hostnet.NicInventory.Representor;
import io.sriovlm.agent.hostnet.NicInventory.Sf;
import io.sriovlm.agent.hostnet.NicInventory.ToolError;
import io.sriovlm.agent.hostnet.NicInventory.Vf;
import io.sriovlm.api.v1alpha1.ApiPatterns;
import io.sriovlm.api.v1alpha1.HypervisorNicSpec;
import io.sriovlm.api.v1alpha1.HypervisorNicSpec.SfTool;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a node's NIC: sysfs for the PF (by name or PCI address), its VFs ({@code virtfnN}), the representors
 * ({@code phys_port_name} / {@code phys_switch_id}), the SF devices and the bonds; devlink for the e-switch mode and
 * the SF ports; ethtool for hw-tc-offload; ovs-vsctl for the bridge. Tools are asked only about what the spec sets.
 */
public final class NicDiscovery {
    private static final Pattern REP_PORT = Pattern.compile("^(?:c\\d+)?pf(\\d+)(vf|sf)(\\d+)$");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final SysfsHostNetwork sysfs;
    private final CommandRunner runner;
    private final OvsCli ovs;

    public NicDiscovery(SysfsHostNetwork sysfs, CommandRunner runner, OvsCli ovs) {
        this.sysfs = sysfs;
        this.runner = runner;
        this.ovs = ovs;
    }

    public static String sfToolBinary(HypervisorNicSpec spec) {
        return spec.sfs != null && spec.sfs.tool == SfTool.mlxdevm ? "mlxdevm" : "devlink";
    }

    public NicInventory discover(HypervisorNicSpec spec) {
        List<String> netdevs = sysfs.netdevs();
        Map<String, ToolError> toolErrors = new LinkedHashMap<>();
        Map<String, Bond> bonds = new LinkedHashMap<>();
        for (HypervisorNicSpec.BondSpec b : spec.bonds) {
            if (ApiPatterns.matches(ApiPatterns.INTERFACE_NAME, b.name) && sysfs.netdevAttribute(b.name, "bonding/mode").isPresent()) {
                bonds.put(b.name, new Bond(b.name, sysfs.mode(b.name).orElse(""), sysfs.slaves(b.name),
                        sysfs.primary(b.name).orElse(null), sysfs.activeSlave(b.name).orElse(null),
                        sysfs.netdevAttribute(b.name, "bonding/miimon").orElse(null)));
            }
        }
        OvsCli.OvsState ovsState = spec.ovs == null || spec.ovs.bridge == null ? null : ovs.read(runner, spec.ovs.bridge);

        String pfProblem = null;
        String pfName = null;
        String wantName = spec.pf == null ? null : spec.pf.name;
        String wantPci = spec.pf == null ? null : spec.pf.pciAddress;
        if (wantName != null) {
            if (!netdevs.contains(wantName)) {
                pfProblem = "PF " + wantName + " not found: no " + sysfs.root().resolve("class/net").resolve(wantName);
            } else if (wantPci != null && !sysfs.pciAddressOf(wantName).map(wantPci::equals).orElse(false)) {
                pfProblem = "PF " + wantName + " is at PCI " + sysfs.pciAddressOf(wantName).orElse("(none)")
                        + ", not at spec.pf.pciAddress " + wantPci;
            } else {
                pfName = wantName;
            }
        } else if (wantPci != null) {
            for (String n : netdevs) {
                String port = sysfs.netdevAttribute(n, "phys_port_name").orElse("");
                if (sysfs.pciAddressOf(n).map(wantPci::equals).orElse(false)
                        && (port.isEmpty() || port.matches("p\\d+"))) {
                    pfName = n;
                    break;
                }
            }
            if (pfName == null) {
                pfProblem = "no PF netdev found at PCI address " + wantPci;
            }
        } else {
            pfProblem = "spec.pf names neither a netdev nor a PCI address";
        }
        if (pfName == null) {
            return new NicInventory(null, pfProblem, List.of(), List.of(), List.of(), bonds, sysfs.bondingAvailable(),
                    ovsState, toolErrors, netdevs);
        }
        String pci = sysfs.pciAddressOf(pfName).orElse(null);
        int numVfs;
        int totalVfs;
        List<HostNetwork.VfInfo> vfInfos;
        try {
            numVfs = sysfs.numVfs(pfName);
            totalVfs = sysfs.totalVfs(pfName);
            vfInfos = sysfs.listVfs(pfName);
        } catch (HostNetworkException e) {
            return new NicInventory(null, "PF " + pfName + " has no SR-IOV: " + e.getMessage(), List.of(), List.of(),
                    List.of(), bonds, sysfs.bondingAvailable(), ovsState, toolErrors, netdevs);
        }
        String switchId = sysfs.netdevAttribute(pfName, "phys_switch_id").orElse(null);
        List<Representor> reps = new ArrayList<>();
        if (switchId != null && !switchId.isEmpty()) {
            for (String n : netdevs) {
                if (!switchId.equals(sysfs.netdevAttribute(n, "phys_switch_id").orElse(null))) {
                    continue;
                }
                Matcher m = REP_PORT.matcher(sysfs.netdevAttribute(n, "phys_port_name").orElse(""));
                if (m.matches()) {
                    reps.add(new Representor(n, m.group(0), m.group(2), Integer.parseInt(m.group(1)),
                            Integer.parseInt(m.group(3))));
                }
            }
        }
        List<Vf> vfs = new ArrayList<>();
        for (HostNetwork.VfInfo info : vfInfos) {
            String rep = reps.stream().filter(r -> r.kind().equals("vf") && r.number() == info.index())
                    .map(Representor::name).findFirst().orElse(null);
            vfs.add(new Vf(info.index(), info.pciAddress(), info.mac(), rep));
        }

        String eswitch = null;
        if (spec.eswitchMode != null && pci != null) {
            List<String> argv = List.of("devlink", "dev", "eswitch", "show", "pci/" + pci, "-j");
            CommandResult r = runner.run(argv);
            if (r.succeeded()) {
                eswitch = jsonPath(r.stdout(), "dev", "pci/" + pci, "mode").orElse(null);
            } else {
                toolErrors.put("eswitch", new ToolError(argv, r.error()));
            }
        }
        Boolean tcOffload = null;
        if (spec.hwTcOffload != null) {
            List<String> argv = List.of("ethtool", "-k", pfName);
            CommandResult r = runner.run(argv);
            if (r.succeeded()) {
                Matcher m = Pattern.compile("(?m)^hw-tc-offload:\\s*(on|off)").matcher(r.stdout());
                tcOffload = m.find() ? m.group(1).equals("on") : null;
            } else {
                toolErrors.put("hwTcOffload", new ToolError(argv, r.error()));
            }
        }
        List<Sf> sfs = new ArrayList<>();
        if (spec.sfs != null && pci != null) {
            Map<Integer, String> sfNetdevs = new HashMap<>();
            try {
                for (SysfsHostNetwork.SfDevice d : sysfs.subFunctions(pfName)) {
                    if (d.netdev() != null) {
                        sfNetdevs.put(d.sfNum(), d.netdev());
                    }
                }
            } catch (HostNetworkException e) {
                toolErrors.put("sfDevices", new ToolError(List.of("read", "sysfs"), e.getMessage()));
            }
            List<String> argv = List.of(sfToolBinary(spec), "port", "show", "-j");
            CommandResult r = runner.run(argv);
            if (r.succeeded()) {
                try {
                    JsonNode ports = JSON.readTree(r.stdout().isBlank() ? "{}" : r.stdout()).path("port");
                    for (Iterator<Map.Entry<String, JsonNode>> it = ports.fields(); it.hasNext();) {
                        Map.Entry<String, JsonNode> e = it.next();
                        JsonNode p = e.getValue();
                        if (!e.getKey().startsWith("pci/" + pci + "/") || !"pcisf".equals(p.path("flavour").asText())) {
                            continue;
                        }
                        int sfNum = p.path("sfnum").asInt(-1);
                        sfs.add(new Sf(p.path("pfnum").asInt(0), sfNum, e.getKey(),
                                p.path("function").path("state").asText(null), p.path("netdev").asText(null),
                                sfNetdevs.get(sfNum)));
                    }
                } catch (Exception e) {
                    toolErrors.put("sfs", new ToolError(argv, "unparseable output: " + e.getMessage()));
                }
            } else {
                toolErrors.put("sfs", new ToolError(argv, r.error()));
            }
        }
        Pf pf = new Pf(pfName, pci, sysfs.netdevAttribute(pfName, "address").orElse(null), null, numVfs, totalVfs,
                eswitch, tcOffload, switchId);
        return new NicInventory(pf, null, vfs, reps, sfs, bonds, sysfs.bondingAvailable(), ovsState, toolErrors,
                netdevs);
    }

    static Optional<String> jsonPath(String json, String... path) {
        try {
            JsonNode n = JSON.readTree(json);
            for (String p : path) {
                n = n.path(p);
            }
            return n.isMissingNode() || n.isNull() ? Optional.empty() : Optional.of(n.asText());
        } catch (Exception e) {
            return Optional.empty();
        }
    }
}
