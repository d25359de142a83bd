package io.sriovlm.common;

import io.sriovlm.api.v1alpha1.HypervisorNicStatus.VfStateHost;
import io.sriovlm.api.v1alpha1.VmInventoryStatus.VfStatus;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Unit: the VF-state requirements of each host and the parity of both. */
public class VfStateSupportTest {

    public static VfStateHost host(String model, String kernel, String qemu, String libvirt, String psid, String fw) {
        VfStateHost h = new VfStateHost();
        h.nicModel = model;
        h.kernel = kernel;
        h.qemu = qemu;
        h.libvirt = libvirt;
        h.psid = psid;
        h.firmware = fw;
        return h;
    }

    public static VfStateHost good() {
        return host("15b3:1021", "6.8.0-45-generic", "8.2.2", "10.0.0", "MT_0000000838", "28.39.1002");
    }

    @Test
    void twoMatchingConnectX7HostsQualify() {
        assertThat(VfStateSupport.problems("hv1", good(), "hv2", good())).isEmpty();
        VfStateHost bf3 = good();
        bf3.nicModel = "15b3:a2dc";
        assertThat(VfStateSupport.hostProblems("hv3", bf3)).isEmpty();
        assertThat(VfStateSupport.hostProblems("hv4", host("15b3:1021", "6.7", "8.1", "8.6.0", "P", "F"))).isEmpty();
    }

    @Test
    void eachMissingPieceIsNamedWithItsHostAndFix() {
        VfStateHost old = host("15b3:1017", "6.1.0-27-amd64", "7.2.22", "8.5.0", null, "22.31.1014");
        assertThat(VfStateSupport.hostProblems("hv1", old)).containsExactly(
                "hv1: NIC 15b3:1017 is not a ConnectX-7 (15b3:1021) or BlueField-3 (15b3:a2dc)",
                "hv1: kernel 6.1.0-27-amd64 is older than 6.7; upgrade the host kernel",
                "hv1: QEMU 7.2.22 is older than 8.1; upgrade QEMU",
                "hv1: libvirt 8.5.0 is older than 8.6; upgrade libvirt",
                "hv1: PSID or firmware version unknown (devlink dev info gave none)");
        assertThat(VfStateSupport.hostProblems(old)).as("as the agent reports them on its own host").first()
                .isEqualTo("NIC 15b3:1017 is not a ConnectX-7 (15b3:1021) or BlueField-3 (15b3:a2dc)");
    }

    @Test
    void libvirtNewerThanTheMinimumPassesAndUnknownVersionsDoNot() {
        VfStateHost h = good();
        h.libvirt = "9.0.0";
        assertThat(VfStateSupport.hostProblems("hv1", h)).isEmpty();
        h.qemu = null;
        assertThat(VfStateSupport.hostProblems("hv1", h)).containsExactly("hv1: QEMU version unknown");
        assertThat(VfStateSupport.hostProblems("hv2", null)).singleElement().asString().contains("reports no VF-state facts");
    }

    @Test
    void psidAndFirmwareMustBeTheSameOnBothEnds() {
        VfStateHost other = good();
        other.psid = "MT_0000000591";
        other.firmware = "28.40.1000";
        assertThat(VfStateSupport.problems("hv1", good(), "hv2", other)).containsExactly(
                "PSID differs: hv1 MT_0000000838, hv2 MT_0000000591 (the device state moves only between boards of the"
                        + " same PSID)",
                "firmware differs: hv1 28.39.1002, hv2 28.40.1000; flash both to the same version");
    }

    @Test
    void aVfCarriesItsStateOnlyBoundToTheVariantDriver() {
        VfStatus vf = new VfStatus();
        vf.pciAddress = "0000:06:00.4";
        assertThat(VfStateSupport.stateMigratable(vf)).as("unbound").isFalse();
        vf.driver = "vfio-pci";
        assertThat(VfStateSupport.stateMigratable(vf)).isFalse();
        vf.driver = "mlx5_vfio_pci";
        assertThat(VfStateSupport.stateMigratable(vf)).isTrue();
        assertThat(VfStateSupport.stateMigratable(null)).isFalse();
    }
}
