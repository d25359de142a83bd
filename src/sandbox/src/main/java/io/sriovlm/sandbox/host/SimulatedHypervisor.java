package io.sriovlm.sandbox.host;

import io.sriovlm.agent.libvirt.Hypervisor;
import io.sriovlm.agent.libvirt.HypervisorException;
import io.sriovlm.agent.libvirt.UnplugPendingException;
import io.sriovlm.api.v1alpha1.ApiPatterns;
import io.sriovlm.api.v1alpha1.MigrationTransport;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A libvirt host in memory, faithful where the migration steps depend on libvirt's behaviour:
 * <ul>
 * <li>detach only accepts a device present in the live XML (matched by alias, by MAC and type, or by host PCI
 * address); the guest's unplug completes later, on a scheduler, with a device-removed event;</li>
 * <li>attach assigns an alias when the XML has no {@code ua-} one and refuses a PCI function another domain of this
 * host already uses;</li>
 * <li>migration is refused while a PCI passthrough device is attached, unless it carries
 * {@code <teaming type='transient'>}, which QEMU unplugs first (waiting for the guest, with no timeout) and plugs on
 * the destination after the switch-over;</li>
 * <li>a migration job reports progress, can be aborted, and can be made to fail.</li>
 * </ul>
 * Hosts reach each other through a {@link SimulatedFabric}. Thread-safe: one lock per host guards its domains;
 * a scheduler thread completes unplugs and jobs; listeners and job completions run on a separate event thread, as
 * libvirt dispatches events from its event loop.
 */
public final class SimulatedHypervisor implements Hypervisor {

    private static final System.Logger LOG = System.getLogger(SimulatedHypervisor.class.getName());
    private static final long DEFAULT_MEMORY_BYTES = 256L * 1024 * 1024;
    private static final String NON_USB_HOSTDEV =
            "Requested operation is not valid: domain has assigned non-USB host devices";

    private final String hostName;
    private final String uri;
    private final SimulatedFabric fabric;
    private final Object lock = new Object();
    private final Map<String, Dom> domains = new LinkedHashMap<>();
    private final List<DeviceEventListener> listeners = new CopyOnWriteArrayList<>();
    private final ScheduledExecutorService scheduler;
    private final ExecutorService events;

    private volatile Duration detachDelay = Duration.ofMillis(20);
    private volatile Duration copyTime = Duration.ofMillis(100);
    private volatile Duration downtime = Duration.ofMillis(30);

    // faults, guarded by lock
    private int failMigrations;
    private String failMigrationError;
    private double failureProbability;
    private Random failureRandom = new Random(0);
    private boolean dropNextRemoved;
    private Duration lateRemovedDelay;
    private String failNextDetachError;
    private int failAborts;
    private String failAbortError;
    private int failAttaches;
    private String failAttachError;
    /** Destination URI → the error this host gets opening it (a cut route, a firewall, a TLS mismatch). */
    private final Map<String, String> unreachable = new java.util.HashMap<>();
    private boolean closed;
    /** Every migration request this host accepted, in order: which transport and options each asked for. */
    private final List<MigrationRequest> migrationRequests = new CopyOnWriteArrayList<>();

    /** Use {@link SimulatedFabric#newHost}; this constructor does not register the host. */
    SimulatedHypervisor(String hostName, String uri, SimulatedFabric fabric) {
        this.hostName = Objects.requireNonNull(hostName, "hostName");
        this.uri = Objects.requireNonNull(uri, "uri");
        this.fabric = Objects.requireNonNull(fabric, "fabric");
        this.scheduler = Executors.newSingleThreadScheduledExecutor(daemon("sim-" + hostName + "-jobs"));
        this.events = Executors.newSingleThreadExecutor(daemon("sim-" + hostName + "-events"));
    }

    // ---------------------------------------------------------------- configuration and faults

    public String uri() {
        return uri;
    }

    /** The migration requests this host accepted (its transport: TLS, peer-to-peer, unsafe), oldest first. */
    public List<MigrationRequest> migrationRequests() {
        return List.copyOf(migrationRequests);
    }

    /** How long the guest takes to release a device after a detach request (default 20 ms). */
    public void setDetachDelay(Duration delay) {
        this.detachDelay = requireNonNegative(delay, "detach delay");
    }

    /** How long a migration's memory copy takes (default 100 ms; zero allowed). */
    public void setCopyTime(Duration time) {
        this.copyTime = requireNonNegative(time, "copy time");
    }

    /** The downtime a successful migration reports (default 30 ms). */
    public void setDowntime(Duration time) {
        this.downtime = requireNonNegative(time, "downtime");
    }

