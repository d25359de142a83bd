package io.sriovlm.sandbox.host;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * The network between simulated hypervisors: resolves a migration URI ({@code qemu+tls://hv2/system}, the form a real agent publishes) to the
 * {@link SimulatedHypervisor} behind it, and makes the hand-over of a domain from one host to another atomic, so
 * that an observer asking {@link #hostsRunning} never sees a VM on two hosts or on none.
 */
public final class SimulatedFabric implements AutoCloseable {

    private final Map<String, SimulatedHypervisor> hosts = new ConcurrentHashMap<>();
    private final boolean idleHostThreadsEnd;
    /** Held while a migration moves a domain between hosts; never taken while holding a host's lock. */
    private final ReentrantLock handover = new ReentrantLock();

    public SimulatedFabric() {
        this(false);
    }

    /**
     * @param idleHostThreadsEnd a host's job and event threads end when idle and start again on the next task (a
     *                           fleet of a thousand hosts would otherwise keep two threads each, once each has
     *                           migrated); the order of a host's tasks and events is the same either way
     */
    public SimulatedFabric(boolean idleHostThreadsEnd) {
        this.idleHostThreadsEnd = idleHostThreadsEnd;
    }

    boolean idleHostThreadsEnd() {
        return idleHostThreadsEnd;
    }

    /** The URI a host named {@code hostName} is reached at. */
    public static String uriOf(String hostName) {
        return "qemu+tls://" + hostName + "/system";
    }

    /** Creates a host reachable at {@link #uriOf uriOf(hostName)}. */
    public SimulatedHypervisor newHost(String hostName) {
        SimulatedHypervisor hv = new SimulatedHypervisor(hostName, uriOf(hostName), this);
        register(hv);
        return hv;
    }

    /** Makes a host reachable at its URI; a second host at the same URI is refused. */
    public void register(SimulatedHypervisor hv) {
        SimulatedHypervisor previous = hosts.putIfAbsent(hv.uri(), hv);
        if (previous != null && previous != hv) {
            throw new IllegalStateException("URI " + hv.uri() + " is already taken by host " + previous.hostName());
        }
    }

    /** The host is gone from the network (closed, or a simulated outage). */
    public void unregister(SimulatedHypervisor hv) {
        hosts.remove(hv.uri(), hv);
    }

    public Optional<SimulatedHypervisor> resolve(String uri) {
        return uri == null ? Optional.empty() : Optional.ofNullable(hosts.get(uri));
    }

    public List<SimulatedHypervisor> hosts() {
        return List.copyOf(hosts.values());
    }

    /** The hosts on which {@code domain} is running now, read consistently with respect to migrations. */
    public List<String> hostsRunning(String domain) {
        return underHandover(() -> {
            List<String> out = new ArrayList<>();
            for (SimulatedHypervisor hv : hosts.values()) {
                if (hv.isRunning(domain)) {
                    out.add(hv.hostName());
                }
            }
            out.sort(String::compareTo);
            return out;
        });
    }

    <T> T underHandover(Supplier<T> action) {
        handover.lock();
        try {
            return action.get();
        } finally {
            handover.unlock();
        }
    }

    /** Closes every host. */
    @Override
    public void close() {
        for (SimulatedHypervisor hv : hosts()) {
            hv.close();
        }
        hosts.clear();
    }
}
