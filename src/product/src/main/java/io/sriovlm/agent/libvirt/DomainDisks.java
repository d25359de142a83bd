package io.sriovlm.agent.libvirt;

import io.sriovlm.api.v1alpha1.VmInventoryStatus.DiskStatus;
import org.w3c.dom.Element;

import java.util.ArrayList;
import java.util.List;

/** The disks of a domain that have a source (a CD-ROM drive without a medium has none), from its XML. Pure. */
public final class DomainDisks {
    private DomainDisks() {
    }

    /** Unusable XML gives none. */
    public static List<DiskStatus> of(String domainXml) {
        try {
            return of(TeamingXml.parse(domainXml).getDocumentElement());
        } catch (IllegalArgumentException e) {
            return new ArrayList<>();
        }
    }

    /** {@link #of(String)} of parsed XML. */
    static List<DiskStatus> of(Element root) {
        List<DiskStatus> out = new ArrayList<>();
        for (Element devices : TeamingXml.children(root, "devices")) {
            for (Element disk : TeamingXml.children(devices, "disk")) {
                Element source = TeamingXml.child(disk, "source");
                Element target = TeamingXml.child(disk, "target");
                String type = disk.getAttribute("type");
                String where = source == null ? null : switch (type) {
                    case "file" -> source.getAttribute("file");
                    case "block" -> source.getAttribute("dev");
                    case "network" -> source.getAttribute("name");
                    case "volume" -> source.getAttribute("pool") + "/" + source.getAttribute("volume");
                    default -> null;
                };
                if (where == null || where.isEmpty()) {
                    continue;
                }
                DiskStatus d = new DiskStatus();
                d.target = target == null ? null : target.getAttribute("dev");
                d.type = type;
                d.source = where;
                out.add(d);
            }
        }
        return out;
    }
}
