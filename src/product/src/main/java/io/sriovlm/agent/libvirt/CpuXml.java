package io.sriovlm.agent.libvirt;

import io.sriovlm.api.v1alpha1.HypervisorNicStatus.GuestCpu;
import io.sriovlm.api.v1alpha1.HypervisorNicStatus.HostCpu;
import org.w3c.dom.Element;

import java.util.ArrayList;
import java.util.List;

/**
 * The CPU facts PreflightCpu compares (docs/decisions/018-no-cpu-comparison-yet.md): a domain's {@code <cpu>} from
 * its live XML, and what a host's libvirt can give a guest from its domain capabilities
 * ({@code virConnectGetDomainCapabilities}: the CPU models it marks usable, and the host-model's disabled features).
 * Unusable XML gives nothing. Pure.
 */
public final class CpuXml {
    private CpuXml() {
    }

    /** The domain's CPU: mode, model and the features it requires; null when it has no {@code <cpu>}. */
    public static GuestCpu guest(String domainXml) {
        Element root;
        try {
            root = TeamingXml.parse(domainXml).getDocumentElement();
        } catch (IllegalArgumentException e) {
            return null;
        }
        Element cpu = TeamingXml.child(root, "cpu");
        if (cpu == null) {
            return null;
        }
        GuestCpu out = new GuestCpu();
        out.virtType = TeamingXml.emptyToNull(root.getAttribute("type"));
        out.mode = cpu.hasAttribute("mode") ? cpu.getAttribute("mode") : "custom";
        Element model = TeamingXml.child(cpu, "model");
        out.model = model == null ? null : TeamingXml.emptyToNull(model.getTextContent().trim());
        List<String> required = new ArrayList<>();
        for (Element feature : TeamingXml.children(cpu, "feature")) {
            String policy = feature.hasAttribute("policy") ? feature.getAttribute("policy") : "require";
            if (policy.equals("require") || policy.equals("force")) {
                required.add(feature.getAttribute("name"));
            }
        }
        out.requiredFeatures = required.isEmpty() ? null : required;
        return out;
    }

    /** What the host's libvirt offers guests of the virt type the XML is for; null when the XML is unusable. */
    public static HostCpu host(String domainCapabilitiesXml) {
        Element root;
        try {
            root = TeamingXml.parse(domainCapabilitiesXml).getDocumentElement();
        } catch (IllegalArgumentException e) {
            return null;
        }
        HostCpu out = new HostCpu();
        Element domain = TeamingXml.child(root, "domain");
        Element arch = TeamingXml.child(root, "arch");
        out.virtType = domain == null ? null : domain.getTextContent().trim();
        out.arch = arch == null ? null : arch.getTextContent().trim();
        List<String> usable = new ArrayList<>();
        List<String> disabled = new ArrayList<>();
        Element cpu = TeamingXml.child(root, "cpu");
        for (Element mode : cpu == null ? List.<Element>of() : TeamingXml.children(cpu, "mode")) {
            if (!"yes".equals(mode.getAttribute("supported"))) {
                continue;
            }
            if ("host-model".equals(mode.getAttribute("name"))) {
                Element model = TeamingXml.child(mode, "model");
                out.hostModel = model == null ? null : model.getTextContent().trim();
                for (Element feature : TeamingXml.children(mode, "feature")) {
                    if ("disable".equals(feature.getAttribute("policy"))) {
                        disabled.add(feature.getAttribute("name"));
                    }
                }
            } else if ("custom".equals(mode.getAttribute("name"))) {
                for (Element model : TeamingXml.children(mode, "model")) {
                    if ("yes".equals(model.getAttribute("usable"))) {
                        usable.add(model.getTextContent().trim());
                    }
                }
            }
        }
        out.usableModels = usable;
        out.disabledFeatures = disabled.isEmpty() ? null : disabled;
        return out;
    }
}
