package io.sriovlm.agent.libvirt;

import io.sriovlm.agent.libvirt.Hypervisor.DomainSnapshot;
import io.sriovlm.api.v1alpha1.VmInventoryStatus.DiskStatus;
import org.w3c.dom.Element;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * What the agent reads from each domain's XML (its teaming, the PCI devices passed through, its disks), parsed once
 * per text of that XML. A heartbeat reads every domain several times (the fast-path guard, the VFs in use, the
 * observation) and the XML rarely changes between heartbeats; parsing it each time took 15 % of the 300-node
 * fleet benchmark's CPU at rest. One per host: it keeps the last XML of each domain it read.
 */
public final class DomainReadings {
    private final PrimaryDevice primaryDevice;
    private final Map<String, Reading> byDomain = new ConcurrentHashMap<>();

    public DomainReadings(PrimaryDevice primaryDevice) {
        this.primaryDevice = primaryDevice == null ? PrimaryDevice.VF_HOSTDEV : primaryDevice;
    }

    public PrimaryDevice primaryDevice() {
        return primaryDevice;
    }

    /** What {@code domain}'s XML says; parsed again only when the text differs from the last one read. */
    public Reading of(DomainSnapshot domain) {
        Reading last = byDomain.get(domain.name());
        if (last != null && last.xml.equals(domain.xml())) {
            return last;
        }
        Reading read = Reading.parse(domain.xml(), primaryDevice);
        byDomain.put(domain.name(), read);
        return read;
    }

    /** Forgets the domains not in {@code names} (gone from this host). */
    public void retainOnly(Collection<String> names) {
        byDomain.keySet().retainAll(Set.copyOf(names));
    }

    /** One domain's XML, read. Immutable; {@link #disks()} gives fresh objects to put in a status. */
    public static final class Reading {
        private final String xml;
        private final TeamingReport teaming;
        private final Set<String> passedThrough;
        private final List<DiskStatus> disks;

        private Reading(String xml, TeamingReport teaming, Set<String> passedThrough, List<DiskStatus> disks) {
            this.xml = xml;
            this.teaming = teaming;
            this.passedThrough = passedThrough;
            this.disks = disks;
        }

        static Reading parse(String xml, PrimaryDevice primaryDevice) {
            Element root;
            try {
                root = TeamingXml.parse(xml).getDocumentElement();
            } catch (IllegalArgumentException e) {
                return new Reading(String.valueOf(xml), TeamingXml.unusable(e), Set.of(), List.of());
            }
            return new Reading(xml, TeamingXml.inspect(root, primaryDevice),
                    Collections.unmodifiableSet(TeamingXml.passedThroughPciAddresses(root)),
                    List.copyOf(DomainDisks.of(root)));
        }

        /** As {@link TeamingXml#inspect(String, PrimaryDevice)}. */
        public TeamingReport teaming() {
            return teaming;
        }

        /** As {@link TeamingXml#passedThroughPciAddresses(String)}. */
        public Set<String> passedThrough() {
            return passedThrough;
        }

        /** As {@link DomainDisks#of(String)}: new objects at each call. */
        public List<DiskStatus> disks() {
            return disks.stream().map(d -> {
                DiskStatus copy = new DiskStatus();
                copy.target = d.target;
                copy.type = d.type;
                copy.source = d.source;
                return copy;
            }).collect(Collectors.toCollection(ArrayList::new));
        }
    }
}
