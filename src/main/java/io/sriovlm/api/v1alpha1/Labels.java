package io.sriovlm.api.v1alpha1;

/** Label and annotation keys of the sriovlm.io API. */
public final class Labels {
    public static final String GROUP = "sriovlm.io";
    /** On a SriovMigration: the node the VM leaves. Agents select their source work with it (equality selector). */
    public static final String SOURCE_NODE = GROUP + "/source-node";
    /** On a SriovMigration: the node the VM goes to. Agents select their target work with it. */
    public static final String TARGET_NODE = GROUP + "/target-node";
    /** On a SriovMigration: the VM it moves, so that "one active migration per VM" is a label lookup. */
    public static final String VM = GROUP + "/vm";
    /** On a HypervisorNic: the node it describes, so an agent can select its own objects. */
    public static final String NODE = GROUP + "/node";
    /** Finalizer that makes a deleted migration roll back before it goes away. */
    public static final String FINALIZER = GROUP + "/rollback";

    private Labels() {
    }
}
