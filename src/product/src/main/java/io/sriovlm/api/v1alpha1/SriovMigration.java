package io.sriovlm.api.v1alpha1;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/** One live migration of one libvirt domain that owns an SR-IOV VF. */
@Group(Labels.GROUP)
@Version("v1alpha1")
@ShortNames({ "sm", "srmig" })
@AdditionalPrinterColumn(name = "Phase", jsonPath = ".status.phase", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "VM", jsonPath = ".spec.vmName", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Source", jsonPath = ".status.sourceNode", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Target", jsonPath = ".status.targetNode", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "DryRun", jsonPath = ".spec.dryRun", type = AdditionalPrinterColumn.Type.BOOLEAN)
@AdditionalPrinterColumn(name = "WouldGo", jsonPath = ".status.conditions[?(@.type==\"Preflight\")].status", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Standby(ms)", jsonPath = ".status.standbyWindowMs", type = AdditionalPrinterColumn.Type.INTEGER, priority = 1)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
@ValidationRule(value = SriovMigration.SPEC_FROZEN_RULE, message = SriovMigration.SPEC_FROZEN_MESSAGE, reason = "FieldValueForbidden")
public class SriovMigration extends CustomResource<SriovMigrationSpec, SriovMigrationStatus> implements Namespaced {

    /**
     * Once the migration has left Pending, only spec.cancel and spec.ttlSecondsAfterFinished may change (a transition
     * rule: it sees oldSelf). The TTL stays mutable as a Job's does: keeping a finished migration longer moves nothing.
     */
    static final String SPEC_FROZEN_RULE = "!has(oldSelf.status) || !has(oldSelf.status.phase) || oldSelf.status.phase == 'Pending'"
            + " || (self.spec.vmName == oldSelf.spec.vmName"
            + " && (has(self.spec.sourceNode) ? self.spec.sourceNode : '') == (has(oldSelf.spec.sourceNode) ? oldSelf.spec.sourceNode : '')"
            + " && (has(self.spec.targetNode) ? self.spec.targetNode : '') == (has(oldSelf.spec.targetNode) ? oldSelf.spec.targetNode : '')"
            + " && (has(self.spec.vfPool) ? self.spec.vfPool : '') == (has(oldSelf.spec.vfPool) ? oldSelf.spec.vfPool : '')"
            + " && (has(self.spec.vfHandoff) ? self.spec.vfHandoff : '') == (has(oldSelf.spec.vfHandoff) ? oldSelf.spec.vfHandoff : '')"
            + " && (has(self.spec.standbyLinkPolicy) ? self.spec.standbyLinkPolicy : '') == (has(oldSelf.spec.standbyLinkPolicy) ? oldSelf.spec.standbyLinkPolicy : '')"
            + " && (has(self.spec.dryRun) ? self.spec.dryRun : false) == (has(oldSelf.spec.dryRun) ? oldSelf.spec.dryRun : false)"
            + " && has(self.spec.options) == has(oldSelf.spec.options)"
            + " && (!has(self.spec.options) || self.spec.options == oldSelf.spec.options))";
    static final String SPEC_FROZEN_MESSAGE = "spec is immutable once the migration has started (status.phase is past Pending);"
            + " only spec.cancel and spec.ttlSecondsAfterFinished may change. Cancel it and create a new SriovMigration instead.";

    @Override
    protected SriovMigrationSpec initSpec() {
        return new SriovMigrationSpec();
    }

    @Override
    protected SriovMigrationStatus initStatus() {
        return new SriovMigrationStatus();
    }
}
