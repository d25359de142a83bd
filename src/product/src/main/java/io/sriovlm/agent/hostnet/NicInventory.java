package io.sriovlm.agent.hostnet;

import io.sriovlm.agent.hostnet.OvsCli.OvsState;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What discovery found on the host for one HypervisorNic: the PF, its VFs and representors, the SFs, the bonds and
 * the OVS bridge. Immutable; the planner reads only this.
 *
 * @param pf          the PF, or null when not found (then {@code pfProblem} says why)
 * @param toolErrors  devlink / ethtool queries that failed, by what they asked (e.g. "eswitch"), with argv and error
 * @param ovs         the OVS bridge, or null when the spec has no OVS part
 */
public record NicInventory(Pf pf, String pfProblem, List<Vf> vfs, List<Representor> representors, List<Sf> sfs,
        Map<String, Bond> bonds, boolean bondingAvailable, OvsState ovs, Map<String, ToolError> toolErrors,
        List<String> netdevs) {

    public record Pf(String name, String pciAddress, String mac, String driver, int numVfs, int totalVfs,
            String eswitchMode, Boolean hwTcOffload, String switchId) {
    }

    public record Vf(int index, String pciAddress, String mac, String representor) {
    }

    /** A representor netdev on the PF's e-switch: {@code phys_port_name} pfNvfM or pfNsfM. */
    public record Representor(String name, String physPortName, String kind, int pfNum, int number) {
    }

    /**
     * A sub-function: its devlink port ({@code pci/PF/INDEX}), state, representor netdev and (when active) its own
     * netdev on the auxiliary bus.
     */
    public record Sf(int pfNum, int sfNum, String port, String state, String representor, String netdev) {
    }

    public record Bond(String name, String mode, List<String> slaves, String primary, String activeSlave,
            String miimon) {
    }

    public record ToolError(List<String> argv, String error) {
    }

    public boolean netdevExists(String name) {
        return netdevs.contains(name);
    }

    public Optional<Sf> sf(int sfNum) {
        return sfs.stream().filter(s -> s.sfNum() == sfNum).findFirst();
    }

    public Optional<Representor> vfRepresentor(int index) {
        return representors.stream().filter(r -> r.kind().equals("vf") && r.number() == index).findFirst();
    }
}
