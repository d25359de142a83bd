package io.sriovlm.operator.placement;

import io.fabric8.kubernetes.api.model.Node;
import io.sriovlm.api.v1alpha1.HypervisorNic;
import io.sriovlm.api.v1alpha1.VmInventoryStatus.VfStatus;
import io.sriovlm.api.v1alpha1.VfPool;

import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** Which nodes and which VFs a VfPool covers. Pure. */
public final class PoolMembership {
    private PoolMembership() {
    }

    public static boolean coversNode(VfPool pool, Node node) {
        Map<String, String> selector = pool.getSpec() == null ? Map.of() : pool.getSpec().nodeSelector;
        if (selector == null || selector.isEmpty()) {
            return true;
        }
        Map<String, String> labels = node == null || node.getMetadata().getLabels() == null ? Map.of()
                : node.getMetadata().getLabels();
        return selector.entrySet().stream().allMatch(e -> e.getValue().equals(labels.get(e.getKey())));
    }

    public static boolean coversVf(VfPool pool, HypervisorNic nic, VfStatus vf) {
        if (pool.getSpec() == null) {
            return true;
        }
        String pfName = pool.getSpec().pfName;
        if (pfName != null && !pfName.isBlank()
                && (nic.getSpec().pf == null || !pfName.equals(nic.getSpec().pf.name))) {
            return false;
        }
        String indices = pool.getSpec().vfIndices;
        return indices == null || indices.isBlank() || (vf.index != null && parseIndices(indices).contains(vf.index));
    }

    /** "0-3,6" -> {0,1,2,3,6}. The CRD pattern guarantees the shape. */
    public static Set<Integer> parseIndices(String spec) {
        Set<Integer> result = new TreeSet<>();
        for (String part : spec.split(",")) {
            String[] range = part.trim().split("-");
            int from = Integer.parseInt(range[0]);
            int to = range.length > 1 ? Integer.parseInt(range[1]) : from;
            for (int i = from; i <= to; i++) {
                result.add(i);
            }
        }
        return result;
    }
}
