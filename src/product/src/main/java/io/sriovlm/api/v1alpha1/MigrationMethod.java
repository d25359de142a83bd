package io.sriovlm.api.v1alpha1;

/**
 * How a migration moves the VM's network (docs/decisions/020-vf-state-method.md). Failover and VfState are the two
 * methods; Auto is a request that the operator resolves to one of them per VM, recorded in {@code status.method}.
 */
public enum MigrationMethod {
    /** Team the VF with the virtio standby: detach the VF, switch the host bond, migrate, attach a VF on the target. */
    Failover,
    /**
     * The VF stays attached and libvirt migrates its device state (a VFIO variant driver such as mlx5_vfio_pci on
     * both hosts). No unplug and no bond switch; only for a VF passed through without {@code <teaming>}.
     */
    VfState,
    /** VfState when the VM's VF and both hosts qualify, Failover when the VM is teamed. */
    Auto
}
