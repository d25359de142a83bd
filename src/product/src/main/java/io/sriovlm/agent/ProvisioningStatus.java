package io.sriovlm.agent;

import io.sriovlm.api.v1alpha1.Reasons;
import io.sriovlm.api.v1alpha1.ConditionTypes;
import io.sriovlm.agent.hostnet.NicInventory;
import io.sriovlm.agent.hostnet.NicProvisioner;
import io.sriovlm.agent.hostnet.OvsCli;
import io.sriovlm.api.v1alpha1.HypervisorNicSpec;
import io.sriovlm.api.v1alpha1.HypervisorNicSpec.BondBackend;
import io.sriovlm.api.v1alpha1.HypervisorNicStatus;
import io.sriovlm.api.v1alpha1.HypervisorNicStatus.BondStatus;
import io.sriovlm.api.v1alpha1.HypervisorNicStatus.InterfaceStatus;
import io.sriovlm.api.v1alpha1.HypervisorNicStatus.InterfaceVf;
import io.sriovlm.api.v1alpha1.HypervisorNicStatus.OvsPortStatus;
import io.sriovlm.api.v1alpha1.HypervisorNicStatus.OvsStatus;
import io.sriovlm.api.v1alpha1.HypervisorNicStatus.SfStatus;
import io.sriovlm.api.v1alpha1.VmInventoryStatus;
import io.sriovlm.common.Conditions;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Map;
import java.util.TreeMap;

/**
 * Copies a provisioning report into HypervisorNic.status, in SriovNetworkNodeState's shape plus bonds, SFs and OVS;
 * the VFs' representors and the OVS bonds' active members go with the rest of what runs, into the VmInventory status.
 */
public final class ProvisioningStatus {
    private ProvisioningStatus() {
    }

    public static void apply(HostObservation.Observation observed, HypervisorNicSpec spec, NicProvisioner.Report report,
            Instant now, Long generation) {
        HypervisorNicStatus status = observed.nic();
        status.syncStatus = report.syncStatus();
        status.lastSyncError = report.lastSyncError();
        status.syncedGeneration = report.syncedGeneration();
        status.steps = new ArrayList<>(report.steps());
        status.drift = new ArrayList<>(report.drift());
        for (NicProvisioner.ConditionUpdate c : report.conditions()) {
            Conditions.set(status.conditions, c.type(), c.status(), c.reason(), c.message(), generation, now);
        }
        if (report.failed()) {
            String before = Conditions.isTrue(status.conditions, ConditionTypes.AGENT_READY) ? null
                    : Conditions.find(status.conditions, ConditionTypes.AGENT_READY).map(c -> c.getMessage()).orElse(null);
            Conditions.set(status.conditions, ConditionTypes.AGENT_READY, false, Reasons.PROVISIONING_FAILED,
                    "provisioning failed: " + report.lastSyncError() + (before == null ? "" : "; " + before), null, now);
        }
        NicInventory inv = report.inventory();
        if (inv == null) {
            return;
        }
        if (inv.pf() != null) {
            InterfaceStatus pf = new InterfaceStatus();
            pf.name = inv.pf().name();
            pf.pciAddress = inv.pf().pciAddress();
            pf.mac = inv.pf().mac();
            pf.numVfs = inv.pf().numVfs();
            pf.totalVfs = inv.pf().totalVfs();
            pf.eSwitchMode = inv.pf().eswitchMode();
            pf.hwTcOffload = inv.pf().hwTcOffload();
            pf.switchId = inv.pf().switchId();
            for (NicInventory.Vf vf : inv.vfs()) {
                InterfaceVf v = new InterfaceVf();
                v.vfID = vf.index();
                v.pciAddress = vf.pciAddress();
                v.mac = vf.mac();
                v.representorName = vf.representor();
                pf.vfs.add(v);
            }
            status.interfaces.add(pf);
            for (VmInventoryStatus.VfStatus vf : observed.inventory().vfs) {
                inv.vfs().stream().filter(v -> v.index() == vf.index && v.representor() != null).findFirst()
                        .ifPresent(v -> vf.representor = v.representor());
            }
        }
        for (NicInventory.Sf sf : inv.sfs()) {
            SfStatus s = new SfStatus();
            s.pfNum = sf.pfNum();
            s.sfNum = sf.sfNum();
            s.netdev = sf.netdev();
            s.representor = sf.representor();
            s.state = sf.state();
            status.sfs.add(s);
        }
        boolean ovsBonds = spec.ovs != null && spec.ovs.bondBackend == BondBackend.ovs;
        for (BondStatus b : status.bonds) {
            b.backend = ovsBonds ? "ovs" : "kernel";
            NicInventory.Bond kb = inv.bonds().get(b.name);
            if (kb != null) {
                b.mode = kb.mode();
                b.primary = kb.primary();
                b.slaves = kb.slaves();
            }
            if (ovsBonds && inv.ovs() != null && inv.ovs().ports().containsKey(b.name)) {
                OvsCli.OvsPort p = inv.ovs().ports().get(b.name);
                b.mode = p.bondMode();
                b.slaves = p.members();
                if (p.activeMember() != null) {
                    observed.inventory().bonds.removeIf(path -> path.name.equals(b.name));
                    VmInventoryStatus.BondPath path = new VmInventoryStatus.BondPath();
                    path.name = b.name;
                    path.activeSlave = p.activeMember();
                    observed.inventory().bonds.add(path);
                }
            }
        }
        if (inv.ovs() != null) {
            OvsStatus o = new OvsStatus();
            o.bridge = spec.ovs.bridge;
            o.reachable = inv.ovs().reachable();
            o.error = inv.ovs().error();
            o.datapathType = inv.ovs().datapathType();
            o.otherConfig = inv.ovs().otherConfig().isEmpty() ? null : new TreeMap<>(inv.ovs().otherConfig());
            for (Map.Entry<String, OvsCli.OvsPort> e : inv.ovs().ports().entrySet()) {
                OvsPortStatus p = new OvsPortStatus();
                p.name = e.getKey();
                p.tag = e.getValue().tag();
                p.members = e.getValue().members().isEmpty() ? null : e.getValue().members();
                o.ports.add(p);
            }
            status.ovs = o;
        }
    }
}
