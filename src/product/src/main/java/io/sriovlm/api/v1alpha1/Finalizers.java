package io.sriovlm.api.v1alpha1;

/** The finalizers of the sriovlm.io API, defined once here. */
public final class Finalizers {
    /**
     * On a SriovMigration: a deleted migration rolls back before it goes away. The operator adds and removes it; the
     * agents share it (docs/decisions/004-agents-share-the-finalizer.md).
     */
    public static final String ROLLBACK = Labels.GROUP + "/rollback";

    private Finalizers() {
    }
}
