package io.sriovlm.operator.placement;

import io.sriovlm.api.v1alpha1.VmInventory;
import io.sriovlm.api.v1alpha1.VmInventoryStatus.VmStatus;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * Which VmInventories report a VM, or a VM with a given teaming MAC. The operator answers it from indexes its
 * inventory informer keeps up to date with each report ({@link #INDEXERS}), so that a decision about one VM looks at
 * the nodes that report it rather than at every VM of the fleet (9,600 at 300 nodes, each admission). The index is
 * live and a decision's snapshot a moment older: callers confirm a candidate on their snapshot.
 */
public interface ReportedVms {
    String BY_VM = "vm";
    String BY_TEAMING_MAC = "teamingMac";

    /** The indexes an inventory informer keeps for {@link #reporting} and {@link #usingMac}. */
    Map<String, Function<VmInventory, List<String>>> INDEXERS = Map.of(BY_VM, ReportedVms::vmNames,
            BY_TEAMING_MAC, ReportedVms::teamingMacs);

    /** The inventories that report {@code vm}. */
    Collection<VmInventory> reporting(String vm);

    /** The inventories that report a VM whose teaming MAC is {@code mac} (any case). */
    Collection<VmInventory> usingMac(String mac);

    /** The names of the VMs {@code inventory} reports. */
    static List<String> vmNames(VmInventory inventory) {
        List<String> names = new ArrayList<>();
        for (VmStatus vm : vmsOf(inventory)) {
            if (vm.name != null) {
                names.add(vm.name);
            }
        }
        return names;
    }

    /** The form a MAC is indexed and compared in: libvirt and guests print MACs in either case. */
    static String macKey(String mac) {
        return mac.toLowerCase(Locale.ROOT);
    }

    /** The teaming MACs of the VMs {@code inventory} reports, as {@link #macKey}. */
    static List<String> teamingMacs(VmInventory inventory) {
        List<String> macs = new ArrayList<>();
        for (VmStatus vm : vmsOf(inventory)) {
            if (vm.teaming != null && vm.teaming.mac != null) {
                macs.add(macKey(vm.teaming.mac));
            }
        }
        return macs;
    }

    private static List<VmStatus> vmsOf(VmInventory inventory) {
        return inventory == null || inventory.getStatus() == null ? List.of() : inventory.getStatus().vms;
    }

    /** The same answers from {@code inventories} as they are, indexed once: for a snapshot that has no informer. */
    static ReportedVms of(Collection<VmInventory> inventories) {
        Map<String, List<VmInventory>> byVm = new HashMap<>();
        Map<String, List<VmInventory>> byMac = new HashMap<>();
        for (VmInventory inventory : inventories) {
            vmNames(inventory).forEach(vm -> byVm.computeIfAbsent(vm, k -> new ArrayList<>()).add(inventory));
            teamingMacs(inventory).forEach(mac -> byMac.computeIfAbsent(mac, k -> new ArrayList<>()).add(inventory));
        }
        return new ReportedVms() {
            @Override
            public Collection<VmInventory> reporting(String vm) {
                return byVm.getOrDefault(vm, List.of());
            }

            @Override
            public Collection<VmInventory> usingMac(String mac) {
                return byMac.getOrDefault(macKey(mac), List.of());
            }
        };
    }
}
