package io.sriovlm.operator.placement;

import io.sriovlm.api.v1alpha1.HypervisorNicStatus.GuestCpu;
import io.sriovlm.api.v1alpha1.HypervisorNicStatus.HostCpu;

import java.util.ArrayList;
import java.util.List;

/**
 * Whether a target's libvirt can give the VM its CPU, judged from what both agents report (decision 018): the
 * domain's CPU model must be one the target's libvirt marks usable in its domain capabilities, and no feature the
 * domain requires may be one the target's host-model disables. A domain without a model (no {@code <cpu>}, or
 * host-passthrough, which only identical hosts can take and no report tells) and a target that reports nothing are
 * not judged. Pure.
 */
public final class CpuMatch {
    static final int LISTED_MODELS = 8;

    private CpuMatch() {
    }

    /** @param cpu the VM's CPU as its source reports it; null: not judged */
    public record Needs(String vm, GuestCpu cpu) {
    }

    /**
     * One line per problem, each naming the VM, the target and the fix; empty when it fits or is not judged.
     *
     * @param hosts what the target's libvirt offers, per virt type; the VM's virt type (kvm when unsaid) is compared
     */
    public static List<String> problems(Needs needs, String target, List<HostCpu> hosts) {
        String virtType = needs == null || needs.cpu() == null || needs.cpu().virtType == null ? "kvm"
                : needs.cpu().virtType;
        HostCpu host = hosts == null ? null : hosts.stream().filter(h -> virtType.equals(h.virtType)).findFirst()
                .orElse(null);
        List<String> out = new ArrayList<>();
        if (needs == null || needs.cpu() == null || host == null || needs.cpu().model == null
                || "host-passthrough".equals(needs.cpu().mode)) {
            return out;
        }
        GuestCpu cpu = needs.cpu();
        List<String> usable = host.usableModels == null ? List.of() : host.usableModels;
        if (!usable.contains(cpu.model)) {
            out.add("CPU model " + cpu.model + " of " + needs.vm() + " is not usable on " + target + " (its libvirt, virt"
                    + " type " + host.virtType + ", can run " + (usable.isEmpty() ? "none"
                            : String.join(", ", usable.subList(0, Math.min(LISTED_MODELS, usable.size())))
                                    + (usable.size() > LISTED_MODELS ? " and " + (usable.size() - LISTED_MODELS)
                                            + " more" : ""))
                    + "); give the VM a model every target can run, e.g. " + (host.hostModel == null ? "a baseline"
                            : host.hostModel) + " (virsh cpu-baseline)");
        }
        List<String> missing = cpu.requiredFeatures == null || host.disabledFeatures == null ? List.of()
                : cpu.requiredFeatures.stream().filter(host.disabledFeatures::contains).toList();
        if (!missing.isEmpty()) {
            out.add(needs.vm() + " requires CPU feature(s) " + String.join(", ", missing) + ", which " + target
                    + " cannot give (its host-model disables them)");
        }
        return out;
    }
}
