package io.sriovlm.api.v1alpha1;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

import java.util.Locale;
import java.util.Map;

/**
 * One VF held by a migration: the unit of the allocation ledger. Named after the VF ({@link #nameFor}), so that the
 * API server's "already exists" is what keeps a VF from ever having two holders: creating the claim is reserving the
 * VF. Written only by the operator; docs/decisions/013-vf-claims.md.
 */
@Group(Labels.GROUP)
@Version("v1alpha1")
@ShortNames({ "vfc" })
@AdditionalPrinterColumn(name = "Node", jsonPath = ".spec.node", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "VF", jsonPath = ".spec.pciAddress", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "State", jsonPath = ".spec.state", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "VM", jsonPath = ".spec.vm", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Migration", jsonPath = ".spec.migration", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
public class VfClaim extends CustomResource<VfClaimSpec, Void> {

    /** The claim's name for a VF: node and PCI address, which is unique in the cluster and a valid object name. */
    public static String nameFor(String node, String pciAddress) {
        return (node + "." + pciAddress.replace(':', '-')).toLowerCase(Locale.ROOT);
    }

    /** A new claim of {@code spec}'s VF, named and labelled for it. */
    public static VfClaim of(VfClaimSpec spec) {
        VfClaim claim = new VfClaim();
        claim.setMetadata(new ObjectMetaBuilder().withName(nameFor(spec.node, spec.pciAddress))
                .withLabels(Map.of(Labels.NODE, spec.node, Labels.POOL, spec.pool)).build());
        claim.setSpec(spec);
        return claim;
    }

    @Override
    protected VfClaimSpec initSpec() {
        return new VfClaimSpec();
    }
}
