package io.sriovlm.agent.libvirt;

import io.sriovlm.common.SafeXml;

import io.sriovlm.api.v1alpha1.ApiPatterns;

import java.io.IOException;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.xml.sax.InputSource;
import org.xml.sax.SAXException;
import org.xml.sax.SAXParseException;

/**
 * Reads and writes the libvirt XML of a teamed NIC pair (libvirt's {@code <teaming>} element, libvirt ≥ 6.1):
 * <ul>
 * <li>the <b>standby</b> NIC: a virtio {@code <interface>} (macvtap {@code type='direct' mode='passthrough'} on the SF
 * netdev, or {@code type='bridge'}) with {@code <teaming type='persistent'/>} and a user alias {@code ua-*};</li>
 * <li>the <b>primary</b> NIC: the VF as {@code <interface type='hostdev'>} with the same MAC and
 * {@code <teaming type='transient' persistent='ua-*'/>} naming the standby's alias. It is absent while the VM is on its
 * standby path.</li>
 * </ul>
 * Pure: no libvirt calls. The parser is hardened (no DOCTYPE, no external entities or DTDs, secure processing), and
 * documents are built with the DOM API so that values are escaped by the serializer, never concatenated.
 */
public final class TeamingXml {

    /** libvirt keeps only user aliases that start with {@code ua-}; we also restrict the rest to safe characters. */
    public static final String USER_ALIAS = "^ua-[A-Za-z0-9_-]{1,60}$";

    private TeamingXml() {
    }

    // ------------------------------------------------------------------------------------------------------------
    // inspect

    /** The alias to give back to libvirt on a re-attach: a user alias ({@code ua-*}) only; others libvirt names. */
    public static String userAlias(String alias) {
        return alias != null && alias.startsWith("ua-") ? alias : null;
    }

    /** Finds and validates the teaming pair of a domain (the primary is the VF hostdev NIC). Never throws. */
    public static TeamingReport inspect(String domainXml) {
        return inspect(domainXml, PrimaryDevice.VF_HOSTDEV);
    }

    /**
     * Finds and validates the teaming pair of a domain, recognizing as the primary also a NIC that {@code primaries}
     * says stands in for a VF (the real-hypervisor tier's emulated NIC). Never throws: unusable XML gives an invalid
     * report.
     */
    public static TeamingReport inspect(String domainXml, PrimaryDevice primaries) {
        Document doc;
        try {
            doc = parse(domainXml);
        } catch (IllegalArgumentException e) {
            return unusable(e);
        }
        return inspect(doc.getDocumentElement(), primaries);
    }

    /** The report on XML that could not be parsed. */
    static TeamingReport unusable(IllegalArgumentException e) {
        return new TeamingReport(false, List.of(e.getMessage()), null, null, null, true, null, null, null, null,
                List.of(), null);
    }

