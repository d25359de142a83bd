package io.sriovlm.migration;

/** Machine-readable reasons, used in conditions, Events and status.failureReason. */
public final class Reasons {
    public static final String ACCEPTED = "Accepted";
    public static final String VM_NOT_FOUND = "VmNotFound";
    public static final String VM_ON_SEVERAL_NODES = "VmOnSeveralNodes";
    public static final String TEAMING_INVALID = "TeamingInvalid";
    public static final String SOURCE_IS_TARGET = "SourceIsTarget";
    public static final String SOURCE_NOT_READY = "SourceNotReady";
    public static final String TARGET_NOT_FOUND = "TargetNotFound";
    public static final String TARGET_NOT_READY = "TargetNotReady";
    public static final String NO_TARGET = "NoSuitableTarget";
    public static final String POOL_NOT_FOUND = "VfPoolNotFound";
    public static final String POOL_EXHAUSTED = "VfPoolExhausted";
    public static final String ALREADY_MIGRATING = "VmAlreadyMigrating";
    public static final String WAITING_FOR_SLOT = "WaitingForSlot";
    public static final String UNSUPPORTED = "Unsupported";
    public static final String SCHEDULED = "Scheduled";
    public static final String PREPARED = "Prepared";
    public static final String TARGET_NOT_PREPARED = "TargetNotPrepared";
    public static final String ON_STANDBY = "OnStandby";
    public static final String DETACH_FAILED = "DetachFailed";
    public static final String BOND_SWITCH_FAILED = "BondSwitchFailed";
    public static final String MIGRATION_STARTED = "MigrationStarted";
    public static final String MIGRATION_FAILED = "MigrationFailed";
    /** The target's migration URI is not one sriovlm opens, or not TLS while spec.options.tls asks for it. */
    public static final String TRANSPORT_REFUSED = "TransportRefused";
    public static final String MIGRATED = "Migrated";
    public static final String ATTACH_FAILED = "AttachFailed";
    public static final String ABORT_FAILED = "AbortFailed";
    public static final String FAST_PATH_RESTORED = "FastPathRestored";
    public static final String FAST_PATH_NOT_RESTORED = "FastPathNotRestored";
    public static final String CANCELLED = "Cancelled";
    public static final String CANCEL_TOO_LATE = "CancelTooLate";
    public static final String DELETED = "Deleted";
    public static final String DEADLINE_EXCEEDED = "DeadlineExceeded";
    public static final String ROLLBACK_TOO_LATE = "RollbackTooLate";
    public static final String ROLLED_BACK = "RolledBack";
    public static final String DRY_RUN = "DryRun";
    public static final String INVALID = "Invalid";
    public static final String PREFLIGHT_PASSED = "Passed";
    public static final String PREFLIGHT_FAILED = "PreflightFailed";
    public static final String PREFLIGHT_SKIPPED = "NotChecked";
    /** A dry run waits for the source agent's libvirt reachability check. */
    public static final String CHECKING = "Checking";
    /** The source agent did not answer a dry run's check before the deadline. */
    public static final String NO_ANSWER = "NoAnswer";
    /** The source host's libvirt cannot open the target's migration URI. */
    public static final String LIBVIRT_UNREACHABLE = "LibvirtUnreachable";

    private Reasons() {
    }
}
