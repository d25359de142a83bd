package io.sriovlm.operator.placement;

import io.sriovlm.api.v1alpha1.CopyStorage;
import io.sriovlm.api.v1alpha1.HypervisorNicStatus;
import io.sriovlm.api.v1alpha1.VmInventoryStatus.DiskStatus;
import io.sriovlm.api.v1alpha1.HypervisorNicStatus.StoragePoolStatus;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Unit: which disks a target would not see when nothing copies them. */
class StorageMatchTest {

    static DiskStatus disk(String target, String type, String source) {
        DiskStatus d = new DiskStatus();
        d.target = target;
        d.type = type;
        d.source = source;
        return d;
    }

    static HypervisorNicStatus withPools(StoragePoolStatus... pools) {
        HypervisorNicStatus s = new HypervisorNicStatus();
        s.storagePools = List.of(pools);
        return s;
    }

    static StoragePoolStatus pool(String name, String path) {
        StoragePoolStatus p = new StoragePoolStatus();
        p.name = name;
        p.type = "dir";
        p.path = path;
        return p;
    }

    static final List<DiskStatus> DISKS = List.of(disk("vda", "file", "/var/lib/libvirt/images/vm.qcow2"),
            disk("vdb", "network", "rbd-pool/vm-data"), disk("vdc", "volume", "images/vm-swap"));

    @Test
    void disksUnderTheTargetsPoolsOrOnNetworkStorageAreSeen() {
        assertThat(StorageMatch.problems(new StorageMatch.Needs("vm-01", DISKS, CopyStorage.none), "hv2",
                withPools(pool("images", "/var/lib/libvirt/images/")))).isEmpty();
    }

    @Test
    void aDiskOnNoPoolOfTheTargetIsNamedWithItsFixUnlessLibvirtCopiesIt() {
        HypervisorNicStatus other = withPools(pool("nfs", "/srv/vms"));
        assertThat(StorageMatch.problems(new StorageMatch.Needs("vm-01", DISKS, CopyStorage.none), "hv2", other))
                .containsExactly(
                        "disk vda of vm-01 (/var/lib/libvirt/images/vm.qcow2) is on no storage pool of hv2's libvirt"
                                + " (pools nfs at /srv/vms); put it on storage both hosts have as a pool, or set"
                                + " spec.options.copyStorage: all",
                        "disk vdc of vm-01 (images/vm-swap) is on no storage pool of hv2's libvirt (pools nfs at"
                                + " /srv/vms); put it on storage both hosts have as a pool, or set spec.options.copyStorage: all");
        assertThat(StorageMatch.problems(new StorageMatch.Needs("vm-01", DISKS, CopyStorage.all), "hv2", other)).isEmpty();
        assertThat(StorageMatch.problems(new StorageMatch.Needs("vm-01", DISKS, CopyStorage.none), "hv2",
                new HypervisorNicStatus())).as("pools not reported: not judged").isEmpty();
        assertThat(StorageMatch.problems(new StorageMatch.Needs("vm-01", DISKS, CopyStorage.none), "hv2", withPools()))
                .hasSize(2).allSatisfy(p -> assertThat(p).contains("(it has none)"));
        assertThat(StorageMatch.problems(new StorageMatch.Needs("vm-01", List.of(disk("vda", "file",
                "/var/lib/libvirt/images-old/vm.qcow2")), CopyStorage.none), "hv2", withPools(pool("images",
                "/var/lib/libvirt/images")))).as("a sibling directory is not under the pool").hasSize(1);
    }
}
