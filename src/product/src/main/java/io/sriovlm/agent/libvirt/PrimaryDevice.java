package io.sriovlm.agent.libvirt;

import java.util.Optional;

/**
 * What the agent hot-plugs as a VM's <em>primary</em> (fast-path) NIC for a VF, and how it recognizes such a device in
 * a live domain XML. Production uses {@link #VF_HOSTDEV}: the VF itself, as {@code <interface type='hostdev'>} with
 * transient teaming. The real-hypervisor test tier has no VFIO, so it injects {@link EmulatedVfStandIn}: an emulated
 * PCIe NIC with the VM's MAC whose alias names the VF it stands for. Chosen once per agent
 * ({@code AgentConfig.primaryDevice}); everything else (steps, inventory, validation) sees the same
 * {@link TeamingReport} either way.
 */
public interface PrimaryDevice {

    /** The production primary: the VF as a managed hostdev NIC with {@code <teaming type='transient'/>}. */
    PrimaryDevice VF_HOSTDEV = new PrimaryDevice() {
        @Override
        public String deviceXml(String mac, String vfPciAddress, String persistentAlias, String alias) {
            return TeamingXml.primaryInterface(mac, vfPciAddress, persistentAlias, alias);
        }

        @Override
        public String deviceXml(String mac, String vfPciAddress, String persistentAlias, String alias, Integer vlan) {
            return TeamingXml.primaryInterface(mac, vfPciAddress, persistentAlias, alias, vlan);
        }

        @Override
        public Optional<String> standsInFor(String interfaceType, String modelType, String alias) {
            return Optional.empty();
        }

        @Override
        public String toString() {
            return "VF hostdev";
        }
    };

    /**
     * The device XML to hot-plug so that the guest gets the fast path of VF {@code vfPciAddress}.
     *
     * @param alias the primary's own user alias, or null for the default (an implementation may derive its own)
     * @throws IllegalArgumentException when an argument is invalid
     */
    String deviceXml(String mac, String vfPciAddress, String persistentAlias, String alias);

    /**
     * The same, carrying the VLAN the VM's VF interface had (libvirt sets it on the VF at the attach). The default
     * drops it: a stand-in is no VF and has no VLAN on its PF.
     */
    default String deviceXml(String mac, String vfPciAddress, String persistentAlias, String alias, Integer vlan) {
        return deviceXml(mac, vfPciAddress, persistentAlias, alias);
    }

    /**
     * For an {@code <interface>} that is <b>not</b> {@code type='hostdev'}: the PCI address (kernel form) of the VF it
     * stands in for, or empty when it is an ordinary NIC. {@link TeamingXml#inspect(String, PrimaryDevice)} then treats
     * it as the attached primary.
     */
    Optional<String> standsInFor(String interfaceType, String modelType, String alias);
}
