package io.sriovlm.sandbox;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.sriovlm.api.v1alpha1.HypervisorNic;
import io.sriovlm.api.v1alpha1.VmInventory;
import io.sriovlm.api.v1alpha1.VmInventoryStatus.VfStatus;
import io.sriovlm.api.v1alpha1.VmInventoryStatus.VmStatus;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What the agents report running, read from the API: each HypervisorNic's VmInventory (named as its NIC), for tests,
 * the invariant checker and the benchmarks.
 */
public final class Inventories {
    private Inventories() {
    }

    /** The VmInventory of {@code nics}' NICs, by the same keys; absent where the agent has not created it yet. */
    public static Map<String, VmInventory> of(KubernetesClient client, Map<String, HypervisorNic> nics) {
        Map<String, VmInventory> byName = new HashMap<>();
        client.resources(VmInventory.class).list().getItems().forEach(i -> byName.put(i.getMetadata().getName(), i));
        Map<String, VmInventory> out = new HashMap<>();
        nics.forEach((key, nic) -> {
            VmInventory inventory = byName.get(nic.getMetadata().getName());
            if (inventory != null) {
                out.put(key, inventory);
            }
        });
        return out;
    }

    /** The domains the agent reports running on the host of HypervisorNic {@code nicName}; none before it reported. */
    public static List<VmStatus> vms(KubernetesClient client, String nicName) {
        VmInventory inventory = client.resources(VmInventory.class).withName(nicName).get();
        return inventory == null || inventory.getStatus() == null ? List.of() : inventory.getStatus().vms;
    }

    /** The VFs the agent reports on the host of HypervisorNic {@code nicName}; none before it reported. */
    public static List<VfStatus> vfs(KubernetesClient client, String nicName) {
        VmInventory inventory = client.resources(VmInventory.class).withName(nicName).get();
        return inventory == null || inventory.getStatus() == null ? List.of() : inventory.getStatus().vfs;
    }
}