    /** {@link #inspect(String, PrimaryDevice)} of parsed XML, which it does not change. */
    static TeamingReport inspect(Element root, PrimaryDevice primaries) {
        if (!"domain".equals(root.getTagName())) {
            return new TeamingReport(false,
                    List.of("not a libvirt domain XML: the root element is <" + root.getTagName() + ">, expected <domain>"),
                    null, null, null, true, null, null, null, null, List.of(), null);
        }
        List<String> problems = new ArrayList<>();
        List<String> blocking = new ArrayList<>();

        List<Element> persistent = new ArrayList<>();
        List<Element> hostdevInterfaces = new ArrayList<>();
        List<Element> hostdevs = new ArrayList<>();
        List<Element> standIns = new ArrayList<>();
        List<String> standInVfs = new ArrayList<>();
        for (Element devices : children(root, "devices")) {
            for (Element dev : children(devices, null)) {
                if ("interface".equals(dev.getTagName())) {
                    Element teaming = child(dev, "teaming");
                    if ("hostdev".equals(dev.getAttribute("type"))) {
                        hostdevInterfaces.add(dev);
                    } else if (teaming != null && "persistent".equals(teaming.getAttribute("type"))) {
                        persistent.add(dev);
                    } else if (teaming == null && primaries != null) {
                        Element model = child(dev, "model");
                        primaries.standsInFor(dev.getAttribute("type"), model == null ? null : model.getAttribute("type"),
                                aliasOf(dev)).ifPresent(vf -> {
                                    standIns.add(dev);
                                    standInVfs.add(vf);
                                });
                    } else if (teaming != null) {
                        problems.add(describeInterface(dev) + " has <teaming type='" + teaming.getAttribute("type")
                                + "'>; only a virtio NIC may carry <teaming type='persistent'/> and only an"
                                + " <interface type='hostdev'> (the VF) may carry <teaming type='transient'/>");
                    }
                } else if ("hostdev".equals(dev.getTagName())) {
                    hostdevs.add(dev);
                }
            }
        }

        // --- the persistent (standby) side
        String mac = null;
        String standbyAlias = null;
        String standbyDevice = null;
        boolean standbyLinkUp = true;
        String standbyXml = null;
        if (persistent.isEmpty()) {
            problems.add("no teaming: no <interface> has <teaming type='persistent'/>; add it to the virtio standby NIC"
                    + " (<interface type='direct'> with <source dev='<SF netdev>' mode='passthrough'/>, <model"
                    + " type='virtio'/>, the VF's MAC and <alias name='ua-...'/>)");
        } else {
            if (persistent.size() > 1) {
                List<String> names = new ArrayList<>();
                persistent.forEach(e -> names.add(describeInterface(e)));
                problems.add("more than one NIC has <teaming type='persistent'/>: " + String.join(", ", names)
                        + "; keep it on exactly one virtio NIC (the standby of the VF)");
            }
            Element standby = persistent.get(0);
            String what = describeInterface(standby);
            mac = macOf(standby);
            standbyAlias = aliasOf(standby);
            standbyXml = serialize(standby);
            Element link = child(standby, "link");
            standbyLinkUp = link == null || !"down".equals(link.getAttribute("state"));
            if (mac == null) {
                problems.add("standby " + what + " has no <mac address=.../>; give it the VF's MAC");
            } else if (!ApiPatterns.matches(ApiPatterns.MAC_ADDRESS, mac.toLowerCase(Locale.ROOT))) {
                problems.add("standby " + what + " has an invalid MAC '" + mac + "'; use the form 52:54:00:53:53:53");
            }
            if (standbyAlias == null) {
                problems.add("standby " + what + " has no alias; add <alias name='ua-net0'/> (libvirt keeps only user"
                        + " aliases starting with 'ua-', and the VF's <teaming type='transient' persistent=.../> names it)");
            } else if (!ApiPatterns.matches(USER_ALIAS, standbyAlias)) {
                problems.add("standby " + what + " has alias '" + standbyAlias + "' which is not a user alias"
                        + " matching " + USER_ALIAS + "; rename it, e.g. <alias name='ua-" + safeSuffix(standbyAlias)
                        + "'/> (libvirt requires the 'ua-' prefix)");
            }
            Element model = child(standby, "model");
            String modelType = model == null ? null : model.getAttribute("type");
            if (!"virtio".equals(modelType)) {
                problems.add("standby " + what + " has model "
                        + (modelType == null || modelType.isEmpty() ? "(none)" : "'" + modelType + "'")
                        + "; the guest's net_failover needs <model type='virtio'/>");
            }
            String type = standby.getAttribute("type");
            Element source = child(standby, "source");
            if ("direct".equals(type)) {
                standbyDevice = source == null ? null : emptyToNull(source.getAttribute("dev"));
                String mode = source == null ? null : emptyToNull(source.getAttribute("mode"));
                if (standbyDevice == null) {
                    problems.add("standby " + what + " has no <source dev=.../>; point it at the SF netdev with"
                            + " <source dev='<SF netdev>' mode='passthrough'/>");
                }
                if (!"passthrough".equals(mode)) {
                    problems.add("standby " + what + " uses macvtap mode " + (mode == null ? "(default vepa)" : "'" + mode + "'")
                            + "; set <source ... mode='passthrough'/> on the SF netdev");
                }
            } else if ("bridge".equals(type)) {
                standbyDevice = source == null ? null : emptyToNull(source.getAttribute("bridge"));
                if (standbyDevice == null) {
                    problems.add("standby " + what + " is type 'bridge' without <source bridge=.../>");
                }
            } else {
                problems.add("standby " + what + " is type '" + type + "'; use type='direct' (macvtap passthrough on"
                        + " the SF netdev) or type='bridge'");
            }
            if (standbyDevice != null && !ApiPatterns.matches(ApiPatterns.INTERFACE_NAME, standbyDevice)) {
                problems.add("standby " + what + " sits on '" + standbyDevice + "', which is not a valid Linux interface"
                        + " name (" + ApiPatterns.INTERFACE_NAME + ")");
            }
        }

        // --- the transient (primary) side: hostdev interfaces
        String primaryAlias = null;
        String primaryPci = null;
        String primaryXml = null;
        Integer primaryVlan = null;
        for (Element hi : hostdevInterfaces) {
            String what = describeInterface(hi);
            Element teaming = child(hi, "teaming");
            boolean transientTeaming = teaming != null && "transient".equals(teaming.getAttribute("type"));
            String names = transientTeaming ? emptyToNull(teaming.getAttribute("persistent")) : null;
            if (!transientTeaming) {
                blocking.add(hostdevId(hi));
                problems.add("VF " + what + " is a PCI passthrough NIC without <teaming type='transient'"
                        + " persistent='ua-...'/>; it blocks live migration: detach it, or team it with the standby NIC"
                        + (standbyAlias != null ? " (persistent='" + standbyAlias + "')" : ""));
                continue;
            }
            if (names == null || standbyAlias == null || !names.equals(standbyAlias)) {
                blocking.add(hostdevId(hi));
                if (names == null) {
                    problems.add("VF " + what + " has <teaming type='transient'/> without persistent=...; set"
                            + " persistent='" + (standbyAlias != null ? standbyAlias : "ua-<standby alias>") + "'");
                } else {
                    problems.add("VF " + what + " has <teaming type='transient' persistent='" + names + "'/> but no"
                            + " persistent teaming NIC has alias '" + names + "'"
                            + (standbyAlias != null ? "; set persistent='" + standbyAlias + "'"
                                    : "; add <alias name='" + names + "'/> to the virtio standby NIC"));
                }
                continue;
            }
            if (primaryXml != null) {
                blocking.add(hostdevId(hi));
                problems.add("VF " + what + " is a second transient NIC teamed with '" + names + "'; only one VF may"
                        + " be teamed with a standby NIC: detach it");
                continue;
            }
            primaryXml = serialize(hi);
            primaryAlias = aliasOf(hi);
            primaryVlan = vlanOf(hi);
            String vfMac = macOf(hi);
            if (vfMac == null) {
                problems.add("VF " + what + " has no <mac address=.../>; give it the standby NIC's MAC " + mac);
            } else if (mac != null && !vfMac.equalsIgnoreCase(mac)) {
                problems.add("MAC mismatch: VF " + what + " has MAC " + vfMac + " but its standby NIC '" + standbyAlias
                        + "' has MAC " + mac + "; net_failover teams only NICs with one MAC: give both " + mac);
            }
            try {
                primaryPci = pciOfSourceAddress(hi);
            } catch (IllegalArgumentException e) {
                problems.add("VF " + what + ": " + e.getMessage());
            }
        }

        // --- a NIC standing in for the VF (no VFIO): recognized by the injected PrimaryDevice; no teaming element
        for (int i = 0; i < standIns.size(); i++) {
            Element si = standIns.get(i);
            String what = describeInterface(si);
            if (primaryXml != null) {
                problems.add("VF stand-in " + what + " is a second primary NIC; only one may be teamed with the"
                        + " standby NIC: detach it");
                continue;
            }
            primaryXml = serialize(si);
            primaryAlias = aliasOf(si);
            primaryPci = standInVfs.get(i);
            String siMac = macOf(si);
            if (siMac == null || mac == null || !siMac.equalsIgnoreCase(mac)) {
                problems.add("MAC mismatch: VF stand-in " + what + " has MAC " + siMac + " but the standby NIC has MAC "
                        + mac + "; the guest's net_failover takes it as primary only when both have one MAC");
            }
        }

        // --- any other passthrough device blocks migration
        for (Element hd : hostdevs) {
            String id = hostdevId(hd);
            blocking.add(id);
            problems.add("passthrough device " + id + " is not part of the teaming pair and blocks live migration;"
                    + " detach it from the domain first");
        }

        return new TeamingReport(problems.isEmpty(), problems, mac == null ? null : mac.toLowerCase(Locale.ROOT),
                standbyAlias, standbyDevice, standbyLinkUp, standbyXml, primaryAlias, primaryPci, primaryXml, blocking,
                primaryVlan);
    }

