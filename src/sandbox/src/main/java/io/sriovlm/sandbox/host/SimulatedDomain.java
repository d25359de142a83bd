package io.sriovlm.sandbox.host;

import io.sriovlm.agent.libvirt.Hypervisor.DomainSnapshot;
import io.sriovlm.agent.libvirt.Hypervisor.DomainState;
import io.sriovlm.agent.libvirt.HypervisorException;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.events.EventTarget;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A domain of a {@link SimulatedHypervisor}: its state, persistent and live XML, and the devices of its live XML as
 * libvirt finds, names and adds them (aliases, matching a detach request). Every field is guarded by its host's lock.
 */
final class SimulatedDomain {
    final String name;
    final String uuid;
    DomainState state = DomainState.SHUTOFF;
    boolean persistent;
    Document config;
    Document live;
    /** The outgoing migration, while one runs. */
    MigrationJob job;
    /** Aliases of the devices the guest was asked to release and has not yet. */
    final Set<String> unplugging = new LinkedHashSet<>();
    final Map<String, Instant> removedAt = new HashMap<>();
    /** Transient devices QEMU plugs once the domain, just migrated here, runs. */
    final List<Element> incoming = new ArrayList<>();
    /** The document last serialized by {@link #snapshot}, and its text until it changes. */
    private Document shown;
    private String shownXml;
    /** The documents a listener watches; weakly, as a migration or a redefinition replaces them. */
    private final Set<Document> watched = java.util.Collections.newSetFromMap(new java.util.WeakHashMap<>());

    SimulatedDomain(String name, String uuid) {
        this.name = name;
        this.uuid = uuid;
    }

    boolean isRunning() {
        return live != null && (state == DomainState.RUNNING || state == DomainState.PAUSED);
    }

    DomainSnapshot snapshot() {
        Document doc = live != null ? live : config;
        return new DomainSnapshot(name, uuid, state, persistent, doc == null ? "" : xmlOf(doc));
    }

    /**
     * {@code doc} serialized, kept until it changes: every agent lists every domain at each heartbeat, and
     * serializing them all was 7 % of a 300-node fleet's CPU at rest. The DOM reports its own changes (mutation
     * events), so no edit of a domain's XML can be missed.
     */
    private String xmlOf(Document doc) {
        if (doc != shown) {
            if (watched.add(doc)) {
                ((EventTarget) doc).addEventListener("DOMSubtreeModified", changed -> {
                    if (shown == doc) {
                        shownXml = null;
                    }
                }, true);
            }
            shown = doc;
            shownXml = null;
        }
        if (shownXml == null) {
            shownXml = SimXml.serialize(doc);
        }
        return shownXml;
    }

    /** The live device a request names: by alias, else an interface by MAC and type, else by host PCI address. */
    Optional<Element> match(Element wanted) {
        Optional<String> alias = SimXml.alias(wanted);
        Optional<String> mac = SimXml.mac(wanted);
        Optional<String> pci = SimXml.hostPciAddress(wanted);
        for (Element dev : devices(live)) {
            if (!dev.getTagName().equals(wanted.getTagName())) {
                continue;
            }
            if (alias.isPresent()) {
                if (alias.equals(SimXml.alias(dev))) {
                    return Optional.of(dev);
                }
                continue;
            }
            if ("interface".equals(wanted.getTagName()) && mac.isPresent()) {
                if (mac.equals(SimXml.mac(dev)) && dev.getAttribute("type").equals(wanted.getAttribute("type"))
                        && (pci.isEmpty() || pci.equals(SimXml.hostPciAddress(dev)))) {
                    return Optional.of(dev);
                }
                continue;
            }
            if (pci.isPresent() && pci.equals(SimXml.hostPciAddress(dev))) {
                return Optional.of(dev);
            }
        }
        return Optional.empty();
    }

    HypervisorException notFound(Element wanted) {
        String what = SimXml.alias(wanted).map(a -> "alias '" + a + "'")
                .or(() -> SimXml.mac(wanted).map(m -> "MAC address " + m + " and type '" + wanted.getAttribute("type")
                        + "'"))
                .or(() -> SimXml.hostPciAddress(wanted).map(p -> "PCI address " + p))
                .orElse("this definition");
        return new HypervisorException("device not found: no " + wanted.getTagName() + " with " + what
                + " in domain '" + name + "'");
    }

    /**
     * Adds a device to the live XML, keeping a {@code ua-} alias it brings or giving it libvirt's next free one.
     *
     * @return its alias
     */
    String addDevice(Element wanted) throws HypervisorException {
        Set<String> aliases = aliases(live);
        Element imported = (Element) live.importNode(wanted, true);
        Optional<String> given = SimXml.alias(imported).filter(a -> a.startsWith("ua-"));
        String alias;
        if (given.isPresent()) {
            alias = given.get();
            if (aliases.contains(alias)) {
                throw new HypervisorException("operation failed: non unique alias detected: " + alias);
            }
        } else {
            alias = freshAlias(imported, aliases);
        }
        SimXml.setAlias(imported, alias);
        devicesElement(live).appendChild(imported);
        removedAt.remove(alias);
        return alias;
    }

    /** Gives every device without an alias libvirt's ({@code netN}, {@code hostdevN}), as when a domain starts. */
    static void assignAliases(Document live) {
        Set<String> taken = aliases(live);
        for (Element dev : devices(live)) {
            if (SimXml.alias(dev).isEmpty()) {
                String alias = freshAlias(dev, taken);
                SimXml.setAlias(dev, alias);
                taken.add(alias);
            }
        }
    }

    static List<Element> devices(Document doc) {
        return SimXml.children(SimXml.child(doc.getDocumentElement(), "devices").orElse(null), null);
    }

    static Optional<Element> findByAlias(Document doc, String alias) {
        for (Element dev : devices(doc)) {
            if (SimXml.alias(dev).filter(alias::equals).isPresent()) {
                return Optional.of(dev);
            }
        }
        return Optional.empty();
    }

    private static String freshAlias(Element dev, Set<String> taken) {
        String prefix = switch (dev.getTagName()) {
            case "hostdev" -> "hostdev";
            case "interface" -> "hostdev".equals(dev.getAttribute("type")) ? "hostdev" : "net";
            default -> dev.getTagName();
        };
        for (int i = 0; ; i++) {
            if (!taken.contains(prefix + i)) {
                return prefix + i;
            }
        }
    }

    private static Set<String> aliases(Document live) {
        Set<String> out = new HashSet<>();
        for (Element dev : devices(live)) {
            SimXml.alias(dev).ifPresent(out::add);
        }
        return out;
    }

    private static Element devicesElement(Document doc) {
        return SimXml.child(doc.getDocumentElement(), "devices").orElseGet(() -> {
            Element d = doc.createElement("devices");
            doc.getDocumentElement().appendChild(d);
            return d;
        });
    }
}