    /**
     * From now on this host cannot open {@code destinationUri}: {@link #checkReachable} and migrations to it fail
     * with {@code error} (a default like libvirt's when null). The target itself stays up for everyone else.
     */
    public void makeUnreachable(String destinationUri, String error) {
        synchronized (lock) {
            unreachable.put(destinationUri, error == null ? "unable to connect to server at '" + destinationUri
                    + "': No route to host" : error);
        }
    }

    /** Undoes {@link #makeUnreachable}. */
    public void makeReachable(String destinationUri) {
        synchronized (lock) {
            unreachable.remove(destinationUri);
        }
    }

    /** The next {@code n} migrations from this host fail at the end of their copy with {@code error}. */
    public void failNextMigrations(int n, String error) {
        synchronized (lock) {
            failMigrations = Math.max(0, n);
            failMigrationError = error == null ? "operation failed: migration out job: unexpectedly failed" : error;
        }
    }

    /** Every migration from this host fails with this probability, drawn from a Random seeded with {@code seed}. */
    public void setMigrationFailureProbability(double probability, long seed) {
        if (probability < 0 || probability > 1) {
            throw new IllegalArgumentException("probability must be within [0, 1]: " + probability);
        }
        synchronized (lock) {
            failureProbability = probability;
            failureRandom = new Random(seed);
        }
    }

    /** The next device unplug (a detach, or a transient hostdev's unplug at migration) never completes. */
    public void dropNextDeviceRemovedEvent() {
        synchronized (lock) {
            dropNextRemoved = true;
        }
    }

    /**
     * The guest finishes the next unplug only after {@code delay}: long after the agent gave up waiting, e.g. once a
     * rollback has kept the VM where it is. The VF then leaves a VM that no migration is moving. Null disarms it
     * (an unplug already under way still completes late).
     */
    public void delayNextDeviceRemovedEvent(Duration delay) {
        synchronized (lock) {
            lateRemovedDelay = delay == null ? null : requireNonNegative(delay, "late unplug delay");
        }
    }

    /** The next detach request is refused with {@code error}. */
    public void failNextDetach(String error) {
        synchronized (lock) {
            failNextDetachError = error == null ? "internal error: unable to execute QEMU command 'device_del'" : error;
        }
    }

    /** The next {@code n} abort requests are refused with {@code error} (the job keeps running). */
    public void failNextAborts(int n, String error) {
        synchronized (lock) {
            failAborts = Math.max(0, n);
            failAbortError = error == null ? "Timed out during operation: cannot acquire state change lock (held by"
                    + " monitor=remoteDispatchDomainMigratePerform3Params)" : error;
        }
    }

    /** The next {@code n} attach requests are refused with {@code error}; nothing is plugged. */
    public void failNextAttaches(int n, String error) {
        synchronized (lock) {
            failAttaches = Math.max(0, n);
            failAttachError = error == null ? "internal error: unable to execute QEMU command 'device_add': Device"
                    + " initialization failed" : error;
        }
    }

    /** Disarms {@link #failNextDetach} if it has not fired. */
    public void clearDetachFault() {
        synchronized (lock) {
            failNextDetachError = null;
        }
    }

    /** Disarms {@link #dropNextDeviceRemovedEvent} if it has not fired (a dropped unplug stays dropped). */
    public void clearDropDeviceRemoved() {
        synchronized (lock) {
            dropNextRemoved = false;
        }
    }

    /**
     * A hung guest recovers (or is rebooted) and finishes every unplug it never acknowledged: each such device leaves
     * now, with its device-removed event, even though nobody may be waiting for it any more.
     */
    public void completeAbandonedUnplugs() {
        List<Runnable> completions = new ArrayList<>();
        synchronized (lock) {
            for (Dom dom : domains.values()) {
                for (String alias : List.copyOf(dom.unplugging)) {
                    completions.add(() -> completeUnplug(dom, alias));
                }
            }
        }
        completions.forEach(c -> schedule(c, Duration.ZERO));
    }

    /** Drops every armed fault of this host: the next calls behave normally. */
    public void clearFaults() {
        synchronized (lock) {
            failMigrations = 0;
            failureProbability = 0;
            dropNextRemoved = false;
            lateRemovedDelay = null;
            failNextDetachError = null;
            failAborts = 0;
            failAttaches = 0;
        }
    }

    // ---------------------------------------------------------------- seeding the world

    /** Defines a persistent domain, started when {@code running}. */
    public DomainSnapshot define(String xml, boolean running) throws HypervisorException {
        return define(xml, running, true);
    }