    // ------------------------------------------------------------------------------------------------------------
    // builders

    /**
     * The virtio standby NIC: macvtap passthrough on the SF netdev, persistent teaming, user alias and link state.
     *
     * @throws IllegalArgumentException when an argument does not match its {@link ApiPatterns} pattern
     */
    public static String standbyInterface(String mac, String alias, String sfNetdev, boolean linkUp) {
        requireMatch("MAC", mac, ApiPatterns.MAC_ADDRESS);
        requireMatch("standby alias", alias, USER_ALIAS);
        requireMatch("SF netdev", sfNetdev, ApiPatterns.INTERFACE_NAME);
        Document doc = newDocument();
        Element itf = doc.createElement("interface");
        doc.appendChild(itf);
        itf.setAttribute("type", "direct");
        append(itf, "mac").setAttribute("address", mac);
        Element source = append(itf, "source");
        source.setAttribute("dev", sfNetdev);
        source.setAttribute("mode", "passthrough");
        append(itf, "model").setAttribute("type", "virtio");
        append(itf, "teaming").setAttribute("type", "persistent");
        append(itf, "link").setAttribute("state", linkUp ? "up" : "down");
        append(itf, "alias").setAttribute("name", alias);
        return serialize(itf);
    }

    /**
     * The VF as a managed hostdev NIC teamed (transient) with the standby NIC.
     *
     * @param alias the VF's own user alias, or null to let libvirt name it
     * @throws IllegalArgumentException when an argument does not match its {@link ApiPatterns} pattern
     */
    public static String primaryInterface(String mac, String vfPciAddress, String persistentAlias, String alias) {
        return primaryInterface(mac, vfPciAddress, persistentAlias, alias, null);
    }

