package io.sriovlm.api.v1alpha1;

/**
 * Whether libvirt copies the domain's disks during the migration (block migration over NBD) or the target reads the
 * same storage. Lower case, as {@code virsh migrate --copy-storage-all|--copy-storage-inc} and the spec spell it.
 */
public enum CopyStorage {
    /** Nothing copied: every disk must be on storage the target sees. */
    none,
    /** Every non-shared disk copied in full (VIR_MIGRATE_NON_SHARED_DISK). */
    all,
    /** Non-shared disks copied incrementally over a backing image the target already has (VIR_MIGRATE_NON_SHARED_INC). */
    incremental
}
