package io.sriovlm.sandbox.host;

import io.sriovlm.common.SafeXml;

import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;
import org.xml.sax.InputSource;
import org.xml.sax.SAXException;

import java.io.IOException;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The simulator's own minimal domain-XML handling: a hardened DOM parser (no DTDs, no external entities, no
 * XInclude, from {@link SafeXml}) and the few lookups libvirt's device matching needs. The lookups are not shared
 * with the agent's XML code on purpose: the simulation must not inherit the bugs of the code under test.
 */
final class SimXml {

    private SimXml() {
    }

    static Document parse(String xml) throws IllegalArgumentException {
        if (xml == null || xml.isBlank()) {
            throw new IllegalArgumentException("empty XML document");
        }
        try {
            return SafeXml.builder().parse(new InputSource(new StringReader(xml)));
        } catch (SAXException | IOException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /** Parses one element (a device) and returns it as the root of its own document. */
    static Element parseElement(String xml) {
        return parse(xml).getDocumentElement();
    }

    static String serialize(Node node) {
        return SafeXml.serialize(node);
    }

    static List<Element> children(Element parent, String tag) {
        List<Element> out = new ArrayList<>();
        if (parent == null) {
            return out;
        }
        NodeList nodes = parent.getChildNodes();
        for (int i = 0; i < nodes.getLength(); i++) {
            Node n = nodes.item(i);
            if (n instanceof Element e && (tag == null || tag.equals(e.getTagName()))) {
                out.add(e);
            }
        }
        return out;
    }

    static Optional<Element> child(Element parent, String tag) {
        List<Element> c = children(parent, tag);
        return c.isEmpty() ? Optional.empty() : Optional.of(c.get(0));
    }

    /** The text of the first child element {@code tag}, trimmed. */
    static Optional<String> childText(Element parent, String tag) {
        return child(parent, tag).map(e -> e.getTextContent().trim());
    }

    /** Attribute {@code attr} of child {@code tag}, empty when either is absent. */
    static Optional<String> childAttr(Element parent, String tag, String attr) {
        return child(parent, tag).map(e -> e.getAttribute(attr)).filter(s -> !s.isEmpty());
    }

    static Optional<String> alias(Element device) {
        return childAttr(device, "alias", "name");
    }

    static Optional<String> mac(Element device) {
        return childAttr(device, "mac", "address").map(String::toLowerCase);
    }

    /**
     * The host PCI address a passthrough device uses ({@code <source><address domain bus slot function/>}) as
     * {@code 0000:06:00.2}, for {@code <hostdev type='pci'>} and {@code <interface type='hostdev'>}.
     */
    static Optional<String> hostPciAddress(Element device) {
        if (!isPassthrough(device)) {
            return Optional.empty();
        }
        return child(device, "source").flatMap(s -> child(s, "address")).map(a -> String.format("%04x:%02x:%02x.%x",
                num(a.getAttribute("domain")), num(a.getAttribute("bus")), num(a.getAttribute("slot")),
                num(a.getAttribute("function"))));
    }

    /** A PCI passthrough device: what libvirt refuses to migrate. */
    static boolean isPassthrough(Element device) {
        return switch (device.getTagName()) {
            case "hostdev" -> !"usb".equals(device.getAttribute("type"));
            case "interface" -> "hostdev".equals(device.getAttribute("type"));
            default -> false;
        };
    }

    static boolean hasTransientTeaming(Element device) {
        return child(device, "teaming").map(t -> "transient".equals(t.getAttribute("type"))).orElse(false);
    }

    static void setAlias(Element device, String alias) {
        Element a = child(device, "alias").orElseGet(() -> {
            Element created = device.getOwnerDocument().createElement("alias");
            device.appendChild(created);
            return created;
        });
        a.setAttribute("name", alias);
    }

    /** Removes an element and the whitespace before it, so the document stays tidy. */
    static void remove(Element e) {
        Node parent = e.getParentNode();
        if (parent == null) {
            return;
        }
        Node prev = e.getPreviousSibling();
        if (prev != null && prev.getNodeType() == Node.TEXT_NODE && prev.getTextContent().isBlank()) {
            parent.removeChild(prev);
        }
        parent.removeChild(e);
    }

    private static int num(String s) {
        if (s == null || s.isEmpty()) {
            return 0;
        }
        String t = s.trim().toLowerCase();
        return t.startsWith("0x") ? Integer.parseInt(t.substring(2), 16) : Integer.parseInt(t);
    }

    /** Memory from {@code <memory unit='KiB'>} in bytes (libvirt's default unit is KiB), empty when absent. */
    static Optional<Long> memoryBytes(Element domain) {
        return child(domain, "memory").map(m -> {
            long value = Long.parseLong(m.getTextContent().trim());
            String unit = m.getAttribute("unit");
            long factor = switch (unit.isEmpty() ? "KiB" : unit) {
                case "b", "bytes" -> 1L;
                case "KB" -> 1000L;
                case "k", "KiB" -> 1024L;
                case "MB" -> 1000_000L;
                case "M", "MiB" -> 1024L * 1024;
                case "GB" -> 1000_000_000L;
                case "G", "GiB" -> 1024L * 1024 * 1024;
                case "T", "TiB" -> 1024L * 1024 * 1024 * 1024;
                default -> throw new IllegalArgumentException("unknown memory unit '" + unit + "'");
            };
            return value * factor;
        });
    }
}
