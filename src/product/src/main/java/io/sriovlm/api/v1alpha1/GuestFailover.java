package io.sriovlm.api.v1alpha1;

/**
 * Whether net_failover is active in a guest, as its QEMU says of the standby virtio-net device: the device offers
 * {@code VIRTIO_NET_F_STANDBY} (libvirt sets {@code failover=on} for {@code <teaming type='persistent'/>}) and the
 * guest's driver accepted it. Without it, unplugging the VF leaves the guest without a network.
 */
public enum GuestFailover {
    /** Offered and accepted: the guest teams the VF with the standby NIC. */
    Negotiated,
    /** Offered, not accepted: the guest's virtio-net driver has no failover (or has not started yet). */
    NotNegotiated,
    /** Not offered: the standby device was started without failover=on. */
    NotOffered
}
