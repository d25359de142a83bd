package io.sriovlm.api.v1alpha1;

/**
 * Phases of a {@link SriovMigration}. Each non-terminal phase has exactly one owner (see {@link PhaseOwner}),
 * the only actor allowed to move the migration out of it, apart from the operator's cancel and deadline decisions.
 */
public enum MigrationPhase {
    Pending(PhaseOwner.OPERATOR),
    Scheduling(PhaseOwner.OPERATOR),
    Preparing(PhaseOwner.TARGET_AGENT),
    /**
     * The target is prepared and the migration waits for the outbound lane of its source held by
     * {@code status.predecessor} (docs/decisions/014-prepare-ahead.md); only a migration admitted behind another
     * enters it. Nothing on the source was touched.
     */
    TargetReady(PhaseOwner.SOURCE_AGENT),
    SwitchingToStandby(PhaseOwner.SOURCE_AGENT),
    Migrating(PhaseOwner.SOURCE_AGENT),
    RestoringFastPath(PhaseOwner.TARGET_AGENT),
    RollingBack(PhaseOwner.SOURCE_AGENT),
    Succeeded(PhaseOwner.NONE),
    RolledBack(PhaseOwner.NONE),
    Failed(PhaseOwner.NONE),
    Cancelled(PhaseOwner.NONE);

    private final PhaseOwner owner;

    MigrationPhase(PhaseOwner owner) {
        this.owner = owner;
    }

    public PhaseOwner owner() {
        return owner;
    }

    public boolean isTerminal() {
        return owner == PhaseOwner.NONE;
    }

    /** True once the source host may have been changed: from here on, stopping means rolling back. */
    public boolean hasTouchedSource() {
        return this == SwitchingToStandby || this == Migrating || this == RollingBack;
    }

    /**
     * True while nothing on the source has been changed yet: waiting, being placed, or its target being prepared
     * (ahead or not). Stopping here ends the migration without a rollback.
     */
    public boolean leavesSourceUntouched() {
        return this == Pending || this == Scheduling || this == Preparing || this == TargetReady;
    }

    /**
     * True while the VM's source VF stays its own although it may be detached: until libvirt has moved the VM, a
     * rollback re-attaches it. The ledger counts it allocated and no agent clears it.
     */
    public boolean keepsSourceVf() {
        return this == SwitchingToStandby || this == Migrating || this == RollingBack;
    }

    /**
     * True while the migration holds an outbound lane of its source (docs/decisions/008-outbound-slot.md): admitted,
     * and the domain has not left the source yet.
     */
    public boolean holdsOutboundLane() {
        return this != Pending && this != RestoringFastPath && !isTerminal();
    }

    public enum PhaseOwner {
        OPERATOR, SOURCE_AGENT, TARGET_AGENT, NONE
    }
}
