package io.sriovlm.api.v1alpha1;

/** The label keys (and their values) and the taint key of the sriovlm.io API, defined once here. */
public final class Labels {
    public static final String GROUP = "sriovlm.io";
    /** On a SriovMigration: the node the VM leaves. Agents select their source work with it (equality selector). */
    public static final String SOURCE_NODE = GROUP + "/source-node";
    /** On a SriovMigration: the node the VM goes to. Agents select their target work with it. */
    public static final String TARGET_NODE = GROUP + "/target-node";
    /** On a SriovMigration: the VM it moves, so that "one active migration per VM" is a label lookup. */
    public static final String VM = GROUP + "/vm";
    /** On a HypervisorNic: the node it describes, so an agent can select its own objects. On a VfClaim: its VF's node. */
    public static final String NODE = GROUP + "/node";
    /** On a VfClaim: the VfPool it was reserved from ({@code kubectl get vfclaims -l sriovlm.io/pool=...}). */
    public static final String POOL = GROUP + "/pool";
    /**
     * On a Node: value {@link #ON_CORDON} opts it in to evacuation when cordoned. Also the key of a taint that starts
     * an evacuation by itself (docs/decisions/007-evacuation.md).
     */
    public static final String EVACUATE = GROUP + "/evacuate";
    public static final String ON_CORDON = "on-cordon";
    /** On an evacuation's SriovMigrations: the node being emptied. */
    public static final String EVACUATION = GROUP + "/evacuation";
    /** On the drain guard's Pod and PodDisruptionBudget: the node they hold. */
    public static final String EVACUATION_GUARD = GROUP + "/evacuation-guard";
    /** On every Node the agent DaemonSet and a VfPool's default selector pick. */
    public static final String HYPERVISOR = GROUP + "/hypervisor";

    private Labels() {
    }
}
