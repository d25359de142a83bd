package io.sriovlm.testing;

import io.sriovlm.api.v1alpha1.ConditionTypes;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.sriovlm.api.v1alpha1.HypervisorNic;
import io.sriovlm.api.v1alpha1.HypervisorNicSpec;
import io.sriovlm.api.v1alpha1.HypervisorNicSpec.BondSpec;
import io.sriovlm.api.v1alpha1.HypervisorNicStatus;
import io.sriovlm.api.v1alpha1.VmInventory;
import io.sriovlm.api.v1alpha1.VmInventoryStatus;
import io.sriovlm.api.v1alpha1.VmInventoryStatus.VfStatus;
import io.sriovlm.api.v1alpha1.VmInventoryStatus.VmStatus;
import io.sriovlm.api.v1alpha1.MigrationPhase;
import io.sriovlm.api.v1alpha1.PhaseTimestamp;
import io.sriovlm.api.v1alpha1.SriovMigration;
import io.sriovlm.api.v1alpha1.SriovMigrationSpec;
import io.sriovlm.api.v1alpha1.SriovMigrationStatus;
import io.sriovlm.api.v1alpha1.TeamingSummary;
import io.sriovlm.api.v1alpha1.VfClaim;
import io.sriovlm.api.v1alpha1.VfClaimSpec;
import io.sriovlm.api.v1alpha1.VfPool;
import io.sriovlm.api.v1alpha1.VfPoolSpec;
import io.sriovlm.common.Conditions;
import io.sriovlm.common.Timestamps;
import io.sriovlm.operator.placement.NicHealth;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/** Builders of API objects for unit tests: a world of hypervisors hvN with 4 VFs and 4 SF/VF bonds each. */
public final class Objects {
    public static final Instant NOW = Instant.parse("2026-11-24T12:00:00Z");

    private Objects() {
    }

    public static String vfPci(int index) {
        return String.format("0000:06:00.%d", index + 1);
    }

    public static Node node(String name) {
        return new NodeBuilder().withNewMetadata().withName(name).withLabels(Map.of("kubernetes.io/hostname", name))
                .endMetadata().withNewSpec().endSpec().build();
    }

    /**
     * The VmInventory that {@link #nic} built with a NIC: what runs there (VMs, VFs). Tests change it to change what
     * the agent reports; {@link #view} and {@link #inventories} read it.
     */
    private static final Map<HypervisorNic, VmInventory> RUNNING = java.util.Collections.synchronizedMap(
            new java.util.IdentityHashMap<>());

    /** What runs on {@code nic}'s host, as {@link #nic} made it: its VmInventory (created empty for other NICs). */
    public static VmInventory running(HypervisorNic nic) {
        return RUNNING.computeIfAbsent(nic, n -> {
            VmInventory inventory = VmInventory.of(n);
            inventory.getStatus().heartbeatTime = n.getStatus() == null ? null : n.getStatus().heartbeatTime;
            return inventory;
        });
    }

    /** The agent of {@code nic}'s node last reported at {@code at}: both its statuses carry that heartbeat. */
    public static void lastReported(HypervisorNic nic, Instant at) {
        nic.getStatus().heartbeatTime = Timestamps.format(at);
        running(nic).getStatus().heartbeatTime = Timestamps.format(at);
    }

    /** The inventories of {@code nics} ({@link #running}), by the same keys. */
    public static Map<String, VmInventory> inventories(Map<String, HypervisorNic> nics) {
        Map<String, VmInventory> byNode = new java.util.HashMap<>();
        nics.forEach((node, nic) -> byNode.put(node, running(nic)));
        return byNode;
    }

