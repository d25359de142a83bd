package io.sriovlm.operator.placement;

import io.sriovlm.api.v1alpha1.CopyStorage;
import io.sriovlm.api.v1alpha1.HypervisorNicStatus;
import io.sriovlm.api.v1alpha1.VmInventoryStatus.DiskStatus;
import io.sriovlm.api.v1alpha1.HypervisorNicStatus.StoragePoolStatus;

import java.util.ArrayList;
import java.util.List;

/**
 * Whether a target sees the VM's disks, or libvirt copies them: with {@code copyStorage: none} every file or block
 * disk must lie under a storage pool of the target's libvirt, every volume disk name one of its pools, and network
 * disks (rbd, iSCSI, NBD...) are shared by nature. A target whose agent does not report its pools is not judged. Pure.
 */
public final class StorageMatch {
    private StorageMatch() {
    }

    /** The VM's disks as its source agent reports them, and how the migration treats them. */
    public record Needs(String vm, List<DiskStatus> disks, CopyStorage copyStorage) {
    }

    /** One line per disk the target would not see, each with its fix; empty when none (or nothing to judge). */
    public static List<String> problems(Needs needs, String targetNode, HypervisorNicStatus target) {
        List<String> out = new ArrayList<>();
        if (needs == null || needs.disks() == null || needs.copyStorage() != CopyStorage.none || target == null
                || target.storagePools == null) {
            return out;
        }
        for (DiskStatus disk : needs.disks()) {
            if ("network".equals(disk.type) || seen(disk, target.storagePools)) {
                continue;
            }
            out.add("disk " + disk.target + " of " + needs.vm() + " (" + disk.source + ") is on no storage pool of "
                    + targetNode + "'s libvirt (" + describe(target.storagePools) + "); put it on storage both hosts"
                    + " have as a pool, or set spec.options.copyStorage: all");
        }
        return out;
    }

    private static boolean seen(DiskStatus disk, List<StoragePoolStatus> pools) {
        for (StoragePoolStatus pool : pools) {
            if ("volume".equals(disk.type) ? disk.source.startsWith(pool.name + "/")
                    : pool.path != null && disk.source.startsWith(pool.path.endsWith("/") ? pool.path : pool.path + "/")) {
                return true;
            }
        }
        return false;
    }

    private static String describe(List<StoragePoolStatus> pools) {
        if (pools.isEmpty()) {
            return "it has none";
        }
        return "pools " + String.join(", ", pools.stream().map(p -> p.name + " at " + p.path).toList());
    }
}
