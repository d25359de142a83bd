package io.sriovlm.agent.libvirt;

import org.w3c.dom.Element;

/** Reads a libvirt storage pool's XML: its type and where its volumes are. */
final class StoragePoolXml {
    private StoragePoolXml() {
    }

    /**
     * @return the pool with the path of {@code <target><path>} (local pools), else {@code <source><name>} (network
     *         pools such as rbd, where a disk names the same); null path when it has neither
     */
    static Hypervisor.StoragePool of(String name, String poolXml) {
        Element root = TeamingXml.parse(poolXml).getDocumentElement();
        String targetPath = text(grandchild(root, "target", "path"));
        String sourceName = text(grandchild(root, "source", "name"));
        return new Hypervisor.StoragePool(name, root.getAttribute("type"), targetPath != null ? targetPath : sourceName);
    }

    private static Element grandchild(Element root, String child, String grandchild) {
        Element c = TeamingXml.child(root, child);
        return c == null ? null : TeamingXml.child(c, grandchild);
    }

    private static String text(Element e) {
        return e == null || e.getTextContent().isBlank() ? null : e.getTextContent().trim();
    }
}
