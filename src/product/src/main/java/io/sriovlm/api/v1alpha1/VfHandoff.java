package io.sriovlm.api.v1alpha1;

/** How the VF leaves the source and reaches the target (docs/architecture.md, "Automatic VF handoff"). */
public enum VfHandoff {
    /** The agents detach and attach the VF themselves around the migration (the runbooks' way). */
    Explicit,
    /** QEMU unplugs and plugs the VF as the migration starts and ends; the agents follow with the bonds. */
    Automatic
}
