package io.sriovlm.sandbox;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.sriovlm.api.v1alpha1.HypervisorNic;
import io.sriovlm.api.v1alpha1.SriovMigration;
import io.sriovlm.api.v1alpha1.VfClaim;
import io.sriovlm.api.v1alpha1.VfClaimSpec;
import io.sriovlm.api.v1alpha1.VfPool;
import io.sriovlm.operator.phases.ClusterView;
import io.sriovlm.operator.placement.VfLedger;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The VF ledger as the API shows it now, read with the operator's own rules ({@link VfLedger}): for tests, the
 * invariant checker and the benchmarks, which ask "who holds this VF" without the operator's caches.
 */
public final class Ledgers {
    private Ledgers() {
    }

    public static VfLedger read(KubernetesClient client) {
        Map<String, HypervisorNic> nics = client.resources(HypervisorNic.class).list().getItems().stream()
                .filter(n -> n.getSpec() != null && n.getSpec().nodeName != null)
                .collect(Collectors.toMap(n -> n.getSpec().nodeName, Function.identity(), (a, b) -> a));
        Map<String, Node> nodes = client.nodes().list().getItems().stream()
                .collect(Collectors.toMap(n -> n.getMetadata().getName(), Function.identity()));
        List<VfLedger.LiveMigration> live = client.resources(SriovMigration.class).inAnyNamespace().list().getItems()
                .stream().filter(ClusterView::isActive).map(VfLedger.LiveMigration::of).toList();
        return VfLedger.of(nics, Inventories.of(client, nics), nodes, claims(client), live);
    }

    public static List<VfClaim> claims(KubernetesClient client) {
        return client.resources(VfClaim.class).list().getItems();
    }

    /** The claims that reserve a VF for a migration in flight (not hand-overs). */
    public static List<VfClaimSpec> reservations(KubernetesClient client) {
        return claims(client).stream().map(VfClaim::getSpec).filter(c -> c.state == VfClaimSpec.State.Reserved)
                .toList();
    }

    public static Optional<VfClaimSpec> reservationOf(KubernetesClient client, String migrationUid) {
        return reservations(client).stream().filter(c -> migrationUid.equals(c.migrationUid)).findFirst();
    }

    /**
     * What the ledger is made of, for a test that failed waiting on it: every claim, every reported VF that is
     * attached, the unfinished migrations' source VFs, and when each agent last vouched for its inventory.
     */
    public static String describe(KubernetesClient client) {
        StringBuilder out = new StringBuilder("ledger at ").append(java.time.Instant.now()).append('\n');
        claims(client).forEach(c -> out.append("  claim ").append(c.getMetadata().getName()).append(' ')
                .append(c.getSpec().state).append(" vm=").append(c.getSpec().vm).append(" migration=")
                .append(c.getSpec().migration).append(" since=").append(c.getSpec().since).append('\n'));
        client.resources(HypervisorNic.class).list().getItems().stream().filter(n -> n.getStatus() != null)
                .forEach(n -> {
                    out.append("  nic ").append(n.getMetadata().getName()).append(" rv=")
                            .append(n.getMetadata().getResourceVersion()).append(" heartbeat=")
                            .append(n.getStatus().heartbeatTime).append('\n');
                    var inventory = client.resources(io.sriovlm.api.v1alpha1.VmInventory.class)
                            .withName(n.getMetadata().getName()).get();
                    out.append("  inventory ").append(n.getMetadata().getName()).append(inventory == null ? " none"
                            : " rv=" + inventory.getMetadata().getResourceVersion() + " heartbeat="
                            + (inventory.getStatus() == null ? null : inventory.getStatus().heartbeatTime) + " vms="
                            + Inventories.vms(client, n.getMetadata().getName()).stream().map(v -> v.name).toList())
                            .append('\n');
                    Inventories.vfs(client, n.getMetadata().getName()).stream().filter(vf -> vf.attachedTo != null)
                            .forEach(vf -> out
                            .append("    vf ").append(vf.pciAddress).append(" attachedTo=").append(vf.attachedTo)
                            .append('\n'));
                });
        client.resources(SriovMigration.class).inAnyNamespace().list().getItems().stream()
                .filter(ClusterView::isActive).forEach(m -> out.append("  live ").append(m.getMetadata().getName())
                        .append(' ').append(m.getStatus() == null ? null : m.getStatus().phase).append(" source=")
                        .append(m.getStatus() == null ? null : m.getStatus().sourceNode + "/" + m.getStatus().sourceVf)
                        .append('\n'));
        client.resources(io.fabric8.kubernetes.api.model.coordination.v1.Lease.class).inAnyNamespace()
                .withLabel(io.sriovlm.api.v1alpha1.Labels.NODE).list().getItems()
                .forEach(l -> out.append("  lease ").append(l.getMetadata().getName()).append(" renewed=")
                        .append(l.getSpec().getRenewTime()).append('\n'));
        return out.toString();
    }

    /** The VF {@code pciAddress} of {@code node} in the sandbox's pool, or empty when the pool does not count it. */
    public static Optional<VfLedger.Entry> find(KubernetesClient client, String node, String pciAddress) {
        VfPool pool = client.resources(VfPool.class).withName(Sandbox.POOL).get();
        return pool == null ? Optional.empty() : read(client).find(pool, node, pciAddress);
    }
}
