package io.sriovlm.api.v1alpha1;

/**
 * The condition types of the sriovlm.io resources (and the one sriovlm sets on Nodes), defined once here: the operator,
 * the agents, the docs and the tests use these. Each answers one question a user asks about the object.
 */
public final class ConditionTypes {
    // --- SriovMigration
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

    /** Dry run only: would the migration go? True when no preflight check is False. */
    public static final String PREFLIGHT = "Preflight";
    /** Dry run only: present (True) on every dry run, so that its Succeeded is not read as a move. */
    public static final String DRY_RUN = "DryRun";
    /** Preflight: the VM runs on exactly one Ready source node and no other migration moves it. */
    public static final String PREFLIGHT_SOURCE = "PreflightSource";
    /** Preflight: the teaming pair (virtio persistent + VF transient) is valid and shares one MAC. */
    public static final String PREFLIGHT_TEAMING = "PreflightTeaming";
    /** Preflight: QEMU says the guest accepted VIRTIO_NET_F_STANDBY on its standby NIC (net_failover is active). */
    public static final String PREFLIGHT_GUEST_FAILOVER = "PreflightGuestFailover";
    /** Preflight: the VfPool exists. */
    public static final String PREFLIGHT_POOL = "PreflightPool";
    /** Preflight: a target qualifies (Ready, schedulable, inbound slot, the VF paired with the VM's SF free). */
    public static final String PREFLIGHT_TARGET = "PreflightTarget";
    /**
     * Preflight: the target VF's settings on its PF match the VF the VM holds (VLAN, trust, spoof checking), its link
     * is not disabled, and it keeps no MAC of an earlier holder.
     */
    public static final String PREFLIGHT_VF_CONFIG = "PreflightVfConfig";
    /** Preflight: every disk is on storage the target's libvirt has as a pool (or network storage), or copied. */
    public static final String PREFLIGHT_STORAGE = "PreflightStorage";
    /**
     * Which method the migration uses (status.method) and why; on a dry run, which it would use. False: the method
     * asked for cannot move this VM between these hosts (each missing piece named).
     */
    public static final String METHOD_CHOSEN = "MethodChosen";
    /** Preflight: the target reports the VM's SF netdev under the same name. */
    public static final String PREFLIGHT_SF_NETDEV = "PreflightSfNetdev";
    /** Preflight: the target reports the bond of the SF/VF representor pair, on the SF representor. */
    public static final String PREFLIGHT_BOND = "PreflightBond";
    /** Preflight: libvirt on the target can run the domain's virtual CPU (virConnectCompareHypervisorCPU). */
    public static final String PREFLIGHT_CPU = "PreflightCpu";
    /** Preflight: libvirt on the source can reach the target's libvirt. */
    public static final String PREFLIGHT_LIBVIRT = "PreflightLibvirtReachable";

    // --- HypervisorNic
    /** Set by the agent: does its host look as the spec wants (PF, VFs, SF netdevs, bonds present)? */
    public static final String AGENT_READY = "AgentReady";
    /** Set by the operator: can the node take part in migrations (agent alive, host ready, node exists)? */
    public static final String READY = "Ready";
    /** Set by the agent: has the host been provisioned as the spec says? */
    public static final String PROVISIONED = "Provisioned";
    /** Set by the agent: did it refuse a change the spec asks for (VFs in use, migrations in flight)? */
    public static final String CHANGE_REFUSED = "ChangeRefused";
    /** Set by the agent: does the host differ from what it last provisioned? */
    public static final String DRIFTED = "Drifted";

    // --- VfPool: READY (are there VFs in the pool?)
    /** Set by the operator: does every VM on the pool's nodes have a teaming MAC no other VM in the cluster uses? */
    public static final String TEAMING_MACS_UNIQUE = "TeamingMacsUnique";
    /**
     * Set by the operator: is every attached VF of the pool accounted for by the ledger (the teamed primary of the
     * domain it is attached to, and of the VM any claim names)?
     */
    public static final String VFS_ACCOUNTED = "VfsAccounted";

    // --- Node
    /** Set by the operator on a Node being evacuated: has every teamed VM left it? */
    public static final String SRIOV_EVACUATED = "SriovEvacuated";

    private ConditionTypes() {
    }
}
