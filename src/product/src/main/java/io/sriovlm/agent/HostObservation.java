package io.sriovlm.agent;

import io.sriovlm.api.v1alpha1.Reasons;
import io.sriovlm.api.v1alpha1.ConditionTypes;
import io.sriovlm.agent.hostnet.HostNetwork;
import io.sriovlm.agent.hostnet.HostNetworkException;
import io.sriovlm.agent.hostnet.VfAdminSettings;
import io.sriovlm.agent.hostnet.VfStateFacts;
import io.sriovlm.agent.libvirt.DomainReadings;
import io.sriovlm.agent.libvirt.Hypervisor;
import io.sriovlm.agent.libvirt.Hypervisor.DomainSnapshot;
import io.sriovlm.agent.libvirt.TeamingReport;
import io.sriovlm.agent.libvirt.PrimaryDevice;
import io.sriovlm.api.v1alpha1.ApiPatterns;
import io.sriovlm.api.v1alpha1.HypervisorNicSpec;
import io.sriovlm.api.v1alpha1.HypervisorNicSpec.BondSpec;
import io.sriovlm.api.v1alpha1.HypervisorNicStatus;
import io.sriovlm.api.v1alpha1.HypervisorNicStatus.BondStatus;
import io.sriovlm.api.v1alpha1.VmInventoryStatus;
import io.sriovlm.api.v1alpha1.VmInventoryStatus.VfStatus;
import io.sriovlm.api.v1alpha1.VmInventoryStatus.VmStatus;
import io.sriovlm.common.Conditions;
import io.sriovlm.common.Timestamps;
import io.sriovlm.common.VfStateSupport;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Reads this host through its two interfaces and describes it as a HypervisorNic status and a VmInventory status. */
public final class HostObservation {
    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(HostObservation.class);

    private final Hypervisor hypervisor;
    private final HostNetwork network;
    private final DomainReadings domains;
    private final VfAdminSettings vfSettings;
    private final VfStateFacts vfStateFacts;
    /** The last failure to read the VFs' settings, logged once rather than at every heartbeat. */
    private volatile String lastSettingsError;

    public HostObservation(Hypervisor hypervisor, HostNetwork network) {
        this(hypervisor, network, PrimaryDevice.VF_HOSTDEV, null, null);
    }

    /**
     * @param primaryDevice how a VM's primary NIC looks on this host (the VF, or the test tier's stand-in)
     * @param vfSettings    reads the VFs' settings on the PF (MAC, VLAN, trust...); null: not reported
     * @param vfStateFacts  reads what VF-state migration needs (NIC model, firmware, VF drivers); null: not reported
     */
    public HostObservation(Hypervisor hypervisor, HostNetwork network, PrimaryDevice primaryDevice,
            VfAdminSettings vfSettings, VfStateFacts vfStateFacts) {
        this.hypervisor = hypervisor;
        this.network = network;
        this.domains = new DomainReadings(primaryDevice);
        this.vfSettings = vfSettings;
        this.vfStateFacts = vfStateFacts;
    }

    public Hypervisor hypervisor() {
        return hypervisor;
    }

    public HostNetwork network() {
        return network;
    }

    /** This host's domains' XML as read, shared with whatever else on the agent reads it (the fast-path guard). */
    public DomainReadings domains() {
        return domains;
    }

    /** VFs attached to running domains, teamed or passed through otherwise: PCI address → domain name. */
    public Map<String, String> attachedVfs() {
        Map<String, String> holders = new HashMap<>();
        for (DomainSnapshot domain : hypervisor.listDomains()) {
            if (domain.isRunning()) {
                DomainReadings.Reading read = domains.of(domain);
                String pci = read.teaming().primaryPciAddress();
                if (pci != null) {
                    holders.put(pci, domain.name());
                }
                read.passedThrough().forEach(p -> holders.putIfAbsent(p, domain.name()));
            }
        }
        return holders;
    }

    /**
     * One observation of the host, in the two objects it is reported in: the NIC's setup, and what runs on it.
     * Both carry the observation's time as their {@code heartbeatTime}.
     */
    public record Observation(HypervisorNicStatus nic, VmInventoryStatus inventory) {
    }

