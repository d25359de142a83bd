package io.sriovlm.operator.reconciler;

import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.sriovlm.api.v1alpha1.HypervisorNic;
import io.sriovlm.api.v1alpha1.SriovMigration;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class PrimaryClonerTest {
    private final PrimaryCloner cloner = new PrimaryCloner(new KubernetesSerialization());

    @Test
    void hypervisorNicsAreHandedOverAsCachedAndEveryOtherKindIsCopied() {
        HypervisorNic nic = new HypervisorNic();
        nic.getMetadata().setName("hv1-ens2");
        assertThat(cloner.clone(nic)).isSameAs(nic);

        SriovMigration migration = new SriovMigration();
        migration.getMetadata().setName("m");
        migration.getSpec().vmName = "vm-01";
        SriovMigration copy = cloner.clone(migration);
        assertThat(copy).isNotSameAs(migration);
        assertThat(copy.getSpec()).isNotSameAs(migration.getSpec());
        assertThat(Serialization.asJson(copy)).isEqualTo(Serialization.asJson(migration));
        var node = new NodeBuilder().withNewMetadata().withName("hv1").endMetadata().build();
        assertThat(cloner.clone(node)).isNotSameAs(node).isEqualTo(node);
    }
}
