package io.sriovlm.operator.placement;

import io.sriovlm.api.v1alpha1.VmInventory;
import io.sriovlm.api.v1alpha1.VmInventoryStatus.VmStatus;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Teaming MACs used by more than one VM anywhere in the cluster. The guest's failover pair is matched by MAC, and a
 * VF keeps the MAC its last holder gave it: two VMs with one MAC break each other's fast path and confuse the
 * switches (sriov-cni#219, #349). One VM reported on two nodes (its source and target during a migration) is one VM,
 * not a duplicate. Pure.
 */
public final class TeamingMacs {
    private TeamingMacs() {
    }

    /** A VM as an agent reports it. */
    public record Holder(String vm, String node) {
        @Override
        public String toString() {
            return vm + " on " + node;
        }
    }

    /** Every MAC (lower case) that two or more VMs use, with their holders sorted by VM then node. */
    public static Map<String, List<Holder>> duplicates(Collection<VmInventory> inventories) {
        // Every VM of the fleet at each pool recount (9,600 at 300 nodes): hashed, with a list only for a MAC seen
        // twice. A sorted map of every MAC cost a tenth of the operator's CPU during migrations at 300 nodes.
        Map<String, Holder> first = new HashMap<>();
        Map<String, List<Holder>> seenAgain = new HashMap<>();
        for (VmInventory inventory : inventories) {
            if (inventory.getStatus() == null || inventory.getSpec() == null) {
                continue;
            }
            for (VmStatus vm : inventory.getStatus().vms) {
                if (vm.teaming == null || vm.teaming.mac == null || vm.name == null) {
                    continue;
                }
                String mac = ReportedVms.macKey(vm.teaming.mac);
                Holder holder = new Holder(vm.name, inventory.getSpec().nodeName);
                Holder earlier = first.putIfAbsent(mac, holder);
                if (earlier != null) {
                    seenAgain.computeIfAbsent(mac, k -> new ArrayList<>(List.of(earlier))).add(holder);
                }
            }
        }
        Map<String, List<Holder>> shared = new TreeMap<>();
        seenAgain.forEach((mac, holders) -> {
            // One VM reported by its source and its target during its migration is one holder.
            if (holders.stream().map(Holder::vm).distinct().count() > 1) {
                shared.put(mac, holders.stream().sorted(Comparator.comparing(Holder::vm).thenComparing(Holder::node))
                        .toList());
            }
        });
        return shared;
    }

    /**
     * The other VMs that use {@code vm}'s teaming MAC {@code mac}; empty when it is its own.
     *
     * @param inventoriesByNode where to look, by node: every inventory, or those that report the MAC
     *                          ({@code ClusterView#inventoriesUsingMac}, what an admission passes)
     */
    public static List<Holder> sharing(String vm, String mac, Map<String, VmInventory> inventoriesByNode) {
        if (mac == null) {
            return List.of();
        }
        List<Holder> others = new ArrayList<>();
        inventoriesByNode.forEach((node, inventory) -> {
            if (inventory.getStatus() != null) {
                inventory.getStatus().vms.stream().filter(v -> v.teaming != null && mac.equalsIgnoreCase(v.teaming.mac)
                        && v.name != null && !v.name.equals(vm)).forEach(v -> others.add(new Holder(v.name, node)));
            }
        });
        others.sort(Comparator.comparing(Holder::vm).thenComparing(Holder::node));
        return others;
    }

    /**
     * Why {@code vm} on {@code node} may not move: the other VMs that use its teaming MAC, named with the fix; empty
     * when the MAC is its own.
     */
    public static java.util.Optional<String> refusal(String vm, String node, String mac,
            Map<String, VmInventory> inventoriesByNode) {
        List<Holder> others = sharing(vm, mac, inventoriesByNode);
        if (others.isEmpty()) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of("VM " + vm + " on " + node + " uses teaming MAC " + mac + ", as does VM "
                + others.stream().map(Holder::toString).distinct().collect(Collectors.joining(", VM "))
                + "; give one of them another MAC in its domain XML (both VMs' migrations are refused until then)");
    }
}