    /**
     * The VF as a managed hostdev NIC teamed (transient) with the standby NIC, with the VLAN libvirt is to set on the VF.
     *
     * @param vlan the VLAN tag (1-4094), or null for none
     */
    public static String primaryInterface(String mac, String vfPciAddress, String persistentAlias, String alias,
            Integer vlan) {
        if (vlan != null && (vlan < 1 || vlan > 4094)) {
            throw new IllegalArgumentException("VLAN " + vlan + " is not a VLAN tag (1-4094)");
        }
        requireMatch("MAC", mac, ApiPatterns.MAC_ADDRESS);
        requireMatch("VF PCI address", vfPciAddress, ApiPatterns.PCI_ADDRESS);
        requireMatch("persistent (standby) alias", persistentAlias, USER_ALIAS);
        if (alias != null) {
            requireMatch("VF alias", alias, USER_ALIAS);
            if (alias.equals(persistentAlias)) {
                throw new IllegalArgumentException("VF alias '" + alias + "' must differ from the standby alias");
            }
        }
        Document doc = newDocument();
        Element itf = doc.createElement("interface");
        doc.appendChild(itf);
        itf.setAttribute("type", "hostdev");
        itf.setAttribute("managed", "yes");
        append(itf, "mac").setAttribute("address", mac);
        setPciAddress(append(append(itf, "source"), "address"), vfPciAddress);
        if (vlan != null) {
            append(append(itf, "vlan"), "tag").setAttribute("id", vlan.toString());
        }
        Element teaming = append(itf, "teaming");
        teaming.setAttribute("type", "transient");
        teaming.setAttribute("persistent", persistentAlias);
        if (alias != null) {
            append(itf, "alias").setAttribute("name", alias);
        }
        return serialize(itf);
    }

    /**
     * A plain emulated NIC on a host bridge: {@code <interface type='bridge'>} with the given MAC, model and user alias.
     * Used for the real-hypervisor tier's VF stand-in ({@link EmulatedVfStandIn}).
     */
    public static String bridgeNic(String mac, String bridge, String model, String alias) {
        requireMatch("MAC", mac, ApiPatterns.MAC_ADDRESS);
        requireMatch("bridge", bridge, ApiPatterns.INTERFACE_NAME);
        requireMatch("model", model, "^[a-z0-9_-]{1,32}$");
        requireMatch("alias", alias, USER_ALIAS);
        Document doc = newDocument();
        Element itf = doc.createElement("interface");
        doc.appendChild(itf);
        itf.setAttribute("type", "bridge");
        append(itf, "mac").setAttribute("address", mac);
        append(itf, "source").setAttribute("bridge", bridge);
        append(itf, "model").setAttribute("type", model);
        append(itf, "alias").setAttribute("name", alias);
        return serialize(itf);
    }

