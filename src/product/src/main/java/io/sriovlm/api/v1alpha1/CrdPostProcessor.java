package io.sriovlm.api.v1alpha1;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.crdv2.generator.CRDPostProcessor;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceColumnDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Runs at build time on each generated CRD (quarkus.operator-sdk.crd.post-processor). The generator sorts printer
 * columns by name; kubectl shows them in list order, so we restore the order the API types declare
 * (SriovMigration: Phase, VM, Source, Target, Age).
 */
public class CrdPostProcessor implements CRDPostProcessor {
    private static final Map<String, Class<?>> KINDS = Map.of(
            "SriovMigration", SriovMigration.class,
            "HypervisorNic", HypervisorNic.class,
            "VfPool", VfPool.class,
            "VfClaim", VfClaim.class,
            "VmInventory", VmInventory.class);

    @Override
    public HasMetadata process(HasMetadata crd, String crdSpecVersion) {
        if (!(crd instanceof CustomResourceDefinition definition)) {
            return crd;
        }
        Class<?> type = KINDS.get(definition.getSpec().getNames().getKind());
        if (type == null) {
            return crd;
        }
        List<String> declared = Arrays.stream(type.getAnnotationsByType(AdditionalPrinterColumn.class))
                .map(AdditionalPrinterColumn::name).toList();
        for (CustomResourceDefinitionVersion version : definition.getSpec().getVersions()) {
            if (version.getAdditionalPrinterColumns() == null) {
                continue;
            }
            List<CustomResourceColumnDefinition> columns = new ArrayList<>(version.getAdditionalPrinterColumns());
            columns.sort((a, b) -> Integer.compare(position(declared, a.getName()), position(declared, b.getName())));
            version.setAdditionalPrinterColumns(columns);
        }
        return crd;
    }

    private static int position(List<String> declared, String name) {
        int index = declared.indexOf(name);
        return index < 0 ? Integer.MAX_VALUE : index;
    }
}