    /**
     * Defines a domain from its XML (a {@code <uuid>} is generated when absent). A running domain gets libvirt's
     * device aliases ({@code netN}, {@code hostdevN}) where the XML has none. A non-persistent domain must run.
     */
    public DomainSnapshot define(String xml, boolean running, boolean persistent) throws HypervisorException {
        if (!running && !persistent) {
            throw new HypervisorException("Requested operation is not valid: a transient domain must be running");
        }
        Document doc = parseDomain(xml);
        String name = SimXml.childText(doc.getDocumentElement(), "name").orElse("");
        String uuid = SimXml.childText(doc.getDocumentElement(), "uuid").orElse("");
        if (uuid.isEmpty()) {
            uuid = UUID.randomUUID().toString();
            Element u = doc.createElement("uuid");
            u.setTextContent(uuid);
            doc.getDocumentElement().insertBefore(u, SimXml.child(doc.getDocumentElement(), "name").orElseThrow()
                    .getNextSibling());
        }
        synchronized (lock) {
            requireOpen();
            Dom existing = domains.get(name);
            if (existing != null) {
                if (!existing.uuid.equals(uuid)) {
                    throw new HypervisorException("operation failed: domain '" + name + "' already exists with uuid "
                            + existing.uuid);
                }
                if (existing.isRunning()) {
                    throw new HypervisorException("Requested operation is not valid: domain '" + name
                            + "' is already active");
                }
            }
            Dom dom = new Dom(name, uuid);
            dom.persistent = persistent;
            dom.config = persistent ? doc : null;
            if (running) {
                Document live = (Document) doc.cloneNode(true);
                checkPciFree(live.getDocumentElement(), null);
                assignAliases(live);
                dom.live = live;
                dom.state = DomainState.RUNNING;
            }
            domains.put(name, dom);
            return dom.snapshot();
        }
    }

    /** Starts a defined, shut-off domain from its persistent config. */
    public void start(String name) throws HypervisorException {
        synchronized (lock) {
            Dom dom = requireDomain(name);
            if (dom.isRunning()) {
                throw new HypervisorException("Requested operation is not valid: domain is already running");
            }
            Document live = (Document) dom.config.cloneNode(true);
            checkPciFree(live.getDocumentElement(), null);
            assignAliases(live);
            dom.live = live;
            dom.state = DomainState.RUNNING;
        }
    }

    /** Powers a domain off (a transient one disappears), as {@code virsh destroy}. */
    public void destroy(String name) throws HypervisorException {
        Job job;
        synchronized (lock) {
            Dom dom = requireDomain(name);
            requireRunning(dom);
            job = dom.job;
        }
        if (job != null) {
            finishFailed(job, "operation failed: domain is not running", false);
        }
        synchronized (lock) {
            Dom dom = requireDomain(name);
            dom.live = null;
            dom.state = DomainState.SHUTOFF;
            dom.unplugging.clear();
            if (!dom.persistent) {
                domains.remove(name);
            }
            lock.notifyAll();
        }
    }

    // ---------------------------------------------------------------- Hypervisor

    @Override
    public String hostName() {
        return hostName;
    }

    @Override
    public List<DomainSnapshot> listDomains() {
        synchronized (lock) {
            List<DomainSnapshot> out = new ArrayList<>();
            for (Dom d : domains.values()) {
                out.add(d.snapshot());
            }
            return out;
        }
    }

    @Override
    public Optional<DomainSnapshot> domain(String name) {
        synchronized (lock) {
            Dom d = domains.get(name);
            return d == null ? Optional.empty() : Optional.of(d.snapshot());
        }
    }

    /** True when the domain runs here; cheaper than {@link #domain} (no XML). */
    public boolean isRunning(String name) {
        synchronized (lock) {
            Dom d = domains.get(name);
            return d != null && d.isRunning();
        }
    }

    @Override
    public void detachDevice(String domain, String deviceXml) throws HypervisorException {
        Element wanted = parseDevice(deviceXml);
        synchronized (lock) {
            Dom dom = requireDomain(domain);
            requireRunning(dom);
            Element live = match(dom, wanted).orElseThrow(() -> notFound(dom, wanted));
            String alias = SimXml.alias(live).orElseThrow();
            if (dom.unplugging.contains(alias)) {
                throw new UnplugPendingException("internal error: unable to execute QEMU command 'device_del': Device "
                        + alias + " is already in the process of unplug", null);
            }
            if (failNextDetachError != null) {
                String error = failNextDetachError;
                failNextDetachError = null;
                throw new HypervisorException(error);
            }
            beginUnplug(dom, alias);
        }
    }

