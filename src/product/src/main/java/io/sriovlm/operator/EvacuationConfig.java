package io.sriovlm.operator;

import io.sriovlm.api.v1alpha1.MigrationOptions;

/**
 * Where node evacuation keeps its objects (docs/decisions/007-evacuation.md).
 *
 * @param namespace  namespace of the evacuation's SriovMigrations and of the drain guard Pods and PDBs: the
 *                   operator's own (POD_NAMESPACE), so a namespaced Role suffices for creating and deleting them
 * @param guardImage image of the drain guard pod; it only has to exist on the node (a pause image)
 * @param migrationOptions options of every migration an evacuation creates (deadlines, downtime, bandwidth); null
 *                   for the CRD's defaults
 */
public record EvacuationConfig(String namespace, String guardImage, MigrationOptions migrationOptions) {
    /** The defaults of {@link OperatorSettings}. */
    public static EvacuationConfig defaults() {
        return OperatorSettings.defaults().evacuation();
    }

    public EvacuationConfig withMigrationOptions(MigrationOptions options) {
        return new EvacuationConfig(namespace, guardImage, options);
    }
}
