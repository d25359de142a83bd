package io.sriovlm.agent;

import io.sriovlm.agent.hostnet.HostNetwork;
import io.sriovlm.agent.hostnet.HostNetworkException;
import io.sriovlm.agent.hostnet.VfAdminSettings;
import io.sriovlm.agent.libvirt.Hypervisor;
import io.sriovlm.agent.libvirt.Hypervisor.DomainSnapshot;
import io.sriovlm.agent.libvirt.TeamingXml;
import io.sriovlm.api.v1alpha1.HypervisorNicSpec;
import io.sriovlm.api.v1alpha1.HypervisorNicSpec.BondSpec;
import org.jboss.logging.Logger;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Clears the administrative MAC and VLAN of this host's pool VFs (those the spec's bonds pair) once the ledger has
 * released them, so that no VF keeps an earlier holder's identity: a MAC left on a free VF shows up twice on the wire
 * when a guest with that MAC runs elsewhere, and the next guest would first run with it (sriov-cni#219, #349).
 * <p>
 * A VF is released when nothing holds it, by the same rule as the operator's ledger: no VfClaim names it (reserved
 * for a migration, or handed to the VM it moved), no migration from this node keeps it for a rollback
 * ({@code MigrationPhase#keepsSourceVf}), no unfinished migration to this node targets it, and no running domain
 * has it passed through (teamed or not: libvirt sets and restores a passed-through VF's MAC itself). The holds are
 * read from the agent's caches before the domains are listed fresh; any cache not running means nothing is cleared.
 * Runs with each heartbeat.
 */
public final class VfHygiene {
    private static final Logger LOG = Logger.getLogger(VfHygiene.class);

    private final Hypervisor hypervisor;
    private final HostNetwork network;
    private final VfAdminSettings settings;

    public VfHygiene(Hypervisor hypervisor, HostNetwork network, VfAdminSettings settings) {
        this.hypervisor = hypervisor;
        this.network = network;
        this.settings = settings;
    }

    /** One VF acted on: cleared, or not (the message says why). */
    public record Action(boolean cleared, String message) {
    }

    /**
     * @param held the PCI addresses of this node's VFs that the ledger holds (claimed, kept for a rollback, targeted),
     *             read from the caches; empty when a cache does not run
     * @return one per VF acted on, for the log and an Event
     */
    public List<Action> clean(HypervisorNicSpec spec, Supplier<Optional<Set<String>>> held) {
        List<Action> out = new ArrayList<>();
        String pf = spec.pf == null ? null : spec.pf.name;
        if (settings == null || pf == null || !network.netdevExists(pf)) {
            return out;
        }
        Set<Integer> poolVfs = new HashSet<>();
        for (BondSpec bond : spec.bonds) {
            if (bond.vfIndex != null) {
                poolVfs.add(bond.vfIndex);
            }
        }
        List<VfAdminSettings.Settings> dirty;
        Map<Integer, String> pciByIndex = new HashMap<>();
        try {
            dirty = settings.read(pf).values().stream()
                    .filter(s -> poolVfs.contains(s.index()) && s.carriesAddressOrVlan()).toList();
            if (dirty.isEmpty()) {
                return out;
            }
            network.listVfs(pf).forEach(vf -> pciByIndex.put(vf.index(), vf.pciAddress()));
        } catch (HostNetworkException e) {
            LOG.debugf("VF hygiene on %s skipped: %s", pf, e.getMessage());
            return out;
        }
        Optional<Set<String>> holds = held.get();
        if (holds.isEmpty()) {
            return out; // not knowing what the ledger holds: touch nothing
        }
        Set<String> passedThrough = new HashSet<>();
        for (DomainSnapshot domain : hypervisor.listDomains()) {
            if (domain.isRunning()) {
                passedThrough.addAll(TeamingXml.passedThroughPciAddresses(domain.xml()));
            }
        }
        for (VfAdminSettings.Settings vf : dirty) {
            String pci = pciByIndex.get(vf.index());
            if (pci == null || holds.get().contains(pci) || passedThrough.contains(pci)) {
                continue;
            }
            String what = "VF " + vf.index() + " (" + pci + ") of " + pf + ": MAC " + vf.mac() + ", VLAN " + vf.vlan();
            try {
                List<String> argv = settings.clearAddressAndVlan(pf, vf.index());
                out.add(new Action(true, "cleared " + what + ", left after the ledger released it ("
                        + String.join(" ", argv) + ")"));
            } catch (HostNetworkException e) {
                out.add(new Action(false, "could not clear " + what + ": " + e.getMessage()));
            }
        }
        return out;
    }
}
