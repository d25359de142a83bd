package io.sriovlm.sandbox.host;

import io.sriovlm.agent.libvirt.Hypervisor.DeviceEvent;
import io.sriovlm.agent.libvirt.Hypervisor.DomainState;
import io.sriovlm.agent.libvirt.Hypervisor.JobStats;
import io.sriovlm.agent.libvirt.Hypervisor.MigrationRequest;
import io.sriovlm.agent.libvirt.Hypervisor.MigrationResult;
import io.sriovlm.agent.libvirt.HypervisorException;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One outgoing live migration between two {@link SimulatedHypervisor}s, as QEMU runs it: the transient passthrough
 * devices are unplugged first (waiting for the guest, with no timeout), then the memory is copied, then the domain is
 * handed over to the destination atomically and the transient devices are plugged there; a failure or an abort
 * plugs them back on the source. Fields are guarded by the source host's lock.
 */
final class MigrationJob {
    private static final System.Logger LOG = System.getLogger(MigrationJob.class.getName());

    private final SimulatedHypervisor source;
    final SimulatedDomain domain;
    private final MigrationRequest request;
    private final SimulatedHypervisor dest;
    private final Document destDoc;
    private final long dataTotal;
    private final Duration copyTime;
    private final long startedNanos = System.nanoTime();
    final CompletableFuture<MigrationResult> future = new CompletableFuture<>();
    /** Aliases of the transient devices the copy waits for the guest to release. */
    private final Set<String> awaitingUnplug = new LinkedHashSet<>();
    /** The transient devices the guest released, to plug on the destination (or back, on failure). */
    private final List<Element> unplugged = new ArrayList<>();
    private long copyStartedNanos;
    private ScheduledFuture<?> pending;
    boolean finished;

    MigrationJob(SimulatedHypervisor source, SimulatedDomain domain, MigrationRequest request,
            SimulatedHypervisor dest, Document destDoc, long dataTotal, Duration copyTime) {
        this.source = source;
        this.domain = domain;
        this.request = request;
        this.dest = dest;
        this.destDoc = destDoc;
        this.dataTotal = dataTotal;
        this.copyTime = copyTime;
    }

    /**
     * Refuses a destination XML libvirt would call ABI-incompatible: another name or UUID, or another number of
     * passthrough devices than the transient ones leaving and the state-migrating ones staying.
     */
    static void checkAbiCompatible(SimulatedDomain dom, Document destDoc, int transientCount)
            throws HypervisorException {
        Element root = destDoc.getDocumentElement();
        String name = SimXml.childText(root, "name").orElse("");
        if (!name.equals(dom.name)) {
            throw new HypervisorException("unsupported configuration: Target domain name '" + name
                    + "' does not match source '" + dom.name + "'");
        }
        Optional<String> uuid = SimXml.childText(root, "uuid");
        if (uuid.isPresent() && !uuid.get().equals(dom.uuid)) {
            throw new HypervisorException("unsupported configuration: Target domain uuid " + uuid.get()
                    + " does not match source " + dom.uuid);
        }
        long passthrough = SimXml.children(SimXml.child(root, "devices").orElse(null), null).stream()
                .filter(SimXml::isPassthrough).count();
        if (passthrough != transientCount) {
            throw new HypervisorException("unsupported configuration: Target domain hostdev count " + passthrough
                    + " does not match source " + transientCount);
        }
    }

    /** Unplugs the transient devices, then copies; the copy starts at once when there are none. Caller holds the lock. */
    void start(List<Element> transients) {
        for (Element dev : transients) {
            String alias = SimXml.alias(dev).orElseThrow();
            awaitingUnplug.add(alias);
            if (!domain.unplugging.contains(alias)) {
                source.beginUnplug(domain, alias);
            }
        }
        if (awaitingUnplug.isEmpty()) {
            startCopy();
        }
    }

    /** The guest released a device; the copy starts once it released all. Caller holds the lock. */
    void unplugged(String alias, Element device) {
        if (!finished && awaitingUnplug.remove(alias)) {
            unplugged.add(device);
            if (awaitingUnplug.isEmpty()) {
                startCopy();
            }
        }
    }