    public Observation observe(HypervisorNicSpec spec, Instant now) {
        return observe(spec, now, true);
    }

    /**
     * @param askGuests whether to ask each teamed domain's QEMU whether net_failover is active (two monitor queries
     *                  per VM) and libvirt for its storage pools: the heartbeat does, a report on a migration's path
     *                  does not
     */
    public Observation observe(HypervisorNicSpec spec, Instant now, boolean askGuests) {
        HypervisorNicStatus status = new HypervisorNicStatus();
        status.heartbeatTime = Timestamps.format(now);
        VmInventoryStatus running = new VmInventoryStatus();
        running.heartbeatTime = status.heartbeatTime;
        List<String> problems = new ArrayList<>();
        Map<String, String> vfHolders = new HashMap<>();
        // VFs passed through otherwise than as a domain's teamed primary: in use all the same (the ledger must not
        // hand them out), and reported as drift.
        Map<String, String> untracked = new HashMap<>();
        List<DomainSnapshot> listed = hypervisor.listDomains();
        domains.retainOnly(listed.stream().map(DomainSnapshot::name).toList());
        for (DomainSnapshot domain : listed) {
            if (!domain.isRunning()) {
                continue;
            }
            DomainReadings.Reading read = domains.of(domain);
            TeamingReport report = read.teaming();
            VmStatus vm = new VmStatus();
            vm.name = domain.name();
            vm.state = domain.state().name();
            vm.teaming = report.toSummary();
            vm.teamingValid = report.valid();
            vm.problems = report.valid() ? null : report.problems();
            if (askGuests && report.valid() && report.standbyAlias() != null) {
                vm.guestFailover = hypervisor.guestFailover(domain.name(), report.standbyAlias()).orElse(null);
            }
            List<VmInventoryStatus.DiskStatus> disks = read.disks();
            vm.disks = disks.isEmpty() ? null : disks;
            if (!ApiPatterns.matches(ApiPatterns.DOMAIN_NAME, domain.name())) {
                // libvirt allows names (spaces, quotes, '<') that no SriovMigration can carry in spec.vmName: say so
                // here, so that an evacuation lists the VM as blocked instead of failing to create its migration.
                List<String> why = new ArrayList<>(vm.problems == null ? List.of() : vm.problems);
                why.add("the domain name is not one a SriovMigration accepts in spec.vmName (" + ApiPatterns.DOMAIN_NAME
                        + "); rename the domain (virsh domrename) to migrate it");
                vm.teamingValid = false;
                vm.problems = why;
            }
            running.vms.add(vm);
            if (report.primaryPciAddress() != null) {
                vfHolders.put(report.primaryPciAddress(), domain.name());
            }
            for (String pci : read.passedThrough()) {
                if (!pci.equals(report.primaryPciAddress())) {
                    untracked.put(pci, domain.name());
                }
            }
        }
        String pf = spec.pf == null ? null : spec.pf.name;
        if (pf == null || !network.netdevExists(pf)) {
            problems.add("PF " + pf + " not found on this host; fix spec.pf.name");
        } else {
            Map<Integer, VfAdminSettings.Settings> settings = Map.of();
            if (vfSettings != null) {
                try {
                    settings = vfSettings.read(pf);
                } catch (HostNetworkException e) {
                    // Not a readiness problem: migrations work without them; only the VF settings check cannot run.
                    if (!e.getMessage().equals(lastSettingsError)) {
                        LOG.warnf("VF settings of %s not reported: %s", pf, e.getMessage());
                    }
                    lastSettingsError = e.getMessage();
                }
            }
            try {
                for (HostNetwork.VfInfo vf : network.listVfs(pf)) {
                    VfStatus vfStatus = new VfStatus();
                    vfStatus.index = vf.index();
                    vfStatus.pciAddress = vf.pciAddress();
                    vfStatus.mac = vf.mac();
                    vfStatus.representor = spec.bonds.stream().filter(b -> b.vfIndex != null && b.vfIndex == vf.index())
                            .map(b -> b.vfRepresentor).findFirst().orElse(null);
                    vfStatus.attachedTo = vfHolders.get(vf.pciAddress());
                    if (vfStatus.attachedTo == null && untracked.containsKey(vf.pciAddress())) {
                        vfStatus.attachedTo = untracked.get(vf.pciAddress());
                        vfStatus.attachedOutsideTeaming = true;
                    }
                    VfAdminSettings.Settings set = settings.get(vf.index());
                    if (set != null) {
                        vfStatus.adminMac = set.mac();
                        vfStatus.vlan = set.vlan();
                        vfStatus.spoofCheck = set.spoofCheck();
                        vfStatus.trust = set.trust();
                        vfStatus.linkState = set.linkState();
                    }
                    if (vfStateFacts != null) {
                        vfStatus.driver = vfStateFacts.vfDriver(pf, vf.index()).orElse(null);
                    }
                    running.vfs.add(vfStatus);
                }
            } catch (HostNetworkException e) {
                problems.add(e.getMessage());
            }
        }
        status.totalVfs = running.vfs.size();
        if (askGuests && vfStateFacts != null && pf != null) {
            VfStateFacts.Host host = vfStateFacts.read(pf);
            Optional<Hypervisor.Versions> versions = hypervisor.versions();
            HypervisorNicStatus.VfStateHost facts = new HypervisorNicStatus.VfStateHost();
            facts.kernel = host.kernel();
            facts.nicModel = host.nicModel();
            facts.psid = host.psid();
            facts.firmware = host.firmware();
            facts.qemu = versions.map(Hypervisor.Versions::hypervisor).orElse(null);
            facts.libvirt = versions.map(Hypervisor.Versions::libvirt).orElse(null);
            List<String> lacks = VfStateSupport.hostProblems(facts);
            facts.capable = lacks.isEmpty();
            facts.problems = lacks.isEmpty() ? null : lacks;
            status.vfStateMigration = facts;
        }
        if (askGuests) {
            // Absent when libvirt cannot be asked; an empty list is a libvirt with no active pool.
            status.storagePools = hypervisor.storagePools().map(all -> all.stream().map(p -> {
                HypervisorNicStatus.StoragePoolStatus pool = new HypervisorNicStatus.StoragePoolStatus();
                pool.name = p.name();
                pool.type = p.type();
                pool.path = p.path();
                return pool;
            }).toList()).orElse(null);
        }
        for (BondSpec bond : spec.bonds) {
            BondStatus bondStatus = new BondStatus();
            bondStatus.name = bond.name;
            bondStatus.sfNetdev = bond.sfNetdev;
            bondStatus.sfRepresentor = bond.sfRepresentor;
            bondStatus.vfRepresentor = bond.vfRepresentor;
            boolean ovsBond = spec.ovs != null && spec.ovs.bondBackend == HypervisorNicSpec.BondBackend.ovs;
            Optional<String> active = ovsBond ? Optional.empty() : network.activeSlave(bond.name);
            if (active.isPresent()) {
                VmInventoryStatus.BondPath path = new VmInventoryStatus.BondPath();
                path.name = bond.name;
                path.activeSlave = active.get();
                running.bonds.add(path);
            }
            if (active.isEmpty() && !ovsBond) {
                problems.add("bond " + bond.name + " not found or has no active slave");
            }
            bondStatus.sfNetdevPresent = network.netdevExists(bond.sfNetdev);
            if (!bondStatus.sfNetdevPresent) {
                problems.add("SF netdev " + bond.sfNetdev + " of bond " + bond.name + " not found");
            }
            status.bonds.add(bondStatus);
        }
        Conditions.set(status.conditions, ConditionTypes.AGENT_READY, problems.isEmpty(),
                problems.isEmpty() ? Reasons.HOST_READY : Reasons.HOST_NOT_READY,
                problems.isEmpty() ? "PF, VFs, SF netdevs and bonds present" : String.join("; ", problems), null, now);
        return new Observation(status, running);
    }

    /** The bond whose SF netdev a VM's standby NIC sits on. */
    public static Optional<BondSpec> bondFor(HypervisorNicSpec spec, String standbyDevice) {
        return spec.bonds.stream().filter(b -> b.sfNetdev.equals(standbyDevice)).findFirst();
    }
}
