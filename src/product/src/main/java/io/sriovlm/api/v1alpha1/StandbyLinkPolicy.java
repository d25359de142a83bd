package io.sriovlm.api.v1alpha1;

/** What the agent does with the virtio standby NIC's link (docs/architecture.md, "Standby link policy"). */
public enum StandbyLinkPolicy {
    /** The standby link stays up; the host bond decides which path carries traffic (NVIDIA's way). */
    AlwaysUp,
    /** The standby link is up only while the VF is away, so the guest prefers the VF otherwise (Flipkart's way). */
    UpDuringMigration
}
