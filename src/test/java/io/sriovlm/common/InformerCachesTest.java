package io.sriovlm.common;

import io.javaoperatorsdk.operator.processing.event.source.inbound.SimpleInboundEventSource;
import io.sriovlm.api.v1alpha1.SriovMigration;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Unit tier: a reconcile that read caches JOSDK stopped (and emptied) under it must see that they stopped. */
class InformerCachesTest {

    @Test
    void aStoppedEventSourceIsNoLongerRunning() {
        SimpleInboundEventSource<SriovMigration> source = new SimpleInboundEventSource<>("nics");
        Object plainCache = new Object();
        source.start();
        assertThat(InformerCaches.stillRunning(source, plainCache)).isTrue();
        source.stop();
        assertThat(InformerCaches.stillRunning(source, plainCache)).isFalse();
        assertThat(InformerCaches.stillRunning(plainCache)).as("a cache that is not an event source").isTrue();
    }
}
