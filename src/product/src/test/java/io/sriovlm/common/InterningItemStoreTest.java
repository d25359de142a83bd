package io.sriovlm.common;

import io.fabric8.kubernetes.client.utils.Serialization;
import io.sriovlm.api.v1alpha1.HypervisorNic;
import io.sriovlm.testing.Objects;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class InterningItemStoreTest {

    @Test
    void informersOfOneKindShareOneObjectPerVersion() {
        HypervisorNic nic = Objects.nic("hv1", Map.of("vm-01", 0));
        nic.getMetadata().setUid("uid-intern-test");
        nic.getMetadata().setResourceVersion("7");
        // Each informer deserialises its own copy of what the API server sent.
        HypervisorNic first = Serialization.clone(nic);
        HypervisorNic second = Serialization.clone(nic);
        InterningItemStore<HypervisorNic> a = InterningItemStore.of(HypervisorNic.class);
        InterningItemStore<HypervisorNic> b = InterningItemStore.of(HypervisorNic.class);
        a.put(a.getKey(first), first);
        b.put(b.getKey(second), second);
        assertThat(b.get(b.getKey(second))).isSameAs(a.get(a.getKey(first))).isSameAs(first);
        assertThat(a.getKey(first)).isEqualTo(nic.getMetadata().getName());

        HypervisorNic newer = Serialization.clone(nic);
        newer.getMetadata().setResourceVersion("8");
        b.put(b.getKey(newer), newer);
        assertThat(b.get(b.getKey(newer))).as("a new version is its own object").isSameAs(newer);
        assertThat(a.get(a.getKey(first))).as("the other store keeps what it was given").isSameAs(first);
        assertThat(b.remove(b.getKey(newer))).isSameAs(newer);
        assertThat(b.size()).isZero();
        assertThat(a.size()).isEqualTo(1);
    }

    @Test
    void anObjectWithoutAVersionIsKeptAsItIs() {
        HypervisorNic nic = Objects.nic("hv1", Map.of());
        nic.getMetadata().setResourceVersion(null);
        InterningItemStore<HypervisorNic> store = InterningItemStore.of(HypervisorNic.class);
        store.put(store.getKey(nic), nic);
        assertThat(store.get(store.getKey(nic))).isSameAs(nic);
    }
}
