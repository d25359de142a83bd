package io.sriovlm.status;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.Serialization;

import java.time.Duration;
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
 * replaced, and lose the next write too. {@link #freshest} hands it the version it wrote instead.
 * <p>
 * A writer of big objects off the migrations' path (HypervisorNic, VfPool, Node status) does not send a write again on
 * the version it lost on for {@link #LOST_WRITE_HOLD}: it would lose again, and on a busy API server informers lag by
 * seconds (measured at 300 nodes: 5,267 lost HypervisorNic status writes of 57 KiB against 999 that landed, during
 * the operator's start, as its Ready retries every 200 ms decided again on the same cached copy). The hold ends early
 * when the informer shows a newer version, and is bounded because a 409 need not come with one (a proxy's). The
 * migrations' writer holds nothing: a phase change is on the VM's path, and its object is small.
 * <p>
 * (JOSDK's
 * {@code PrimaryUpdateAndCacheUtils} caches the same way, but per informer, for {@code get} only, and on a conflict
 * re-applies the change to a newer version: see docs/decisions/011-status-writers.md for why it is not used.)
 *
 * @param <R> the resource kind
 */
public abstract class StatusWriter<R extends HasMetadata> {
    private final KubernetesClient client;
    /** By UID: the version this process last wrote, while no informer has shown it (or a later one) yet. */
    private final Map<String, R> ownWrites = new ConcurrentHashMap<>();
    /**
     * How long a writer of big objects does not send a write that lost again on the version it lost on. Informers
     * show the winner within milliseconds on a quiet API server and within seconds on a busy one; a retry is at most
     * this late.
     */
    protected static final Duration LOST_WRITE_HOLD = Duration.ofSeconds(2);
    private final long holdNanos;
    /** By UID: the resourceVersion a write of this process lost on; a write on it or an older one would lose too. */
    private final Map<String, Lost> lostOn = new ConcurrentHashMap<>();

    private record Lost(long version, long atNanos) {
    }

    /** @param lostWriteHold {@link #LOST_WRITE_HOLD} or zero (send a retry whenever the caller decides one) */
    protected StatusWriter(KubernetesClient client, Duration lostWriteHold) {
        this.client = client;
        this.holdNanos = lostWriteHold.toNanos();
    }

    /**
     * PUTs {@code desired}'s status; {@code desired} carries the resourceVersion of the object it was derived from.
     *
     * @return the written object, or empty when another writer changed the object since (HTTP 409), also when a
     *         write of this process lost on that version or an older one within the hold (then nothing is sent)
     */
    protected Optional<R> write(R desired) {
        String uid = desired.getMetadata().getUid();
        Long version = numericVersion(desired);
        Lost lost = uid == null ? null : lostOn.get(uid);
        if (lost != null && version != null && version <= lost.version()
                && System.nanoTime() - lost.atNanos() < holdNanos) {
            return Optional.empty();
        }
        try {
            R written = remember(client.resource(desired).updateStatus());
            if (uid != null) {
                lostOn.remove(uid);
            }
            return Optional.of(written);
        } catch (KubernetesClientException e) {
            if (e.getCode() == 409) {
                if (uid != null && version != null && holdNanos > 0) {
                    lostOn.put(uid, new Lost(version, System.nanoTime()));
                }
                return Optional.empty();
            }
            throw e;
        }
    }

    private static Long numericVersion(HasMetadata o) {
        try {
            return Long.parseLong(o.getMetadata().getResourceVersion());
        } catch (NumberFormatException | NullPointerException e) {
            return null;
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
        Lost lost = lostOn.get(cached.getMetadata().getUid());
        Long version = numericVersion(cached);
        if (lost != null && version != null && version > lost.version()) {
            lostOn.remove(cached.getMetadata().getUid(), lost); // the cache moved past it: nothing can lose on it now
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
            lostOn.remove(deleted.getMetadata().getUid());
        }
    }

    /**
     * Whether {@code a} is a later version of the same object than {@code b}. resourceVersions are opaque to clients,
     * but the API server (etcd's revision) and the sandbox issue increasing integers; anything else counts as not
     * newer, so the informer's copy wins and a stale decision costs only a 409.
     */
    public static boolean newer(HasMetadata a, HasMetadata b) {
        Long versionA = numericVersion(a);
        Long versionB = numericVersion(b);
        return a.getMetadata().getUid() != null && a.getMetadata().getUid().equals(b.getMetadata().getUid())
                && versionA != null && versionB != null && versionA > versionB;
    }

    /** Whether two statuses, as JSON, differ in nothing but the top-level {@code field}. */
    protected static boolean sameApartFrom(Object a, Object b, String field) {
        var mapper = Serialization.jsonMapper();
        ObjectNode left = mapper.valueToTree(a);
        ObjectNode right = mapper.valueToTree(b);
        left.remove(field);
        right.remove(field);
        return left.equals(right);
    }

    protected KubernetesClient client() {
        return client;
    }
}
