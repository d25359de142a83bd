package io.sriovlm.agent;

import io.sriovlm.agent.hostnet.HostNetwork;
import io.sriovlm.agent.hostnet.HostNetworkException;
import io.sriovlm.agent.libvirt.Hypervisor;
import io.sriovlm.agent.libvirt.Hypervisor.DomainSnapshot;
import io.sriovlm.agent.libvirt.HypervisorException;
import io.sriovlm.agent.libvirt.PrimaryDevice;
import io.sriovlm.agent.libvirt.TeamingReport;
import io.sriovlm.agent.libvirt.TeamingXml;
import io.sriovlm.api.v1alpha1.HypervisorNicSpec;
import io.sriovlm.api.v1alpha1.HypervisorNicSpec.BondSpec;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Keeps the host path of every teamed VM on this node matching its guest path while no migration moves it: the VF in
 * the guest with the bond on the VF representor, or (VF gone) the bond on the SF representor, the standby path.
 * <p>
 * Why: a guest may finish an unplug long after the agent stopped waiting for it — QEMU cannot take a
 * {@code device_del} back — for example once a migration whose step deadline expired has rolled back and promised the
 * VM its VF. The VF then leaves a VM no step is watching, and with the bond still on the VF representor the VM has no
 * working path. The guard puts the bond on the standby path, then plugs the VF back (re-attach by reconciliation,
 * not a one-shot step: the lesson of KubeVirt's PR #6581) and returns the bond to it.
 * Runs with each inventory report; a VM with an unfinished migration on this node is left to that migration's steps.
 */
public final class FastPathGuard {
    /** What was last seen plugged in a domain: enough to plug the same VF back the same way. */
    private record Primary(String mac, String pciAddress, String standbyAlias, String alias, Integer vlan) {
    }

    private final HostObservation host;
    private final Hypervisor hypervisor;
    private final HostNetwork network;
    private final PrimaryDevice primaryDevice;
    private final Map<String, Primary> lastPrimary = new ConcurrentHashMap<>();

    /** @param host this host, whose domains' XML the guard reads as the observation does */
    public FastPathGuard(HostObservation host) {
        this.host = host;
        this.hypervisor = host.hypervisor();
        this.network = host.network();
        this.primaryDevice = host.domains().primaryDevice();
    }

    /**
     * Checks every running teamed domain once and repairs what does not match.
     *
     * @param spec       this node's HypervisorNic spec (the bonds)
     * @param vmsMoving  names of the VMs with an unfinished migration from or to this node, read fresh; null when it
     *                   could not be read, and then nothing is changed
     * @return one line per repair, for the log and an Event; empty when all matched
     */
    public List<String> enforce(HypervisorNicSpec spec, Supplier<Set<String>> vmsMoving) {
        List<String> repairs = new ArrayList<>();
        Set<String> moving = null;
        List<DomainSnapshot> domains = hypervisor.listDomains();
        // Forget domains that left this host: a VM that comes back later gets its VF from its migration, not from here.
        lastPrimary.keySet().retainAll(domains.stream().filter(DomainSnapshot::isRunning).map(DomainSnapshot::name)
                .collect(java.util.stream.Collectors.toSet()));
        for (DomainSnapshot domain : domains) {
            if (!domain.isRunning()) {
                continue;
            }
            TeamingReport teaming = host.domains().of(domain).teaming();
            Optional<BondSpec> bond = teaming.standbyDevice() == null ? Optional.empty()
                    : HostObservation.bondFor(spec, teaming.standbyDevice());
            if (bond.isEmpty()) {
                continue; // not teamed, or no bond of ours: nothing the guard can judge
            }
            if (teaming.primaryAttached()) {
                lastPrimary.put(domain.name(), new Primary(teaming.mac(), teaming.primaryPciAddress(),
                        teaming.standbyAlias(), TeamingXml.userAlias(teaming.primaryAlias()), teaming.primaryVlan()));
            }
            String wanted = teaming.primaryAttached() ? bond.get().vfRepresentor : bond.get().sfRepresentor;
            boolean pathMatches = network.activeSlave(bond.get().name).map(wanted::equals).orElse(false);
            if (pathMatches && teaming.primaryAttached()) {
                continue;
            }
            if (moving == null) {
                moving = vmsMoving.get(); // read only when something is to be done, and just before doing it
                if (moving == null) {
                    return repairs;
                }
            }
            if (moving.contains(domain.name())) {
                continue;
            }
            repair(domain.name(), teaming, bond.get(), pathMatches).ifPresent(repairs::add);
        }
        return repairs;
    }

    private Optional<String> repair(String vm, TeamingReport teaming, BondSpec bond, boolean pathMatches) {
        StringBuilder done = new StringBuilder();
        try {
            if (!pathMatches) {
                String slave = teaming.primaryAttached() ? bond.vfRepresentor : bond.sfRepresentor;
                network.setActiveSlave(bond.name, slave);
                done.append(teaming.primaryAttached()
                        ? vm + " has its VF but bond " + bond.name + " was not on VF representor " + slave + ": moved it"
                        : "the VF left " + vm + " outside a migration: bond " + bond.name + " moved to SF representor "
                                + slave + " (standby path)");
            }
            if (teaming.primaryAttached()) {
                return Optional.of(done.toString());
            }
            Primary primary = lastPrimary.get(vm);
            if (primary == null || primary.pciAddress() == null) {
                done.append(pathMatches ? vm + " runs on its standby path without a VF" : "")
                        .append("; its VF is not known to this agent (seen before its last start): not re-attached");
                return pathMatches ? Optional.empty() : Optional.of(done.toString());
            }
            String holder = host.attachedVfs().get(primary.pciAddress());
            if (holder != null) {
                return Optional.of(done + (done.length() > 0 ? "; " : "") + "VF " + primary.pciAddress() + " of " + vm
                        + " is attached to " + holder + ": not re-attached");
            }
            hypervisor.attachDevice(vm, primaryDevice.deviceXml(primary.mac(), primary.pciAddress(),
                    primary.standbyAlias(), primary.alias(), primary.vlan()));
            network.setActiveSlave(bond.name, bond.vfRepresentor);
            return Optional.of(done + (done.length() > 0 ? "; " : "") + "VF " + primary.pciAddress()
                    + " re-attached to " + vm + ", bond " + bond.name + " back on VF representor " + bond.vfRepresentor);
        } catch (HypervisorException | HostNetworkException e) {
            return Optional.of(done + (done.length() > 0 ? "; " : "") + "repairing the path of " + vm + " failed, "
                    + "retrying with the next report: " + e.getMessage());
        }
    }
}
