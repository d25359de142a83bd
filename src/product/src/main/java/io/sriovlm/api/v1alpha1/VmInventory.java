package io.sriovlm.api.v1alpha1;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

import java.util.Map;

/**
 * What runs on one HypervisorNic's host now: its domains, which domain holds each VF and the VFs' settings, and which
 * member each bond uses. Kept apart from the HypervisorNic so that a VM moving rewrites this object and not the
 * node's whole inventory (docs/decisions/028-vm-inventory.md). Named as its HypervisorNic, owned by it (deleted with
 * it), created and written by that node's agent only. Cluster-scoped.
 */
@Group(Labels.GROUP)
@Version("v1alpha1")
@ShortNames({ "vminv" })
@AdditionalPrinterColumn(name = "Node", jsonPath = ".spec.nodeName", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Observed", jsonPath = ".status.heartbeatTime", type = AdditionalPrinterColumn.Type.DATE)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
@ValidationRule(value = "self.spec == oldSelf.spec", message = "spec is immutable: it names the node and NIC this"
        + " inventory describes; delete the VmInventory instead (its agent creates it again)", reason = "FieldValueForbidden")
public class VmInventory extends CustomResource<VmInventorySpec, VmInventoryStatus> {

    /** The inventory of {@code nic}, not yet created: named as the NIC, labelled with its node, owned by the NIC. */
    public static VmInventory of(HypervisorNic nic) {
        VmInventory inventory = new VmInventory();
        String node = nic.getSpec().nodeName;
        inventory.setMetadata(new ObjectMetaBuilder().withName(nic.getMetadata().getName())
                .withLabels(Map.of(Labels.NODE, node))
                .withOwnerReferences(new OwnerReferenceBuilder().withApiVersion(nic.getApiVersion())
                        .withKind(nic.getKind()).withName(nic.getMetadata().getName())
                        .withUid(nic.getMetadata().getUid()).build())
                .build());
        inventory.getSpec().nodeName = node;
        inventory.getSpec().nic = nic.getMetadata().getName();
        return inventory;
    }

    @Override
    protected VmInventorySpec initSpec() {
        return new VmInventorySpec();
    }

    @Override
    protected VmInventoryStatus initStatus() {
        return new VmInventoryStatus();
    }
}
