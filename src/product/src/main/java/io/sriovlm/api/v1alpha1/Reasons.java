package io.sriovlm.api.v1alpha1;

/**
 * The machine-readable reasons of the sriovlm.io resources' conditions, Events and {@code status.failureReason},
 * defined once here, grouped by the object they are about.
 */
public final class Reasons {
    // --- SriovMigration
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
    /** Another VM uses the same teaming MAC (SriovMigration: refused; VfPool: the TeamingMacsUnique condition). */
    public static final String DUPLICATE_MAC = "DuplicateMac";
    /** The guest's standby NIC was not offered, or the guest did not accept, VIRTIO_NET_F_STANDBY. */
    public static final String GUEST_FAILOVER_INACTIVE = "GuestFailoverInactive";
    /** A disk of the VM is on no storage the target sees, and spec.options.copyStorage is none (PreflightStorage). */
    public static final String STORAGE_NOT_SHARED = "StorageNotShared";
    /** The target's libvirt cannot run the domain's virtual CPU (PreflightCpu, and the gate before the VF leaves). */
    public static final String CPU_INCOMPATIBLE = "CpuIncompatible";
    /** A dry-run check whose facts no agent reports (its hypervisor cannot tell). */
    public static final String NOT_REPORTED = "NotReported";
    /** The target VF's settings on its PF differ from what the VM's guest has now (PreflightVfConfig). */
    public static final String VF_CONFIG_MISMATCH = "VfConfigMismatch";
    /** MethodChosen: the VM's VF and both hosts qualify for VF-state migration. */
    public static final String VF_STATE_QUALIFIED = "VfStateQualified";
    /** MethodChosen: the VM is teamed; it moves by failover (asked for, the default, or what Auto resolves to). */
    public static final String FAILOVER_CHOSEN = "FailoverChosen";
    /** MethodChosen False: VfState (asked for, or the only method for a VF outside any teaming pair) is not possible here. */
    public static final String VF_STATE_NOT_POSSIBLE = "VfStateNotPossible";
    /** Method VfState: the VF stays attached while libvirt migrates its state (no standby, no bond switch). */
    public static final String VF_STAYS_ATTACHED = "VfStaysAttached";
    public static final String WAITING_FOR_SLOT = "WaitingForSlot";
    public static final String UNSUPPORTED = "Unsupported";
    public static final String SCHEDULED = "Scheduled";
    public static final String PREPARED = "Prepared";
    public static final String OUTBOUND_LANE_FREE = "OutboundLaneFree";
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

    // --- HypervisorNic: Ready (operator)
    public static final String AGENT_REPORTING = "AgentReporting";
    public static final String NODE_NOT_FOUND = "NodeNotFound";
    public static final String AGENT_NOT_REPORTING = "AgentNotReporting";
    public static final String HEARTBEAT_STALE = "HeartbeatStale";
    public static final String HOST_NOT_READY = "HostNotReady";
    // --- HypervisorNic: AgentReady (agent)
    public static final String HOST_READY = "HostReady";
    public static final String PROVISIONING_FAILED = "ProvisioningFailed";
    /** The agent can neither read, create nor write its node's VmInventory (its CRD or RBAC rules missing). */
    public static final String INVENTORY_NOT_WRITABLE = "InventoryNotWritable";
    // --- HypervisorNic: Provisioned, ChangeRefused, Drifted (agent)
    public static final String INVALID_SPEC = "InvalidSpec";
    public static final String PF_NOT_FOUND = "PfNotFound";
    public static final String EXTERNALLY_MANAGED = "ExternallyManaged";
    public static final String EXTERNALLY_MANAGED_DIFFERS = "ExternallyManagedDiffers";
    public static final String UP_TO_DATE = "UpToDate";
    public static final String APPLIED = "Applied";
    public static final String STEP_FAILED = "StepFailed";
    public static final String DRIFT_FOUND = "DriftFound";
    public static final String DRIFT_NOT_REPAIRED = "DriftNotRepaired";
    public static final String DRIFT_REPAIRED = "DriftRepaired";
    public static final String NO_DRIFT = "NoDrift";
    public static final String MIGRATIONS_IN_FLIGHT = "MigrationsInFlight";
    public static final String VFS_IN_USE = "VfsInUse";
    public static final String NOTHING_REFUSED = "NothingRefused";
    /** Event: the agent put a VM's VF and bond back as the guest uses them, outside any migration. */
    public static final String FAST_PATH_REPAIRED = "FastPathRepaired";
    /** HypervisorNic Event: the agent cleared the MAC and VLAN a released VF kept (or failed to: a Warning). */
    public static final String VF_CLEARED = "VfCleared";
    public static final String VF_CLEAR_FAILED = "VfClearFailed";

    // --- VfPool: Ready
    public static final String VFS_AVAILABLE = "VfsAvailable";
    public static final String NO_MATCHING_NODES = "NoMatchingNodes";
    public static final String NO_VFS = "NoVfs";
    // --- VfPool: TeamingMacsUnique
    public static final String MACS_UNIQUE = "MacsUnique";
    // --- VfPool: VfsAccounted
    public static final String VFS_ACCOUNTED = "VfsAccounted";
    /** A VF attached outside any teaming pair, or to another domain than its claim's VM (and the pool's Event). */
    public static final String VF_DRIFT = "VfDrift";

    // --- Node: SriovEvacuated, and the evacuation's Events
    public static final String EVACUATED = "Evacuated";
    public static final String EVACUATING = "Evacuating";
    public static final String EVACUATION_BLOCKED_CONDITION = "Blocked";
    public static final String NOT_EVACUATING = "NotEvacuating";
    public static final String EVACUATION_STARTED = "EvacuationStarted";
    public static final String EVACUATION_BLOCKED = "EvacuationBlocked";
    public static final String EVACUATION_STOPPED = "EvacuationStopped";
    public static final String EVACUATION_GUARD_CREATED = "EvacuationGuardCreated";
    public static final String EVACUATION_GUARD_REMOVED = "EvacuationGuardRemoved";

    private Reasons() {
    }
}
