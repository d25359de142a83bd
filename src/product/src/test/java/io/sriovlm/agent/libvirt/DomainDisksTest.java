package io.sriovlm.agent.libvirt;

import io.sriovlm.api.v1alpha1.VmInventoryStatus.DiskStatus;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Unit: a domain's disks and a storage pool's path, as libvirt's XML gives them. */
class DomainDisksTest {

    @Test
    void eachDiskWithASourceIsReportedByWhereItIs() {
        List<DiskStatus> disks = DomainDisks.of("<domain type='kvm'><devices>"
                + "<disk type='file' device='disk'><source file='/var/lib/libvirt/images/vm.qcow2'/><target dev='vda'/></disk>"
                + "<disk type='block' device='disk'><source dev='/dev/vg0/data'/><target dev='vdb'/></disk>"
                + "<disk type='network' device='disk'><source protocol='rbd' name='rbd-pool/vm-root'/><target dev='vdc'/></disk>"
                + "<disk type='volume' device='disk'><source pool='images' volume='vm-swap'/><target dev='vdd'/></disk>"
                + "<disk type='file' device='cdrom'><target dev='sda'/></disk>"
                + "</devices></domain>");
        assertThat(disks).extracting(d -> d.target + " " + d.type + " " + d.source).containsExactly(
                "vda file /var/lib/libvirt/images/vm.qcow2", "vdb block /dev/vg0/data", "vdc network rbd-pool/vm-root",
                "vdd volume images/vm-swap");
        assertThat(DomainDisks.of("not xml")).isEmpty();
    }

    @Test
    void aPoolIsWhereItsVolumesAre() {
        assertThat(StoragePoolXml.of("default", "<pool type='dir'><name>default</name><target><path>"
                + "/var/lib/libvirt/images</path></target></pool>"))
                .isEqualTo(new Hypervisor.StoragePool("default", "dir", "/var/lib/libvirt/images"));
        assertThat(StoragePoolXml.of("ceph", "<pool type='rbd'><name>ceph</name><source><name>rbd-pool</name>"
                + "<host name='mon1'/></source></pool>")).isEqualTo(new Hypervisor.StoragePool("ceph", "rbd", "rbd-pool"));
    }
}
