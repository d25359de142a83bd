package io.sriovlm.status;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * The base of the one status writer of each resource kind: writes with optimistic concurrency, and remembers this
 * process's own writes until an informer shows them, the one read-your-own-write cache of that kind. The subclasses
 * decide which fields they write; nothing else in the product writes a status.
 * <p>
 * Every status write is a PUT of the status subresource carrying the resourceVersion its change was decided on, so a
 * writer that decided on stale data loses (409) and decides again, never overwrites. Informers deliver a write some
 * milliseconds after it landed; until then a controller reading its cache would decide on the version its own write
 * replaced, and lose the next write too. {@link #freshest} hands it the version it wrote instead. (JOSDK's
 * {@code PrimaryUpdateAndCacheUtils} caches the same way, but per informer, for {@code get} only, and on a conflict
 * re-applies the change to a newer version: see docs/decisions/011-status-writers.md for why it is not used.)
 *
 * @param <R> the resource kind
 */
public abstract class StatusWriter<R extends HasMetadata> {
    private final KubernetesClient client;
    /** By UID: the version this process last wrote, while no informer has shown it (or a later one) yet. */
    private final Map<String, R> ownWrites = new ConcurrentHashMap<>();

    protected StatusWriter(KubernetesClient client) {
        this.client = client;
    }

    /**
     * PUTs {@code desired}'s status; {@code desired} carries the resourceVersion of the object it was derived from.
     *
     * @return the written object, or empty when another writer changed the object since (HTTP 409)
     */
    protected Optional<R> write(R desired) {
        try {
            return Optional.of(remember(client.resource(desired).updateStatus()));
        } catch (KubernetesClientException e) {
            if (e.getCode() == 409) {
                return Optional.empty();
            }
            throw e;
        }
    }

    /** Records a write of this object made otherwise (a metadata patch), so that it counts as our latest. */
    protected R remember(R written) {
        if (written != null && written.getMetadata().getUid() != null) {
            ownWrites.merge(written.getMetadata().getUid(), written, (old, ours) -> newer(ours, old) ? ours : old);
        }
        return written;
    }

    /**
     * The later of {@code cached} and this process's last write of the same object. Once the informer shows our write
     * (or a later version) the write is forgotten, so the cache holds only objects with a write in flight.
     */
    public R freshest(R cached) {
        if (cached == null || cached.getMetadata().getUid() == null) {
            return cached;
        }
        R ours = ownWrites.get(cached.getMetadata().getUid());
        if (ours == null) {
            return cached;
        }
        if (newer(ours, cached)) {
            return ours;
        }
        ownWrites.remove(cached.getMetadata().getUid(), ours);
        return cached;
    }

    /** {@link #freshest(HasMetadata)} of each listed object. */
    public Stream<R> freshest(Stream<R> cached) {
        return ownWrites.isEmpty() ? cached : cached.map(this::freshest);
    }

    /** Whether this process wrote a later version of {@code cached} than the one given. */
    public boolean isSuperseded(R cached) {
        return freshest(cached) != cached;
    }

    /** Drops what this process remembers of a deleted object. */
    public void forget(R deleted) {
        if (deleted != null && deleted.getMetadata().getUid() != null) {
            ownWrites.remove(deleted.getMetadata().getUid());
        }
    }

    /**
     * Whether {@code a} is a later version of the same object than {@code b}. resourceVersions are opaque to clients,
     * but the API server (etcd's revision) and the sandbox issue increasing integers; anything else counts as not
     * newer, so the informer's copy wins and a stale decision costs only a 409.
     */
    public static boolean newer(HasMetadata a, HasMetadata b) {
        try {
            return a.getMetadata().getUid() != null && a.getMetadata().getUid().equals(b.getMetadata().getUid())
                    && Long.parseLong(a.getMetadata().getResourceVersion())
                            > Long.parseLong(b.getMetadata().getResourceVersion());
        } catch (NumberFormatException | NullPointerException e) {
            return false;
        }
    }

    protected KubernetesClient client() {
        return client;
    }
}