    @Override
    public Optional<Instant> awaitDeviceRemoved(String domain, String alias, Duration timeout)
            throws HypervisorException {
        long deadline = System.nanoTime() + Math.max(0, timeout.toNanos());
        synchronized (lock) {
            while (true) {
                Dom dom = requireDomain(domain);
                if (dom.live == null || findByAlias(dom.live, alias).isEmpty()) {
                    return Optional.of(dom.removedAt.getOrDefault(alias, Instant.now()));
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return Optional.empty();
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(lock, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new HypervisorException("interrupted while waiting for device " + alias + " of domain "
                            + domain + " to be removed", e);
                }
            }
        }
    }

    @Override
    public void attachDevice(String domain, String deviceXml) throws HypervisorException {
        Element wanted = parseDevice(deviceXml);
        String alias;
        synchronized (lock) {
            Dom dom = requireDomain(domain);
            requireRunning(dom);
            if (failAttaches > 0) {
                failAttaches--;
                throw new HypervisorException(failAttachError);
            }
            alias = plug(dom, wanted);
        }
        fire(new DeviceEvent(domain, alias, DeviceEvent.Kind.ADDED, Instant.now()));
    }

    @Override
    public void updateDevice(String domain, String deviceXml) throws HypervisorException {
        Element wanted = parseDevice(deviceXml);
        synchronized (lock) {
            Dom dom = requireDomain(domain);
            requireRunning(dom);
            Element live = match(dom, wanted).orElseThrow(() -> notFound(dom, wanted));
            if (!live.getAttribute("type").equals(wanted.getAttribute("type"))) {
                throw new HypervisorException("Operation not supported: cannot change network interface type");
            }
            Element replacement = (Element) dom.live.importNode(wanted, true);
            SimXml.setAlias(replacement, SimXml.alias(live).orElseThrow());
            live.getParentNode().replaceChild(replacement, live);
        }
    }

    @Override
    public CompletionStage<MigrationResult> startMigration(String domain, MigrationRequest request)
            throws HypervisorException {
        Objects.requireNonNull(request, "request");
        // what LibvirtHypervisor refuses before libvirt sees the URI
        Optional<String> refused = MigrationTransport.problem(request.destinationUri(), request.transport());
        if (refused.isPresent()) {
            throw new HypervisorException("migrate of domain '" + domain + "' refused: " + refused.get());
        }
        checkReachable(request.destinationUri());
        SimulatedHypervisor dest = fabric.resolve(request.destinationUri()).orElseThrow(() -> new HypervisorException(
                "operation failed: Failed to connect to remote libvirt URI " + request.destinationUri()
                        + ": no such host"));
        if (dest == this) {
            throw new HypervisorException("Requested operation is not valid: Attempt to migrate guest to the same"
                    + " host " + hostName);
        }
        Document destDoc = request.destinationXml() == null ? null : parseDomain(request.destinationXml());
        // asked before taking this host's lock: host locks nest only under the fabric's hand-over lock
        if (dest.domain(domain).filter(DomainSnapshot::isRunning).isPresent()) {
            throw new HypervisorException("Requested operation is not valid: domain '" + domain
                    + "' is already active on " + dest.hostName());
        }
        Job job;
        synchronized (lock) {
            requireOpen();
            Dom dom = requireDomain(domain);
            requireRunning(dom);
            if (dom.job != null) {
                throw new HypervisorException("Timed out during operation: cannot acquire state change lock (held by"
                        + " monitor=remoteDispatchDomainMigratePerform3Params)");
            }
            List<Element> transients = new ArrayList<>();
            for (Element dev : devices(dom.live)) {
                if (SimXml.isPassthrough(dev)) {
                    if (!SimXml.hasTransientTeaming(dev)) {
                        throw new HypervisorException(NON_USB_HOSTDEV);
                    }
                    transients.add(dev);
                }
            }
            if (destDoc != null) {
                checkAbiCompatible(dom, destDoc, transients.size());
            }
            job = new Job(dom, request, dest, destDoc,
                    SimXml.memoryBytes(dom.live.getDocumentElement()).orElse(DEFAULT_MEMORY_BYTES), copyTime);
            dom.job = job;
            for (Element dev : transients) {
                String alias = SimXml.alias(dev).orElseThrow();
                job.awaitingUnplug.add(alias);
                if (!dom.unplugging.contains(alias)) {
                    beginUnplug(dom, alias);
                }
            }
            if (job.awaitingUnplug.isEmpty()) {
                startCopy(job);
            }
        }
        migrationRequests.add(request);
        return job.future.minimalCompletionStage();
    }

    @Override
    public Optional<JobStats> jobStats(String domain) throws HypervisorException {
        synchronized (lock) {
            Dom dom = requireDomain(domain);
            Job job = dom.job;
            if (job == null || job.finished) {
                return Optional.empty();
            }
            long now = System.nanoTime();
            long total = job.dataTotal;
            long processed = 0;
            if (job.copyStartedNanos != 0) {
                long copyNanos = job.copyTime.toNanos();
                double fraction = copyNanos == 0 ? 1.0 : Math.min(1.0, (now - job.copyStartedNanos) / (double) copyNanos);
                processed = (long) (total * fraction);
            }
            return Optional.of(new JobStats(total, processed, total - processed, job.copyStartedNanos == 0 ? 0 : 1,
                    TimeUnit.NANOSECONDS.toMillis(now - job.startedNanos)));
        }
    }

    @Override
    public void checkReachable(String destinationUri) throws HypervisorException {
        Optional<String> refused = MigrationTransport.uriProblem(destinationUri);
        if (refused.isPresent()) {
            throw new HypervisorException("not opening " + destinationUri + ": " + refused.get());
        }
        String cut;
        synchronized (lock) {
            cut = unreachable.get(destinationUri);
        }
        if (cut != null) {
            throw new HypervisorException("operation failed: Failed to connect to remote libvirt URI " + destinationUri
                    + ": " + cut);
        }
        if (fabric.resolve(destinationUri).isEmpty()) {
            throw new HypervisorException("operation failed: Failed to connect to remote libvirt URI " + destinationUri
                    + ": no such host");
        }
    }

    @Override
    public void abortJob(String domain) throws HypervisorException {
        Job job;
        synchronized (lock) {
            job = requireDomain(domain).job;
            if (job != null && !job.finished && failAborts > 0) {
                failAborts--;
                throw new HypervisorException(failAbortError);
            }
        }
        if (job != null) {
            finishFailed(job, "operation aborted: migration out: canceled by client", true);
        }
    }

    @Override
    public void addDeviceListener(DeviceEventListener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    /** Aborts running jobs, stops the host's threads and takes it off the fabric. */
    @Override
    public void close() {
        List<Job> jobs = new ArrayList<>();
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            for (Dom d : domains.values()) {
                if (d.job != null) {
                    jobs.add(d.job);
                }
            }
        }
        for (Job j : jobs) {
            finishFailed(j, "operation failed: host " + hostName + " closed", false);
        }
        fabric.unregister(this);
        scheduler.shutdownNow();
        events.shutdown();
    }

    @Override
    public String toString() {
        return "SimulatedHypervisor[" + hostName + " " + uri + "]";
    }

    // ---------------------------------------------------------------- devices

    /** Asks the guest to release a device; it leaves after the detach delay unless the removal is dropped. */
    private void beginUnplug(Dom dom, String alias) {
        dom.unplugging.add(alias);
        if (dropNextRemoved) {
            dropNextRemoved = false;
            return;
        }
        Duration delay = lateRemovedDelay != null ? lateRemovedDelay : detachDelay;
        lateRemovedDelay = null;
        schedule(() -> completeUnplug(dom, alias), delay);
    }

    private void completeUnplug(Dom dom, String alias) {
        Instant at;
        synchronized (lock) {
            if (domains.get(dom.name) != dom || !dom.unplugging.remove(alias) || dom.live == null) {
                return; // the domain migrated away, stopped, or the device is gone already
            }
            Optional<Element> dev = findByAlias(dom.live, alias);
            if (dev.isEmpty()) {
                return;
            }
            SimXml.remove(dev.get());
            at = Instant.now();
            dom.removedAt.put(alias, at);
            lock.notifyAll();
            Job job = dom.job;
            if (job != null && !job.finished && job.awaitingUnplug.remove(alias)) {
                job.unplugged.add(dev.get());
                if (job.awaitingUnplug.isEmpty()) {
                    startCopy(job);
                }
            }
        }
        fire(new DeviceEvent(dom.name, alias, DeviceEvent.Kind.REMOVED, at));
    }

    /** Adds a device to a running domain's live XML; returns its alias. Caller holds the lock. */
    private String plug(Dom dom, Element wanted) throws HypervisorException {
        checkPciFree(wanted, null);
        Set<String> aliases = aliases(dom.live);
        Element imported = (Element) dom.live.importNode(wanted, true);
        Optional<String> given = SimXml.alias(imported).filter(a -> a.startsWith("ua-"));
        String alias;
        if (given.isPresent()) {
            alias = given.get();
            if (aliases.contains(alias)) {
                throw new HypervisorException("operation failed: non unique alias detected: " + alias);
            }
        } else {
            alias = freshAlias(imported, aliases);
        }
        SimXml.setAlias(imported, alias);
        devicesElement(dom.live).appendChild(imported);
        dom.removedAt.remove(alias);
        return alias;
    }

    /**
     * Refuses a passthrough device (or every passthrough device below {@code scope}) whose PCI function another
     * running domain of this host holds. Caller holds the lock.
     */
    private void checkPciFree(Element scope, Dom ignore) throws HypervisorException {
        List<Element> candidates = new ArrayList<>();
        if ("domain".equals(scope.getTagName())) {
            candidates.addAll(SimXml.children(SimXml.child(scope, "devices").orElse(null), null));
        } else {
            candidates.add(scope);
        }
        for (Element c : candidates) {
            Optional<String> pci = SimXml.hostPciAddress(c);
            if (pci.isEmpty()) {
                continue;
            }
            for (Dom other : domains.values()) {
                if (other == ignore || other.live == null) {
                    continue;
                }
                for (Element dev : devices(other.live)) {
                    if (pci.equals(SimXml.hostPciAddress(dev))) {
                        throw new HypervisorException("Requested operation is not valid: PCI device " + pci.get()
                                + " is in use by driver QEMU, domain " + other.name);
                    }
                }
            }
        }
    }

    private static Optional<Element> match(Dom dom, Element wanted) {
        Optional<String> alias = SimXml.alias(wanted);
        Optional<String> mac = SimXml.mac(wanted);
        Optional<String> pci = SimXml.hostPciAddress(wanted);
        for (Element dev : devices(dom.live)) {
            if (!dev.getTagName().equals(wanted.getTagName())) {
                continue;
            }
            if (alias.isPresent()) {
                if (alias.equals(SimXml.alias(dev))) {
                    return Optional.of(dev);
                }
                continue;
            }
            if ("interface".equals(wanted.getTagName()) && mac.isPresent()) {
                if (mac.equals(SimXml.mac(dev)) && dev.getAttribute("type").equals(wanted.getAttribute("type"))
                        && (pci.isEmpty() || pci.equals(SimXml.hostPciAddress(dev)))) {
                    return Optional.of(dev);
                }
                continue;
            }
            if (pci.isPresent() && pci.equals(SimXml.hostPciAddress(dev))) {
                return Optional.of(dev);
            }
        }
        return Optional.empty();
    }

    private static HypervisorException notFound(Dom dom, Element wanted) {
        String what = SimXml.alias(wanted).map(a -> "alias '" + a + "'")
                .or(() -> SimXml.mac(wanted).map(m -> "MAC address " + m + " and type '" + wanted.getAttribute("type")
                        + "'"))
                .or(() -> SimXml.hostPciAddress(wanted).map(p -> "PCI address " + p))
                .orElse("this definition");
        return new HypervisorException("device not found: no " + wanted.getTagName() + " with " + what
                + " in domain '" + dom.name + "'");
    }

    private static String freshAlias(Element dev, Set<String> taken) {
        String prefix = switch (dev.getTagName()) {
            case "hostdev" -> "hostdev";
            case "interface" -> "hostdev".equals(dev.getAttribute("type")) ? "hostdev" : "net";
            default -> dev.getTagName();
        };
        for (int i = 0; ; i++) {
            if (!taken.contains(prefix + i)) {
                return prefix + i;
            }
        }
    }

    private static void assignAliases(Document live) {
        Set<String> taken = aliases(live);
        for (Element dev : devices(live)) {
            if (SimXml.alias(dev).isEmpty()) {
                String alias = freshAlias(dev, taken);
                SimXml.setAlias(dev, alias);
                taken.add(alias);
            }
        }
    }

    private static Set<String> aliases(Document live) {
        Set<String> out = new HashSet<>();
        for (Element dev : devices(live)) {
            SimXml.alias(dev).ifPresent(out::add);
        }
        return out;
    }

    private static List<Element> devices(Document doc) {
        return SimXml.children(SimXml.child(doc.getDocumentElement(), "devices").orElse(null), null);
    }

    private static Element devicesElement(Document doc) {
        return SimXml.child(doc.getDocumentElement(), "devices").orElseGet(() -> {
            Element d = doc.createElement("devices");
            doc.getDocumentElement().appendChild(d);
            return d;
        });
    }

    private static Optional<Element> findByAlias(Document doc, String alias) {
        for (Element dev : devices(doc)) {
            if (SimXml.alias(dev).filter(alias::equals).isPresent()) {
                return Optional.of(dev);
            }
        }
        return Optional.empty();
    }

    // ---------------------------------------------------------------- migration

    private void startCopy(Job job) {
        job.copyStartedNanos = System.nanoTime();
        job.pending = schedule(() -> finishCopy(job), job.copyTime);
    }

    private void checkAbiCompatible(Dom dom, Document destDoc, int transientCount) throws HypervisorException {
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

    /** The copy is over: fail as injected, or hand the domain over to the destination atomically. */
    private void finishCopy(Job job) {
        String injected = null;
        synchronized (lock) {
            if (job.finished) {
                return;
            }
            if (failMigrations > 0) {
                failMigrations--;
                injected = failMigrationError;
            } else if (failureProbability > 0 && failureRandom.nextDouble() < failureProbability) {
                injected = "operation failed: migration out job: unexpectedly failed";
            }
        }
        if (injected != null) {
            finishFailed(job, injected, false);
            return;
        }
        SimulatedHypervisor dest = job.dest;
        boolean[] moved = new boolean[1];
        String error = fabric.underHandover(() -> {
            synchronized (lock) {
                if (job.finished) {
                    return null; // aborted while the copy ended
                }
                if (fabric.resolve(job.request.destinationUri()).orElse(null) != dest) {
                    return "operation failed: migration out job: lost connection to " + job.request.destinationUri();
                }
                Dom dom = job.dom;
                Document destDoc = job.destDoc != null ? job.destDoc : (Document) dom.live.cloneNode(true);
                List<Element> toPlug = new ArrayList<>();
                for (Element dev : devices(destDoc)) {
                    if (SimXml.isPassthrough(dev)) {
                        SimXml.remove(dev);
                        toPlug.add(dev);
                    }
                }
                if (job.destDoc == null) {
                    toPlug.addAll(job.unplugged);
                }
                String refused = dest.acceptIncoming(dom, destDoc, toPlug, job.request.persistDestination());
                if (refused != null) {
                    return refused;
                }
                job.finished = true;
                moved[0] = true;
                dom.job = null;
                dom.unplugging.clear();
                if (job.request.undefineSource() || !dom.persistent) {
                    domains.remove(dom.name);
                } else {
                    dom.live = null;
                    dom.state = DomainState.SHUTOFF;
                }
                lock.notifyAll();
                return null;
            }
        });
        if (error != null) {
            finishFailed(job, error, false);
            return;
        }
        if (moved[0]) {
            dest.plugIncoming(job.dom.name);
            long ms = downtime.toMillis();
            complete(job, MigrationResult.success(ms));
        }
    }

    /**
     * Destination side of the switch-over, under the fabric's hand-over lock and the source's lock. Returns an
     * error to fail the job with, or null when the domain now runs here.
     */
    private String acceptIncoming(Dom source, Document destDoc, List<Element> toPlug, boolean persist) {
        synchronized (lock) {
            if (closed) {
                return "operation failed: migration out job: destination host " + hostName + " closed";
            }
            Dom existing = domains.get(source.name);
            if (existing != null && existing.isRunning()) {
                return "Requested operation is not valid: domain '" + source.name + "' is already active on "
                        + hostName;
            }
            if (existing != null && !existing.uuid.equals(source.uuid)) {
                return "operation failed: domain '" + source.name + "' already exists with uuid " + existing.uuid;
            }
            try {
                for (Element dev : toPlug) {
                    checkPciFree(dev, null);
                }
            } catch (HypervisorException e) {
                return e.getMessage();
            }
            Dom dom = new Dom(source.name, source.uuid);
            Document live = (Document) destDoc.cloneNode(true);
            assignAliases(live);
            dom.live = live;
            dom.state = DomainState.RUNNING;
            if (persist) {
                dom.persistent = true;
                dom.config = (Document) destDoc.cloneNode(true);
            } else if (existing != null) {
                dom.persistent = true;
                dom.config = existing.config;
            }
            for (Element dev : toPlug) {
                dom.incoming.add((Element) live.importNode(dev, true));
            }
            domains.put(dom.name, dom);
            return null;
        }
    }

    /** QEMU plugs the transient primary devices once the domain runs here. */
    private void plugIncoming(String name) {
        List<String> added = new ArrayList<>();
        synchronized (lock) {
            Dom dom = domains.get(name);
            if (dom == null || dom.live == null) {
                return;
            }
            for (Element dev : dom.incoming) {
                try {
                    added.add(plug(dom, dev));
                } catch (HypervisorException e) {
                    LOG.log(System.Logger.Level.WARNING, "host {0}: cannot plug {1} into {2}: {3}", hostName,
                            SimXml.serialize(dev), name, e.getMessage());
                }
            }
            dom.incoming.clear();
        }
        Instant at = Instant.now();
        for (String alias : added) {
            fire(new DeviceEvent(name, alias, DeviceEvent.Kind.ADDED, at));
        }
    }

    /** Ends a job that did not move the domain; QEMU plugs back the transient devices it had unplugged. */
    private void finishFailed(Job job, String error, boolean aborted) {
        List<String> replugged = new ArrayList<>();
        synchronized (lock) {
            if (job.finished) {
                return;
            }
            job.finished = true;
            if (job.pending != null) {
                job.pending.cancel(false);
            }
            Dom dom = job.dom;
            if (dom.job == job) {
                dom.job = null;
            }
            if (domains.get(dom.name) == dom && dom.live != null) {
                for (Element dev : job.unplugged) {
                    try {
                        replugged.add(plug(dom, dev));
                    } catch (HypervisorException e) {
                        LOG.log(System.Logger.Level.WARNING, "host {0}: cannot plug back {1}: {2}", hostName,
                                dom.name, e.getMessage());
                    }
                }
            }
            lock.notifyAll();
        }
        Instant at = Instant.now();
        for (String alias : replugged) {
            fire(new DeviceEvent(job.dom.name, alias, DeviceEvent.Kind.ADDED, at));
        }
        complete(job, MigrationResult.failure(error, aborted));
    }

    // ---------------------------------------------------------------- plumbing

    /** Completes a job's stage on the event thread, after the events the job caused, never under a lock. */
    private void complete(Job job, MigrationResult result) {
        try {
            events.execute(() -> job.future.complete(result));
        } catch (RejectedExecutionException e) {
            job.future.complete(result);
        }
    }

    private void fire(DeviceEvent event) {
        try {
            events.execute(() -> {
                for (DeviceEventListener l : listeners) {
                    try {
                        l.onDeviceEvent(event);
                    } catch (RuntimeException e) {
                        LOG.log(System.Logger.Level.WARNING, "device listener failed on " + event, e);
                    }
                }
            });
        } catch (RejectedExecutionException e) {
            // host closed
        }
    }

    private ScheduledFuture<?> schedule(Runnable task, Duration delay) {
        Runnable guarded = () -> {
            try {
                task.run();
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "simulated host " + hostName + ": scheduled task failed", e);
            }
        };
        try {
            return scheduler.schedule(guarded, delay.toNanos(), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            return null;
        }
    }

    private Dom requireDomain(String name) throws HypervisorException {
        Dom d = domains.get(name);
        if (d == null) {
            throw new HypervisorException("Domain not found: no domain with matching name '" + name + "' on "
                    + hostName);
        }
        return d;
    }

    private static void requireRunning(Dom dom) throws HypervisorException {
        if (!dom.isRunning()) {
            throw new HypervisorException("Requested operation is not valid: domain '" + dom.name
                    + "' is not running");
        }
    }

    private void requireOpen() throws HypervisorException {
        if (closed) {
            throw new HypervisorException("internal error: client socket is closed (host " + hostName + ")");
        }
    }

    private static Document parseDomain(String xml) throws HypervisorException {
        Document doc;
        try {
            doc = SimXml.parse(xml);
        } catch (IllegalArgumentException e) {
            throw new HypervisorException("XML error: " + e.getMessage(), e);
        }
        Element root = doc.getDocumentElement();
        if (!"domain".equals(root.getTagName())) {
            throw new HypervisorException("XML error: expected root element <domain>, not <" + root.getTagName()
                    + ">");
        }
        String name = SimXml.childText(root, "name").orElse("");
        // As libvirt: any name but an empty one, one with a newline (domain XML parser) or with '/' (the qemu driver
        // names files after it). Spaces, quotes and markup are allowed there, so they are here: the agent must cope.
        if (name.isEmpty() || name.contains("\n") || name.contains("/")) {
            throw new HypervisorException("XML error: invalid domain name '" + name + "'");
        }
        return doc;
    }

    private static Element parseDevice(String xml) throws HypervisorException {
        try {
            return SimXml.parseElement(xml);
        } catch (IllegalArgumentException e) {
            throw new HypervisorException("XML error: " + e.getMessage(), e);
        }
    }

    private static Duration requireNonNegative(Duration d, String what) {
        if (d == null || d.isNegative()) {
            throw new IllegalArgumentException(what + " must be zero or positive: " + d);
        }
        return d;
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }

    /** A domain on this host; every field is guarded by the host's lock. */
    private static final class Dom {
        final String name;
        final String uuid;
        DomainState state = DomainState.SHUTOFF;
        boolean persistent;
        Document config;
        Document live;
        Job job;
        final Set<String> unplugging = new LinkedHashSet<>();
        final Map<String, Instant> removedAt = new HashMap<>();
        final List<Element> incoming = new ArrayList<>();

        Dom(String name, String uuid) {
            this.name = name;
            this.uuid = uuid;
        }

        boolean isRunning() {
            return live != null && (state == DomainState.RUNNING || state == DomainState.PAUSED);
        }

        DomainSnapshot snapshot() {
            Document doc = live != null ? live : config;
            return new DomainSnapshot(name, uuid, state, persistent, doc == null ? "" : SimXml.serialize(doc));
        }
    }

    /** One outgoing migration; fields guarded by the source host's lock. */
    private static final class Job {
        final Dom dom;
        final MigrationRequest request;
        final SimulatedHypervisor dest;
        final Document destDoc;
        final long dataTotal;
        final Duration copyTime;
        final long startedNanos = System.nanoTime();
        final CompletableFuture<MigrationResult> future = new CompletableFuture<>();
        final Set<String> awaitingUnplug = new LinkedHashSet<>();
        final List<Element> unplugged = new ArrayList<>();
        long copyStartedNanos;
        ScheduledFuture<?> pending;
        boolean finished;

        Job(Dom dom, MigrationRequest request, SimulatedHypervisor dest, Document destDoc, long dataTotal,
                Duration copyTime) {
            this.dom = dom;
            this.request = request;
            this.dest = dest;
            this.destDoc = destDoc;
            this.dataTotal = dataTotal;
            this.copyTime = copyTime;
        }
    }
}