    /** The given {@code <interface>} element with {@code <link state='up|down'/>} set (added when missing). */
    public static String withLinkState(String interfaceXml, boolean up) {
        Document doc = parse(interfaceXml);
        Element itf = doc.getDocumentElement();
        if (!"interface".equals(itf.getTagName())) {
            throw new IllegalArgumentException("expected an <interface> element, got <" + itf.getTagName() + ">");
        }
        Element link = child(itf, "link");
        if (link == null) {
            link = doc.createElement("link");
            Element before = child(itf, "alias");
            itf.insertBefore(link, before);
        }
        link.setAttribute("state", up ? "up" : "down");
        return serialize(itf);
    }

    /**
     * The whole domain XML with the transient (VF) hostdev interface's source PCI address replaced: the destination
     * XML of an automatic handoff, naming the VF reserved on the target.
     *
     * @throws IllegalArgumentException when the XML has no transient teaming interface or the address is invalid
     */
    public static String withPrimaryPciAddress(String domainXml, String vfPciAddress) {
        requireMatch("VF PCI address", vfPciAddress, ApiPatterns.PCI_ADDRESS);
        TeamingReport report = inspect(domainXml);
        if (report.primaryXml() == null) {
            throw new IllegalArgumentException("domain XML has no VF teamed with the standby NIC"
                    + (report.standbyAlias() != null ? " '" + report.standbyAlias() + "'" : "")
                    + " (<interface type='hostdev'> with <teaming type='transient' persistent=.../>): "
                    + String.join("; ", report.problems()));
        }
        Document doc = parse(domainXml);
        for (Element devices : children(doc.getDocumentElement(), "devices")) {
            for (Element itf : children(devices, "interface")) {
                Element teaming = child(itf, "teaming");
                if ("hostdev".equals(itf.getAttribute("type")) && teaming != null
                        && "transient".equals(teaming.getAttribute("type"))
                        && report.standbyAlias().equals(teaming.getAttribute("persistent"))) {
                    Element source = child(itf, "source");
                    if (source == null) {
                        source = doc.createElement("source");
                        itf.insertBefore(source, itf.getFirstChild());
                    }
                    Element address = child(source, "address");
                    if (address == null) {
                        address = append(source, "address");
                    }
                    setPciAddress(address, vfPciAddress);
                    return serialize(doc.getDocumentElement());
                }
            }
        }
        throw new IllegalStateException("transient interface vanished between two parses");
    }

    /**
     * The kernel form ({@code 0000:06:00.3}) of a PCI address given as libvirt's {@code <address type='pci' .../>}
     * element, or as an element (interface, hostdev) whose {@code <source><address/></source>} is one.
     */
    public static String pciAddressOf(String hostdevSourceAddressElementOrInterfaceXml) {
        Element root = parse(hostdevSourceAddressElementOrInterfaceXml).getDocumentElement();
        if ("address".equals(root.getTagName())) {
            return pciOf(root);
        }
        return pciOfSourceAddress(root);
    }

    /**
     * The host PCI addresses (kernel form) of every PCI device passed through to the domain, teamed or not: each
     * {@code <interface type='hostdev'>} and {@code <hostdev type='pci'>}. Unusable XML gives none.
     */
    public static java.util.Set<String> passedThroughPciAddresses(String domainXml) {
        try {
            return passedThroughPciAddresses(parse(domainXml).getDocumentElement());
        } catch (IllegalArgumentException e) {
            return new java.util.TreeSet<>();
        }
    }

    /** {@link #passedThroughPciAddresses(String)} of parsed XML. */
    static java.util.Set<String> passedThroughPciAddresses(Element root) {
        java.util.Set<String> out = new java.util.TreeSet<>();
        for (Element dev : passthroughDevices(root)) {
            try {
                out.add(pciOfSourceAddress(dev));
            } catch (IllegalArgumentException e) {
                // no usable source address: nothing this host's VFs could be
            }
        }
        return out;
    }

    /**
     * The domain XML with the passthrough device of host PCI address {@code from} moved to {@code to}: the
     * destination XML of a VF-state migration, whose VF on the target has another address. Everything else is kept.
     *
     * @throws IllegalArgumentException when no device passes {@code from} through
     */
    public static String withPassthroughPciAddress(String domainXml, String from, String to) {
        requireMatch("VF PCI address", to, ApiPatterns.PCI_ADDRESS);
        Document doc = parse(domainXml);
        for (Element dev : passthroughDevices(doc.getDocumentElement())) {
            String pci;
            try {
                pci = pciOfSourceAddress(dev);
            } catch (IllegalArgumentException e) {
                continue;
            }
            if (pci.equals(from)) {
                setPciAddress(child(child(dev, "source"), "address"), to);
                return serialize(doc.getDocumentElement());
            }
        }
        throw new IllegalArgumentException("domain XML passes no device with host PCI address " + from + " through");
    }

