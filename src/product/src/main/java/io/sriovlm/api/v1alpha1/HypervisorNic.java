package io.sriovlm.api.v1alpha1;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/** The desired SR-IOV NIC setup of one node and PF, and what the node agent observed there. Cluster-scoped. */
@Group(Labels.GROUP)
@Version("v1alpha1")
@ShortNames({ "hnic" })
@AdditionalPrinterColumn(name = "Node", jsonPath = ".spec.nodeName", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "PF", jsonPath = ".spec.pf.name", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "VFs", jsonPath = ".status.totalVfs", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Ready", jsonPath = ".status.conditions[?(@.type==\"Ready\")].status", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Sync", jsonPath = ".status.syncStatus", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
public class HypervisorNic extends CustomResource<HypervisorNicSpec, HypervisorNicStatus> {

    @Override
    protected HypervisorNicSpec initSpec() {
        return new HypervisorNicSpec();
    }

    @Override
    protected HypervisorNicStatus initStatus() {
        return new HypervisorNicStatus();
    }
}
