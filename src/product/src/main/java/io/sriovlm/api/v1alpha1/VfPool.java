package io.sriovlm.api.v1alpha1;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/** A named set of VFs across nodes that VMs draw their VF from; its status counts them, its VfClaims hold them. */
@Group(Labels.GROUP)
@Version("v1alpha1")
@ShortNames({ "vfp" })
@AdditionalPrinterColumn(name = "Free", jsonPath = ".status.freeVfs", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Total", jsonPath = ".status.totalVfs", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Reserved", jsonPath = ".status.reservedVfs", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Nodes", jsonPath = ".status.nodeCount", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
public class VfPool extends CustomResource<VfPoolSpec, VfPoolStatus> {

    @Override
    protected VfPoolSpec initSpec() {
        return new VfPoolSpec();
    }

    @Override
    protected VfPoolStatus initStatus() {
        return new VfPoolStatus();
    }
}
