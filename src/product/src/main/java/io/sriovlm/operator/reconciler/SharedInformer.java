package io.sriovlm.operator.reconciler;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.Informable;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.javaoperatorsdk.operator.OperatorException;
import io.javaoperatorsdk.operator.api.config.ConfigurationService;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.Event;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.AbstractEventSource;
import io.javaoperatorsdk.operator.processing.event.source.Cache;
import io.javaoperatorsdk.operator.processing.event.source.SecondaryToPrimaryMapper;
import io.javaoperatorsdk.operator.processing.event.source.filter.OnAddFilter;
import io.javaoperatorsdk.operator.processing.event.source.filter.OnUpdateFilter;
import io.sriovlm.common.InterningItemStore;
import org.jboss.logging.Logger;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * One informer on a set of objects that several of the operator's controllers read, and a JOSDK event source per
 * controller on it ({@link #view}). JOSDK gives each controller's event source its own informer, and each informer
 * its own watch: every HypervisorNic report (some 57 KiB at 64 VFs) was received and deserialized once per controller
 * that reads NICs, which was most of the operator's CPU at 1,000 nodes (docs/decisions/027-shared-informers.md).
 * The informer starts with the first view a controller starts and stops with the last one, so a lost leadership or
 * a shutdown stops it as JOSDK would have stopped the per-controller ones.
 */
final class SharedInformer<R extends HasMetadata> {
    private static final Logger LOG = Logger.getLogger(SharedInformer.class);
    private final Class<R> type;
    private final String name;
    private final Function<KubernetesClient, Informable<R>> watched;
    private final Map<String, Function<R, List<String>>> indexers;
    private final List<View<R, ?>> views = new CopyOnWriteArrayList<>();
    private volatile SharedIndexInformer<R> informer; // written under this
    private int started; // views started, guarded by this

    /**
     * @param name    the name each controller's event source on it takes
     * @param watched what to watch, given the operator's client
     */
    SharedInformer(Class<R> type, String name, Function<KubernetesClient, Informable<R>> watched) {
        this(type, name, watched, Map.of());
    }

    /**
     * @param indexers indexes the informer keeps up to date with each change, so that a decision looks up what it
     *                 needs instead of walking the cache ({@link View#byIndex})
     */
    SharedInformer(Class<R> type, String name, Function<KubernetesClient, Informable<R>> watched,
            Map<String, Function<R, List<String>>> indexers) {
        this.type = type;
        this.name = name;
        this.watched = watched;
        this.indexers = Map.copyOf(indexers);
    }

    /**
     * A controller's event source on this informer: it maps each change that {@code onAdd} or {@code onUpdate}
     * accepts (and every deletion) to the controller's primaries, and reads the shared cache.
     */
    <P extends HasMetadata> View<R, P> view(EventSourceContext<P> context, SecondaryToPrimaryMapper<R> toPrimaries,
            OnAddFilter<R> onAdd, OnUpdateFilter<R> onUpdate) {
        View<R, P> view = new View<>(this, context, toPrimaries, onAdd, onUpdate);
        views.add(view);
        return view;
    }

    /** A view for which every change is an event. */
    <P extends HasMetadata> View<R, P> view(EventSourceContext<P> context, SecondaryToPrimaryMapper<R> toPrimaries) {
        return view(context, toPrimaries, added -> true, (newer, older) -> true);
    }

    private synchronized void started(View<R, ?> view) {
        if (started++ > 0) {
            return;
        }
        ConfigurationService configuration = view.configuration;
        SharedIndexInformer<R> created = watched.apply(view.client).runnableInformer(0);
        created.itemStore(InterningItemStore.of(type));
        if (!indexers.isEmpty()) {
            created.addIndexers(indexers);
        }
        created.addEventHandler(new Dispatcher());
        configuration.getInformerStoppedHandler().ifPresent(handler -> created.stopped()
                .handle((ignored, e) -> {
                    handler.onStop(created, e);
                    return null;
                }));
        informer = created;
        try {
            created.start().toCompletableFuture().get(configuration.cacheSyncTimeout().toMillis(),
                    TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException e) {
            // As JOSDK's own informers with stopOnInformerErrorDuringStartup, which the operator sets: a watch it
            // may not open (RBAC) fails the start instead of leaving a controller on an empty cache.
            stopInformer();
            throw new OperatorException("Couldn't start the shared informer for " + name + " resources", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stopInformer();
            throw new OperatorException("Interrupted while starting the shared informer for " + name, e);
        }
    }

    private synchronized void stopped() {
        if (started > 0 && --started == 0) {
            stopInformer();
        }
    }

    private void stopInformer() {
        started = 0;
        if (informer != null) {
            informer.stop();
            informer = null;
        }
    }

    /** Hands each change to the views that are started, as JOSDK's informers do to their controller. */
    private final class Dispatcher implements ResourceEventHandler<R> {
        @Override
        public void onAdd(R added) {
            toEach(views, v -> v.onAdd(added));
        }

        @Override
        public void onUpdate(R older, R newer) {
            toEach(views, v -> v.onUpdate(older, newer));
        }

        @Override
        public void onDelete(R deleted, boolean finalStateUnknown) {
            toEach(views, v -> v.onDelete(deleted));
        }
    }

    /**
     * {@code action} on each view, one failing (a filter or mapper that throws on an object it did not expect) not
     * keeping the others from the change: with an informer per controller, fabric8 kept them apart so.
     */
    static <V> void toEach(List<V> views, Consumer<V> action) {
        for (V view : views) {
            try {
                action.accept(view);
            } catch (RuntimeException e) {
                LOG.errorf(e, "%s: a change was not handed to its controller", view);
            }
        }
    }

    /** One controller's event source on a {@link SharedInformer}; it is also that controller's cache of it. */
    static final class View<R extends HasMetadata, P extends HasMetadata> extends AbstractEventSource<R, P>
            implements Cache<R> {
        private final SharedInformer<R> shared;
        private final KubernetesClient client;
        private final ConfigurationService configuration;
        private final String controller;
        private final SecondaryToPrimaryMapper<R> toPrimaries;
        private final OnAddFilter<R> onAdd;
        private final OnUpdateFilter<R> onUpdate;

        private View(SharedInformer<R> shared, EventSourceContext<P> context, SecondaryToPrimaryMapper<R> toPrimaries,
                OnAddFilter<R> onAdd, OnUpdateFilter<R> onUpdate) {
            super(shared.type, shared.name);
            this.shared = shared;
            this.client = context.getClient();
            this.configuration = context.getControllerConfiguration().getConfigurationService();
            this.controller = context.getControllerConfiguration().getName();
            this.toPrimaries = toPrimaries;
            this.onAdd = onAdd;
            this.onUpdate = onUpdate;
        }

        @Override
        public void start() throws OperatorException {
            shared.started(this);
            super.start();
        }

        @Override
        public void stop() throws OperatorException {
            // Flagged stopped before the cache may empty, as InformerCaches.stillRunning relies on.
            super.stop();
            shared.stopped();
        }

        // Not started: the change is dropped before any filter runs; the controller reconciles all its primaries
        // when it starts.
        private void onAdd(R added) {
            if (isRunning() && onAdd.accept(added)) {
                propagate(added);
            }
        }

        private void onUpdate(R older, R newer) {
            if (isRunning() && onUpdate.accept(newer, older)) {
                propagate(newer);
            }
        }

        private void onDelete(R deleted) {
            if (isRunning()) {
                propagate(deleted);
            }
        }

        private void propagate(R changed) {
            var handler = getEventHandler();
            if (handler != null) {
                toPrimaries.toPrimaryResourceIDs(changed).forEach(id -> handler.handleEvent(new Event(id)));
            }
        }

        @Override
        public String toString() {
            return "the " + name() + " event source of controller " + controller;
        }

        /** Not kept: sriovlm's reconcilers read the cache and never ask for a primary's secondaries. */
        @Override
        public Set<R> getSecondaryResources(P primary) {
            throw new UnsupportedOperationException(name() + " keeps no primary-to-secondary index");
        }

        @Override
        public Optional<R> get(ResourceID id) {
            var informer = shared.informer;
            if (informer == null) {
                return Optional.empty();
            }
            return Optional.ofNullable(informer.getStore().getByKey(io.fabric8.kubernetes.client.informers.cache.Cache
                    .namespaceKeyFunc(id.getNamespace().orElse(null), id.getName())));
        }

        @Override
        public Stream<ResourceID> keys() {
            return list().map(ResourceID::fromResource);
        }

        /** The objects whose {@code index} holds {@code key}; none while the informer is not running. */
        List<R> byIndex(String index, String key) {
            var informer = shared.informer;
            return informer == null ? List.of() : informer.getIndexer().byIndex(index, key);
        }

        @Override
        public Stream<R> list(Predicate<R> predicate) {
            var informer = shared.informer;
            return informer == null ? Stream.empty() : informer.getStore().list().stream().filter(predicate);
        }
    }
}
