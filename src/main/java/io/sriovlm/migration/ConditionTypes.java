package io.sriovlm.migration;

/** Condition types a SriovMigration carries. Each answers one question a user asks about the migration. */
public final class ConditionTypes {
    /** Is the spec usable: VM found, teaming valid, nodes known? */
    public static final String VALID = "Valid";
    /** Has a target been chosen and a VF reserved there? False while waiting (pool exhausted, no slot). */
    public static final String SCHEDULED = "Scheduled";
    /** Is the target's standby path ready (SF netdev, bond on the SF representor, reserved VF present)? */
    public static final String TARGET_PREPARED = "TargetPrepared";
    /** Is the VM on its standby path on the source, with the VF detached and the bond on the SF representor? */
    public static final String ON_STANDBY = "OnStandby";
    /** Has libvirt moved the VM to the target? */
    public static final String MIGRATED = "Migrated";
    /** Is the VM back on a VF with the bond on the VF representor? */
    public static final String FAST_PATH_RESTORED = "FastPathRestored";
    /** Is the migration finished (any terminal phase)? Reason is the phase. */
    public static final String COMPLETE = "Complete";

    private ConditionTypes() {
    }
}