    /**
     * A Ready HypervisorNic with 4 VFs paired with SF netdevs meth0..meth3, and the given VMs (name -> SF index); the
     * VFs and VMs are in its VmInventory ({@link #running}).
     */
    public static HypervisorNic nic(String node, Map<String, Integer> vms) {
        HypervisorNic nic = new HypervisorNic();
        nic.getMetadata().setName(node);
        nic.getMetadata().setUid(UUID.randomUUID().toString());
        nic.getMetadata().setGeneration(1L);
        HypervisorNicSpec spec = new HypervisorNicSpec();
        spec.nodeName = node;
        spec.pf = new HypervisorNicSpec.PhysicalFunction();
        spec.pf.name = "ens2";
        spec.numVfs = 4;
        HypervisorNicStatus status = new HypervisorNicStatus();
        status.heartbeatTime = Timestamps.format(NOW.minusSeconds(1));
        VmInventoryStatus running = new VmInventoryStatus();
        running.heartbeatTime = status.heartbeatTime;
        status.migrationUri = "qemu+tls://" + node + "/system";
        for (int i = 0; i < 4; i++) {
            BondSpec bond = new BondSpec();
            bond.name = "bond" + i;
            bond.sfNetdev = "meth" + i;
            bond.sfRepresentor = "en6s0f0pf0sf" + i;
            bond.vfRepresentor = "ens2_" + i;
            bond.vfIndex = i;
            spec.bonds.add(bond);
            VfStatus vf = new VfStatus();
            vf.index = i;
            vf.pciAddress = vfPci(i);
            vf.representor = bond.vfRepresentor;
            running.vfs.add(vf);
        }
        vms.forEach((vm, sf) -> {
            VmStatus v = new VmStatus();
            v.name = vm;
            v.state = "RUNNING";
            v.teamingValid = true;
            v.teaming = teaming(sf);
            running.vms.add(v);
            running.vfs.get(sf).attachedTo = vm;
        });
        status.totalVfs = 4;
        Conditions.set(status.conditions, ConditionTypes.AGENT_READY, true, "HostReady", "ok", 1L, NOW);
        nic.setSpec(spec);
        nic.setStatus(status);
        running(nic).setStatus(running);
        return nic;
    }

    public static TeamingSummary teaming(int sf) {
        TeamingSummary t = new TeamingSummary();
        t.mac = String.format("52:54:00:00:00:%02x", sf);
        t.standbyAlias = "ua-net" + sf;
        t.standbyDevice = "meth" + sf;
        t.primaryAlias = "ua-sriov" + sf;
        t.primaryPciAddress = vfPci(sf);
        return t;
    }

    /** A pool over every node. */
    public static VfPool pool(String name) {
        VfPool pool = new VfPool();
        pool.getMetadata().setName(name);
        pool.getMetadata().setGeneration(1L);
        pool.setSpec(new VfPoolSpec());
        return pool;
    }

    /** What the operator decides on: these objects, the ledger derived from them, at {@link #NOW}. */
    public static io.sriovlm.operator.phases.ClusterView view(Map<String, HypervisorNic> nics, Map<String, Node> nodes,
            List<VfPool> pools, List<VfClaim> claims, List<SriovMigration> migrations,
            io.sriovlm.operator.OperatorConfig config) {
        Map<String, VmInventory> inventories = inventories(nics);
        var ledger = io.sriovlm.operator.placement.VfLedger.of(nics, inventories, nodes, claims, migrations.stream()
                .filter(io.sriovlm.operator.phases.ClusterView::isActive)
                .map(io.sriovlm.operator.placement.VfLedger.LiveMigration::of).toList());
        return new io.sriovlm.operator.phases.ClusterView(nics, inventories, nodes, pools, ledger, migrations, config, NOW,
                io.sriovlm.operator.placement.AgentLiveness.Renewals.NONE,
                io.sriovlm.operator.placement.ReportedVms.of(inventories.values()));
    }

    /** A claim of VF {@code index} of {@code node} by migration {@code migrationUid} for {@code vm}, in pool-a. */
    public static VfClaim claim(String node, int index, String vm, String migrationUid, VfClaimSpec.State state) {
        VfClaimSpec spec = new VfClaimSpec();
        spec.node = node;
        spec.pciAddress = vfPci(index);
        spec.vfIndex = index;
        spec.pool = "pool-a";
        spec.vm = vm;
        spec.migration = "default/" + migrationUid;
        spec.migrationUid = migrationUid;
        spec.state = state;
        spec.since = Timestamps.format(NOW);
        VfClaim claim = VfClaim.of(spec);
        claim.getMetadata().setUid("claim-" + migrationUid);
        claim.getMetadata().setResourceVersion("1");
        return claim;
    }

    public static SriovMigration migration(String name, String vm, MigrationPhase phase) {
        SriovMigration m = new SriovMigration();
        m.getMetadata().setName(name);
        m.getMetadata().setNamespace("default");
        m.getMetadata().setUid(UUID.nameUUIDFromBytes(name.getBytes()).toString());
        m.getMetadata().setGeneration(1L);
        m.getMetadata().setResourceVersion("1");
        m.getMetadata().setCreationTimestamp(Timestamps.format(NOW.minusSeconds(60)));
        SriovMigrationSpec spec = new SriovMigrationSpec();
        spec.vmName = vm;
        m.setSpec(spec);
        SriovMigrationStatus status = new SriovMigrationStatus();
        status.phase = phase;
        if (phase != null) {
            status.phaseTimestamps = new java.util.ArrayList<>(List.of(new PhaseTimestamp(phase, Timestamps.format(NOW.minusSeconds(1)))));
        }
        m.setStatus(status);
        return m;
    }
}