    /** Each {@code <interface type='hostdev'>} and {@code <hostdev type='pci'>} of the domain. */
    private static List<Element> passthroughDevices(Element root) {
        List<Element> out = new ArrayList<>();
        for (Element devices : children(root, "devices")) {
            for (Element dev : children(devices, null)) {
                boolean hostdevNic = "interface".equals(dev.getTagName()) && "hostdev".equals(dev.getAttribute("type"));
                boolean pciHostdev = "hostdev".equals(dev.getTagName()) && "pci".equals(dev.getAttribute("type"));
                if (hostdevNic || pciHostdev) {
                    out.add(dev);
                }
            }
        }
        return out;
    }

    // ------------------------------------------------------------------------------------------------------------
    // package helpers (used by LibvirtHypervisor)

    /** Whether any device in the domain XML carries {@code <alias name='alias'/>}. */
    static boolean hasDeviceAlias(String domainXml, String alias) {
        Element root = parse(domainXml).getDocumentElement();
        for (Element devices : children(root, "devices")) {
            for (Element dev : children(devices, null)) {
                if (alias.equals(aliasOf(dev))) {
                    return true;
                }
            }
        }
        return false;
    }

    /** The alias of a device element, or null when it has none or is not XML. */
    static String deviceAlias(String deviceXml) {
        try {
            return aliasOf(parse(deviceXml).getDocumentElement());
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    // ------------------------------------------------------------------------------------------------------------
    // parsing and serializing

    /** Parses with a hardened parser. @throws IllegalArgumentException when the text is not safe, well-formed XML */
    static Document parse(String xml) {
        if (xml == null || xml.isBlank()) {
            throw new IllegalArgumentException("XML is empty");
        }
        try {
            return SafeXml.builder().parse(new InputSource(new StringReader(xml)));
        } catch (SAXParseException e) {
            String msg = String.valueOf(e.getMessage());
            if (msg.contains("DOCTYPE")) {
                return fail("XML with a DOCTYPE is refused (DTDs and entities are not allowed in libvirt XML)");
            }
            return fail("XML is not well-formed (line " + e.getLineNumber() + ", column " + e.getColumnNumber() + "): "
                    + msg);
        } catch (SAXException | IOException e) {
            return fail("XML could not be parsed: " + e.getMessage());
        }
    }

    private static Document fail(String message) {
        throw new IllegalArgumentException(message);
    }

    private static Document newDocument() {
        return SafeXml.builder().newDocument();
    }

    static String serialize(Element element) {
        return SafeXml.serialize(element);
    }

    // ------------------------------------------------------------------------------------------------------------
    // DOM helpers

    /** The child elements of {@code parent} named {@code tag} (all when null); for the package's XML readers too. */
    static List<Element> children(Element parent, String tag) {
        List<Element> out = new ArrayList<>();
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && (tag == null || tag.equals(e.getTagName()))) {
                out.add(e);
            }
        }
        return out;
    }

    /** The one VLAN tag of a hostdev NIC ({@code <vlan><tag id='N'/></vlan>}), which libvirt sets on the VF. */
    private static Integer vlanOf(Element itf) {
        Element vlan = child(itf, "vlan");
        Element tag = vlan == null ? null : child(vlan, "tag");
        if (tag == null || !tag.getAttribute("id").matches("\\d{1,4}")) {
            return null;
        }
        return Integer.valueOf(tag.getAttribute("id"));
    }

