package io.sriovlm.common;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.informers.cache.BasicItemStore;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.fabric8.kubernetes.client.informers.cache.ItemStore;

import java.lang.ref.WeakReference;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * An informer store that keeps one object per resource version for all informers of the same kind in this process.
 * The operator watches some kinds more than once (every HypervisorNic as the NIC controller's primaries and in the
 * informer its controllers share, every Node likewise, SriovMigrations in three controllers), and each informer
 * deserialises its own copy of every version. Interned by UID and resourceVersion (which name one content), the
 * stores share one. Objects in an informer cache are never mutated (JOSDK's rule, and ours: writers
 * clone), so sharing them changes nothing else. A version no store holds any more is only weakly reachable here and
 * goes with the next GC.
 */
public final class InterningItemStore<R extends HasMetadata> implements ItemStore<R> {
    private static final int SWEEP_EVERY = 1024;
    private static final Map<Class<?>, Interner> INTERNERS = new ConcurrentHashMap<>();

    private final BasicItemStore<R> store = new BasicItemStore<>(Cache::metaNamespaceKeyFunc);
    private final Interner interner;

    private InterningItemStore(Interner interner) {
        this.interner = interner;
    }

    /** A store for one informer of {@code kind}, sharing its objects with the other stores of that kind. */
    public static <R extends HasMetadata> InterningItemStore<R> of(Class<R> kind) {
        return new InterningItemStore<>(INTERNERS.computeIfAbsent(kind, k -> new Interner()));
    }

    @Override
    public String getKey(R obj) {
        return store.getKey(obj);
    }

    @Override
    public R put(String key, R obj) {
        return store.put(key, interner.intern(obj));
    }

    @Override
    public R remove(String key) {
        return store.remove(key);
    }

    @Override
    public Stream<String> keySet() {
        return store.keySet();
    }

    @Override
    public Stream<R> values() {
        return store.values();
    }

    @Override
    public int size() {
        return store.size();
    }

    @Override
    public R get(String key) {
        return store.get(key);
    }

    /** The object this process already holds for {@code obj}'s UID and resourceVersion, or {@code obj}. */
    static final class Interner {
        private final Map<String, WeakReference<HasMetadata>> byVersion = new ConcurrentHashMap<>();
        private final AtomicInteger puts = new AtomicInteger();

        @SuppressWarnings("unchecked")
        <R extends HasMetadata> R intern(R obj) {
            String uid = obj.getMetadata() == null ? null : obj.getMetadata().getUid();
            String version = uid == null ? null : obj.getMetadata().getResourceVersion();
            if (version == null) {
                return obj;
            }
            Object[] kept = new Object[1];
            byVersion.compute(uid + "/" + version, (key, ref) -> {
                HasMetadata held = ref == null ? null : ref.get();
                if (held != null && held.getClass() == obj.getClass()) {
                    kept[0] = held;
                    return ref;
                }
                kept[0] = obj;
                return new WeakReference<>(obj);
            });
            if (puts.incrementAndGet() % SWEEP_EVERY == 0) {
                byVersion.values().removeIf(ref -> ref.get() == null);
            }
            return (R) kept[0];
        }
    }
}
