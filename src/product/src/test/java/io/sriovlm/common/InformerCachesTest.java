package io.sriovlm.common;

import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.AbstractEventSource;
import io.javaoperatorsdk.operator.processing.event.source.Cache;
import io.javaoperatorsdk.operator.processing.event.source.inbound.SimpleInboundEventSource;
import io.sriovlm.api.v1alpha1.SriovMigration;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.stream.Stream;

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

    @Test
    void aListIsGivenOnlyFromARunningCache() {
        SriovMigration m = new SriovMigration();
        m.getMetadata().setName("m");
        ListedCache cache = new ListedCache(List.of(m));
        assertThat(InformerCaches.listIfRunning(null)).as("no controller yet").isEmpty();
        assertThat(InformerCaches.listIfRunning(cache)).as("not started").isEmpty();
        cache.start();
        assertThat(InformerCaches.listIfRunning(cache)).contains(List.of(m));
        cache.stop();
        assertThat(InformerCaches.listIfRunning(cache)).as("stopped: the caller must ask the API").isEmpty();
    }

    /** An event source that is also a cache, as JOSDK's informer sources are. */
    private static final class ListedCache extends AbstractEventSource<SriovMigration, SriovMigration>
            implements Cache<SriovMigration> {
        private final List<SriovMigration> items;

        ListedCache(List<SriovMigration> items) {
            super(SriovMigration.class, "listed");
            this.items = items;
        }

        @Override
        public Optional<SriovMigration> get(ResourceID id) {
            return Optional.empty();
        }

        @Override
        public Stream<ResourceID> keys() {
            return Stream.empty();
        }

        @Override
        public java.util.Set<SriovMigration> getSecondaryResources(SriovMigration primary) {
            return java.util.Set.of();
        }

        @Override
        public Stream<SriovMigration> list(Predicate<SriovMigration> predicate) {
            return items.stream().filter(predicate);
        }
    }
}