    /** Progress as libvirt's job info reports it. Caller holds the lock. */
    JobStats stats() {
        long now = System.nanoTime();
        long processed = 0;
        if (copyStartedNanos != 0) {
            long copyNanos = copyTime.toNanos();
            double fraction = copyNanos == 0 ? 1.0 : Math.min(1.0, (now - copyStartedNanos) / (double) copyNanos);
            processed = (long) (dataTotal * fraction);
        }
        return new JobStats(dataTotal, processed, dataTotal - processed, copyStartedNanos == 0 ? 0 : 1,
                TimeUnit.NANOSECONDS.toMillis(now - startedNanos));
    }

    private void startCopy() {
        copyStartedNanos = System.nanoTime();
        pending = source.schedule(this::finishCopy, copyTime);
    }

    /** The copy is over: fail as injected, or hand the domain over to the destination atomically. */
    private void finishCopy() {
        Optional<String> injected;
        synchronized (source.lock) {
            if (finished) {
                return;
            }
            injected = source.faults().takeMigrationFailure();
        }
        if (injected.isPresent()) {
            fail(injected.get(), false);
            return;
        }
        boolean[] moved = new boolean[1];
        String error = source.fabric().underHandover(() -> {
            synchronized (source.lock) {
                if (finished) {
                    return null; // aborted while the copy ended
                }
                if (source.fabric().resolve(request.destinationUri()).orElse(null) != dest) {
                    return "operation failed: migration out job: lost connection to " + request.destinationUri();
                }
                Document incoming = destDoc != null ? destDoc : (Document) domain.live.cloneNode(true);
                List<Element> toPlug = new ArrayList<>();
                for (Element dev : SimulatedDomain.devices(incoming)) {
                    // A device whose state migrates stays attached; the transient ones QEMU plugs after the switch.
                    if (SimXml.isPassthrough(dev) && SimXml.hasTransientTeaming(dev)) {
                        SimXml.remove(dev);
                        toPlug.add(dev);
                    }
                }
                if (destDoc == null) {
                    toPlug.addAll(unplugged);
                }
                String refused = dest.acceptIncoming(domain, incoming, toPlug, request.persistDestination());
                if (refused != null) {
                    return refused;
                }
                finished = true;
                moved[0] = true;
                domain.job = null;
                domain.unplugging.clear();
                if (request.undefineSource() || !domain.persistent) {
                    source.forget(domain);
                } else {
                    domain.live = null;
                    domain.state = DomainState.SHUTOFF;
                }
                source.lock.notifyAll();
                return null;
            }
        });
        if (error != null) {
            fail(error, false);
            return;
        }
        if (moved[0]) {
            source.departed(domain.name);
            dest.plugIncoming(domain.name);
            source.complete(future, MigrationResult.success(source.downtime().toMillis()));
        }
    }

    /** Ends a job that did not move the domain; QEMU plugs back the transient devices it had unplugged. */
    void fail(String error, boolean aborted) {
        List<String> replugged = new ArrayList<>();
        synchronized (source.lock) {
            if (finished) {
                return;
            }
            finished = true;
            if (pending != null) {
                pending.cancel(false);
            }
            if (domain.job == this) {
                domain.job = null;
            }
            if (source.holds(domain) && domain.live != null) {
                for (Element dev : unplugged) {
                    try {
                        replugged.add(source.plug(domain, dev));
                    } catch (HypervisorException e) {
                        LOG.log(System.Logger.Level.WARNING, "host {0}: cannot plug back {1}: {2}",
                                source.hostName(), domain.name, e.getMessage());
                    }
                }
            }
            source.lock.notifyAll();
        }
        Instant at = Instant.now();
        for (String alias : replugged) {
            source.fire(new DeviceEvent(domain.name, alias, DeviceEvent.Kind.ADDED, at));
        }
        source.complete(future, MigrationResult.failure(error, aborted));
    }
}
