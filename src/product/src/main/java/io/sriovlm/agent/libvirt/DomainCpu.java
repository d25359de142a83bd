package io.sriovlm.agent.libvirt;

import org.w3c.dom.Element;

/**
 * What libvirt needs to say whether a host can run a domain's virtual CPU ({@code virConnectCompareHypervisorCPU}):
 * the domain's virtualization type, architecture, machine type and its {@code <cpu>} element.
 *
 * @param notComparable why the CPU cannot be compared (then the other fields may be null): no {@code <cpu>} (QEMU's
 *                      default model), or {@code host-passthrough} (libvirt migrates it only between identical hosts)
 */
public record DomainCpu(String virtType, String arch, String machine, String cpuXml, String notComparable) {

    /** @throws IllegalArgumentException when the XML is not a domain */
    public static DomainCpu of(String domainXml) {
        Element root = TeamingXml.parse(domainXml).getDocumentElement();
        if (!"domain".equals(root.getTagName())) {
            throw new IllegalArgumentException("not a libvirt domain XML: <" + root.getTagName() + ">");
        }
        String virtType = root.getAttribute("type");
        Element os = TeamingXml.child(root, "os");
        Element type = os == null ? null : TeamingXml.child(os, "type");
        String arch = type == null ? null : TeamingXml.emptyToNull(type.getAttribute("arch"));
        String machine = type == null ? null : TeamingXml.emptyToNull(type.getAttribute("machine"));
        Element cpu = TeamingXml.child(root, "cpu");
        if (cpu == null) {
            return new DomainCpu(virtType, arch, machine, null, "the domain has no <cpu>: QEMU's default model");
        }
        if ("host-passthrough".equals(cpu.getAttribute("mode")) || "maximum".equals(cpu.getAttribute("mode"))) {
            return new DomainCpu(virtType, arch, machine, null, "the domain's CPU is " + cpu.getAttribute("mode")
                    + ": libvirt migrates it only between hosts with identical CPUs, which it cannot compare");
        }
        return new DomainCpu(TeamingXml.emptyToNull(virtType), arch, machine, TeamingXml.serialize(cpu), null);
    }
}