    /** The first child element named {@code tag}, or null. */
    static Element child(Element parent, String tag) {
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && tag.equals(e.getTagName())) {
                return e;
            }
        }
        return null;
    }

    private static Element append(Element parent, String tag) {
        Element e = parent.getOwnerDocument().createElement(tag);
        parent.appendChild(e);
        return e;
    }

    static String emptyToNull(String s) {
        return s == null || s.isEmpty() ? null : s;
    }

    private static String aliasOf(Element dev) {
        Element alias = child(dev, "alias");
        return alias == null ? null : emptyToNull(alias.getAttribute("name"));
    }

    private static String macOf(Element itf) {
        Element mac = child(itf, "mac");
        return mac == null ? null : emptyToNull(mac.getAttribute("address"));
    }

    /** "interface (alias 'ua-net0', MAC 52:54:00:53:53:53, PCI 0000:06:00.1)": whatever identifies it. */
    private static String describeInterface(Element itf) {
        List<String> parts = new ArrayList<>();
        String alias = aliasOf(itf);
        if (alias != null) {
            parts.add("alias '" + alias + "'");
        }
        String mac = macOf(itf);
        if (mac != null) {
            parts.add("MAC " + mac);
        }
        if ("hostdev".equals(itf.getAttribute("type"))) {
            try {
                parts.add("PCI " + pciOfSourceAddress(itf));
            } catch (IllegalArgumentException ignored) {
                // described without its address
            }
        }
        String type = emptyToNull(itf.getAttribute("type"));
        return "<interface" + (type != null ? " type='" + type + "'" : "") + ">"
                + (parts.isEmpty() ? "" : " (" + String.join(", ", parts) + ")");
    }

    /** How a blocking passthrough device is named in the report: its PCI address, else its alias, else its type. */
    private static String hostdevId(Element dev) {
        String alias = aliasOf(dev);
        String id;
        try {
            id = "PCI " + pciOfSourceAddress(dev);
        } catch (IllegalArgumentException e) {
            String type = emptyToNull(dev.getAttribute("type"));
            id = (type == null ? "hostdev" : type) + " device";
        }
        return id + (alias != null ? " (alias '" + alias + "')" : "")
                + ("interface".equals(dev.getTagName()) ? " [<interface type='hostdev'>]" : " [<hostdev>]");
    }

    private static String pciOfSourceAddress(Element dev) {
        Element source = child(dev, "source");
        Element address = source == null ? null : child(source, "address");
        if (address == null) {
            throw new IllegalArgumentException("no <source><address type='pci' .../></source>");
        }
        return pciOf(address);
    }

    private static String pciOf(Element address) {
        String type = emptyToNull(address.getAttribute("type"));
        if (type != null && !"pci".equals(type)) {
            throw new IllegalArgumentException("source address is type '" + type + "', not 'pci'");
        }
        int domain = number(address, "domain", 0xffff, true);
        int bus = number(address, "bus", 0xff, false);
        int slot = number(address, "slot", 0x1f, false);
        int function = number(address, "function", 0x7, false);
        return String.format(Locale.ROOT, "%04x:%02x:%02x.%x", domain, bus, slot, function);
    }

    private static int number(Element address, String attr, int max, boolean optional) {
        String raw = emptyToNull(address.getAttribute(attr));
        if (raw == null) {
            if (optional) {
                return 0;
            }
            throw new IllegalArgumentException("PCI source address has no " + attr + "=...");
        }
        try {
            int v = raw.startsWith("0x") || raw.startsWith("0X") ? Integer.parseInt(raw.substring(2), 16)
                    : Integer.parseInt(raw);
            if (v < 0 || v > max) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("PCI source address has an invalid " + attr + "='" + raw
                    + "' (expected 0x0.." + Integer.toHexString(max) + ")");
        }
    }

    private static void setPciAddress(Element address, String pci) {
        // 0000:06:00.3 -> domain='0x0000' bus='0x06' slot='0x00' function='0x3'
        address.setAttribute("type", "pci");
        address.setAttribute("domain", "0x" + pci.substring(0, 4));
        address.setAttribute("bus", "0x" + pci.substring(5, 7));
        address.setAttribute("slot", "0x" + pci.substring(8, 10));
        address.setAttribute("function", "0x" + pci.substring(11, 12));
    }

    private static void requireMatch(String what, String value, String pattern) {
        if (!ApiPatterns.matches(pattern, value)) {
            throw new IllegalArgumentException(what + " " + (value == null ? "is missing" : "'" + value + "' is invalid")
                    + ": it must match " + pattern);
        }
    }

    /** A suggestion for a user alias built from a bad one: only the safe characters survive. */
    private static String safeSuffix(String alias) {
        String s = alias.replaceAll("[^A-Za-z0-9_-]", "");
        if (s.startsWith("ua")) {
            s = s.substring(2).replaceFirst("^[-_]+", "");
        }
        return s.isEmpty() ? "net0" : s.length() > 60 ? s.substring(0, 60) : s;
    }
}
