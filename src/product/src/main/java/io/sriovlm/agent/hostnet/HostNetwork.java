package io.sriovlm.agent.hostnet;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The host networking the migration steps touch: kernel bonding (active-backup) and the SR-IOV VFs of a PF.
 * The production implementation reads and writes sysfs under a configurable root, following the kernel's
 * documented interfaces (Documentation/networking/bonding.rst, sriov_numvfs), so that the sandbox and the tests
 * run the same code over a generated fake tree.
 */
public interface HostNetwork {

    /** True when a netdev of this name exists ({@code /sys/class/net/NAME}). */
    boolean netdevExists(String name);

    /** The bond's current active slave, or empty when the bond does not exist or has none. */
    Optional<String> activeSlave(String bond);

    /** The bond's slaves. */
    List<String> slaves(String bond);

    /**
     * Makes {@code slave} the bond's active slave and reads it back.
     *
     * @return when the read-back confirmed the change
     * @throws HostNetworkException naming the bond, the file and the value read back when the write did not stick
     */
    Instant setActiveSlave(String bond, String slave) throws HostNetworkException;

    /** The VFs of a PF ({@code /sys/class/net/PF/device/virtfnN}), with PCI address and MAC where known. */
    List<VfInfo> listVfs(String pf) throws HostNetworkException;

    record VfInfo(int index, String pciAddress, String mac) {
    }
}
