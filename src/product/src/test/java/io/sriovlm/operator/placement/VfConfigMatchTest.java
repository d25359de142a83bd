package io.sriovlm.operator.placement;

import io.sriovlm.api.v1alpha1.VmInventoryStatus.VfStatus;
import io.sriovlm.operator.placement.VfConfigMatch.Expected;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Unit: which differences between the VM's VF and a target VF would change the guest's network. */
class VfConfigMatchTest {
    static final String MAC = "52:54:00:00:00:01";

    static VfStatus vf(int index, String mac, Integer vlan, Boolean trust, Boolean spoofCheck, String link) {
        VfStatus vf = new VfStatus();
        vf.index = index;
        vf.pciAddress = "0000:06:00." + (index + 1);
        vf.adminMac = mac;
        vf.vlan = vlan;
        vf.trust = trust;
        vf.spoofCheck = spoofCheck;
        vf.linkState = link;
        return vf;
    }

    static Expected expected(Integer xmlVlan, VfStatus source) {
        return new Expected("vm-01", MAC, xmlVlan, "hv1", source);
    }

    @Test
    void aVfSetUpAsTheVmsMatchesWhateverItsMac() {
        VfStatus source = vf(0, MAC, 100, true, false, "auto");
        assertThat(VfConfigMatch.mismatches(expected(null, source), "hv2", "ens2", vf(0, VfStatus.NO_MAC, 100, true, false, "enable"))).isEmpty();
        assertThat(VfConfigMatch.mismatches(expected(null, source), "hv2", "ens2", vf(0, MAC.toUpperCase(), 100, true, false, "auto")))
                .as("the VM's own MAC, e.g. set by libvirt for it before").isEmpty();
    }

    @Test
    void eachDifferenceIsNamedWithTheCommandThatFixesIt() {
        VfStatus source = vf(0, MAC, 100, true, false, "auto");
        VfStatus target = vf(2, "52:54:00:99:99:99", 0, false, true, "disable");

        assertThat(VfConfigMatch.mismatches(expected(null, source), "hv2", "ens2", target)).containsExactly(
                "VF 2 (0000:06:00.3) on hv2 keeps MAC 52:54:00:99:99:99 of an earlier holder; its agent clears the MAC"
                        + " of a free VF at its next heartbeat, or run: ip link set dev ens2 vf 2 mac 00:00:00:00:00:00",
                "VF 2 (0000:06:00.3) on hv2 has VLAN 0, vm-01's VF on hv1 has VLAN 100; give the VM's VF interface"
                        + " <vlan><tag id='100'/></vlan> so that libvirt sets it wherever the VM goes, or run: ip link set dev"
                        + " ens2 vf 2 vlan 100",
                "VF 2 (0000:06:00.3) on hv2 has trust off, vm-01's VF on hv1 has trust on; run: ip link set dev ens2 vf 2 trust on",
                "VF 2 (0000:06:00.3) on hv2 has spoof checking on, vm-01's VF on hv1 has it off; run: ip link set dev ens2"
                        + " vf 2 spoofchk off",
                "VF 2 (0000:06:00.3) on hv2 has its link disabled (the guest would see no carrier); run: ip link set dev"
                        + " ens2 vf 2 state auto");
    }

    @Test
    void aVlanInTheDomainXmlMovesWithTheVmAndIsNotCompared() {
        VfStatus source = vf(0, MAC, 100, null, null, null);
        assertThat(VfConfigMatch.mismatches(expected(100, source), "hv2", "ens2", vf(0, VfStatus.NO_MAC, 0, null, null, null))).isEmpty();
    }

    @Test
    void whatAnAgentDoesNotReportIsNotJudged() {
        VfStatus unknownTarget = vf(0, null, null, null, null, null);
        assertThat(VfConfigMatch.mismatches(expected(null, vf(0, MAC, 100, true, true, "auto")), "hv2", "ens2", unknownTarget)).isEmpty();
        // No source VF known: only the MAC left behind can be judged.
        assertThat(VfConfigMatch.mismatches(expected(null, null), "hv2", "ens2", vf(0, VfStatus.NO_MAC, 7, false, false, "auto"))).isEmpty();
        assertThat(VfConfigMatch.mismatches(expected(null, null), "hv2", "ens2", vf(0, "52:54:00:99:99:99", 0, null, null, null)))
                .hasSize(1);
        assertThat(VfConfigMatch.mismatches(null, "hv2", "ens2", vf(0, "52:54:00:99:99:99", 0, null, null, null))).isEmpty();
    }
}
