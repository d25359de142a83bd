package io.sriovlm.operator.placement;

import io.sriovlm.api.v1alpha1.VmInventoryStatus.VfStatus;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Whether a target VF is set up on its PF as the VF the VM holds now, so that the guest finds the same network
 * after the move: the same VLAN (unless the VM's VF interface names one in its XML, which libvirt sets on the
 * attach), the same trust and spoof checking, a link that is not disabled, and no MAC left by an earlier holder.
 * A setting an agent does not report is not judged. Pure.
 */
public final class VfConfigMatch {
    private VfConfigMatch() {
    }

    /**
     * What the guest has now.
     *
     * @param mac      the VM's teaming MAC (libvirt gives it to the VF on the attach)
     * @param xmlVlan  the VLAN of the VM's VF interface in its domain XML, or null
     * @param sourceVf the VF the VM holds, as its node reports it; null when unknown (nothing is then compared)
     */
    public record Expected(String vm, String mac, Integer xmlVlan, String sourceNode, VfStatus sourceVf) {
    }

    /**
     * @param pf the PF of the target VF, for the commands that fix it
     * @return one line per difference, each with its fix; empty when the VF matches
     */
    public static List<String> mismatches(Expected expected, String targetNode, String pf, VfStatus target) {
        List<String> out = new ArrayList<>();
        if (expected == null || target == null) {
            return out;
        }
        String vf = "VF " + target.index + " (" + target.pciAddress + ") on " + targetNode;
        String set = "ip link set dev " + pf + " vf " + target.index;
        if (target.adminMac != null && !VfStatus.NO_MAC.equals(target.adminMac)
                && !target.adminMac.equalsIgnoreCase(expected.mac())) {
            out.add(vf + " keeps MAC " + target.adminMac + " of an earlier holder; its agent clears the MAC of a free VF"
                    + " at its next heartbeat, or run: " + set + " mac " + VfStatus.NO_MAC);
        }
        VfStatus source = expected.sourceVf();
        if (source == null) {
            return out;
        }
        String was = expected.vm() + "'s VF on " + expected.sourceNode();
        if (expected.xmlVlan() == null && source.vlan != null && target.vlan != null
                && !source.vlan.equals(target.vlan)) {
            out.add(vf + " has VLAN " + target.vlan + ", " + was + " has VLAN " + source.vlan + "; give the VM's VF"
                    + " interface <vlan><tag id='" + source.vlan + "'/></vlan> so that libvirt sets it wherever the VM"
                    + " goes, or run: " + set + " vlan " + source.vlan);
        }
        if (source.trust != null && target.trust != null && !source.trust.equals(target.trust)) {
            out.add(vf + " has trust " + onOff(target.trust) + ", " + was + " has trust " + onOff(source.trust)
                    + "; run: " + set + " trust " + onOff(source.trust));
        }
        if (source.spoofCheck != null && target.spoofCheck != null && !source.spoofCheck.equals(target.spoofCheck)) {
            out.add(vf + " has spoof checking " + onOff(target.spoofCheck) + ", " + was + " has it "
                    + onOff(source.spoofCheck) + "; run: " + set + " spoofchk " + onOff(source.spoofCheck));
        }
        if ("disable".equals(target.linkState) && !Objects.equals(source.linkState, target.linkState)) {
            out.add(vf + " has its link disabled (the guest would see no carrier); run: " + set + " state auto");
        }
        return out;
    }

    /** The settings a VF has, for a message that says it matches. */
    public static String describe(VfStatus vf) {
        return "VLAN " + (vf.vlan == null ? "not reported" : vf.vlan) + ", trust "
                + (vf.trust == null ? "not reported" : onOff(vf.trust)) + ", spoof checking "
                + (vf.spoofCheck == null ? "not reported" : onOff(vf.spoofCheck)) + ", link "
                + (vf.linkState == null ? "not reported" : vf.linkState) + ", MAC "
                + (vf.adminMac == null ? "not reported" : vf.adminMac);
    }

    private static String onOff(boolean b) {
        return b ? "on" : "off";
    }
}
